package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/tenant"
)

// The audit trail's layout (DESIGN §3, keys.go). Every issued token writes an
// event, so one tenant's trail takes thousands of writes a second, more than
// one DynamoDB partition holds. Events are spread over the partitions of their
// UTC month × N shards; the shard is part of the event's id, so the id alone
// locates the item. Each event item carries, in GSI1, the entry of its actor's
// index (sharded the same way), and an event with a target gets a copy under
// its target's partition (sharded too), written in the same transaction. All
// of them share one sort key, time then id, so readers merge the shards
// newest-first and a page cursor is the last sort key returned: every shard
// resumes strictly below it.
//
// Every item of an event expires (TTL) after the tenant's retention, and
// readers treat events older than the current retention as expired.

// Audit layout limits.
const (
	DefaultAuditShards        = 8
	MaxAuditShards            = 64
	DefaultAuditRetentionDays = 90
	MaxAuditRetentionDays     = 3650
)

// AuditShardCount is how many shards the tenant's audit trail is spread over.
func (t Tenant) AuditShardCount() int {
	return min(max(t.AuditShards, DefaultAuditShards), MaxAuditShards)
}

// AuditRetention is how long the tenant's audit events are kept.
func (t Tenant) AuditRetention() time.Duration {
	d := t.AuditRetentionDays
	if d <= 0 {
		d = DefaultAuditRetentionDays
	}
	return time.Duration(min(d, MaxAuditRetentionDays)) * 24 * time.Hour
}

// Audit event ids are "aud_" followed by 26 characters of a sortable base32
// alphabet: 11 of the event time in unix microseconds, 2 of the shard, 13
// random (64 bits). String order of ids is time order.
const (
	auditIDPrefix = "aud_"
	auditAlphabet = "0123456789abcdefghjkmnpqrstvwxyz" // ascending in ASCII
	auditIDLen    = len(auditIDPrefix) + 11 + 2 + 13
)

// NewAuditID returns a new event id for time at in one of shards shards,
// chosen from the id's random part.
func NewAuditID(at time.Time, shards int) string {
	shards = min(max(shards, 1), MaxAuditShards)
	var r [8]byte
	rand.Read(r[:])
	random := binary.BigEndian.Uint64(r[:])
	b := make([]byte, 0, auditIDLen)
	b = append(b, auditIDPrefix...)
	b = appendBase32(b, uint64(at.UnixMicro()), 11)
	b = appendBase32(b, random%uint64(shards), 2)
	b = appendBase32(b, random, 13)
	return string(b)
}

func appendBase32(b []byte, v uint64, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		b = append(b, auditAlphabet[(v>>(5*uint(i)))&31])
	}
	return b
}

func parseBase32(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(auditAlphabet, s[i])
		if d < 0 {
			return 0, false
		}
		v = v<<5 | uint64(d)
	}
	return v, true
}

// parseAuditID returns the time and shard an id of NewAuditID encodes.
func parseAuditID(id string) (time.Time, int, bool) {
	if len(id) != auditIDLen || !strings.HasPrefix(id, auditIDPrefix) {
		return time.Time{}, 0, false
	}
	rest := id[len(auditIDPrefix):]
	micros, ok1 := parseBase32(rest[:11])
	shard, ok2 := parseBase32(rest[11:13])
	_, ok3 := parseBase32(rest[13:])
	if !ok1 || !ok2 || !ok3 || shard >= MaxAuditShards || micros > 1<<53 {
		return time.Time{}, 0, false
	}
	return time.UnixMicro(int64(micros)).UTC(), int(shard), true
}

// NewTokenIDs returns the jti of a token issued at at and the id of its
// issue event, twins: the jti is an ids.TaggedTimeID (the form a verifier
// reads the issue millisecond from) whose tag is the event's shard, and the
// event's id derives from the jti (twinEventID). The event must be stamped
// eventAt (at in whole milliseconds, the time its id encodes). Such an event
// gets no copy under its target, the token: readers locate it from the jti
// (twinKey), so a token writes one item fewer.
func NewTokenIDs(at time.Time, shards int) (jti, eventID string, eventAt time.Time) {
	shards = min(max(shards, 1), MaxAuditShards)
	var r [8]byte
	rand.Read(r[:])
	jti = ids.TaggedTimeID(at, int(binary.BigEndian.Uint64(r[:])%uint64(shards)))
	eventID, _ = twinEventID(jti)
	return jti, eventID, time.UnixMilli(at.UnixMilli()).In(at.Location())
}

// twinEventID is the id of the event whose twin target is (NewTokenIDs), if
// target can be a twin at all.
func twinEventID(target string) (string, bool) {
	ms, shard, ok := ids.ParseTimeID(target)
	if !ok || ms < 0 || ms > 1<<43 || shard >= MaxAuditShards {
		return "", false
	}
	h := sha256.Sum256([]byte(target))
	b := make([]byte, 0, auditIDLen)
	b = append(b, auditIDPrefix...)
	b = appendBase32(b, uint64(ms)*1000, 11)
	b = appendBase32(b, uint64(shard), 2)
	b = appendBase32(b, binary.BigEndian.Uint64(h[:8]), 13)
	return string(b), true
}

// isTwinEvent reports whether ev's target is its twin.
func isTwinEvent(ev AuditEvent) bool {
	id, ok := twinEventID(ev.TargetID)
	return ok && id == ev.ID
}

// twinKey is where the event whose twin is target lives, and its id.
func twinKey(sc scope, target string) (Key, string, bool) {
	id, ok := twinEventID(target)
	if !ok {
		return Key{}, "", false
	}
	at, shard, _ := parseAuditID(id)
	return Key{PK: auditPartition(sc, at, shard), SK: auditSK(at, id)}, id, true
}

// auditPlace is where an event lives: the time its partition and sort key use
// and its shard. Ids not made by NewAuditID (older events) take the event's
// time and a shard hashed from the id; they are listed but cannot be read by id.
func auditPlace(ev AuditEvent) (time.Time, int) {
	if at, shard, ok := parseAuditID(ev.ID); ok {
		return at, shard
	}
	h := fnv.New32a()
	h.Write([]byte(ev.ID))
	return ev.CreatedAt, int(h.Sum32() % DefaultAuditShards)
}

// auditIndex is what the table wrapper needs to finish an event's write.
type auditIndex struct {
	sc     scope
	at     time.Time
	target *Item // the event's copy under its target; nil without a target
}

// auditWrite is the write that records ev in the same transaction as the change
// it describes. The store's table wrapper (auditTable) sets its expiry from the
// tenant's retention and adds the event's target item to the transaction.
func auditWrite(sc scope, ev AuditEvent) write {
	at, shard := auditPlace(ev)
	data := marshal(ev)
	sk := auditSK(at, ev.ID)
	it := Item{Key: Key{PK: auditPartition(sc, at, shard), SK: sk}, Data: data}
	if ev.ActorID != "" {
		it.GSI1PK, it.GSI1SK = auditActorIndex(sc, ev.ActorID, shard), sk
	}
	idx := &auditIndex{sc: sc, at: ev.CreatedAt}
	if ev.TargetID != "" && !isTwinEvent(ev) {
		idx.target = &Item{Key: Key{PK: auditTargetPartition(sc, ev.TargetID, shard), SK: sk}, Data: data}
	}
	w := put(it, CondAbsent)
	w.audit = idx
	return w
}

// auditTable is the table the domain store writes through: it turns a
// transaction's domain writes into table writes. A transaction that holds
// audit events gets their expiry and their target items, appended after the
// caller's writes so that a failed condition keeps naming the caller's write.
// When the target items would overflow a transaction, they are written right
// after it commits.
type auditTable struct{ Table }

func (a auditTable) Transact(ctx context.Context, writes []write) error {
	plain := make([]Write, len(writes))
	for i, w := range writes {
		plain[i] = w.Write
	}
	if !slices.ContainsFunc(writes, func(w write) bool { return w.audit != nil }) {
		return a.Table.Transact(ctx, plain)
	}
	var extra []Write
	var extraOf []int
	retention := map[scope]time.Duration{}
	for i, w := range writes {
		if w.audit == nil {
			continue
		}
		keep, ok := retention[w.audit.sc]
		if !ok {
			keep = a.retention(ctx, w.audit.sc, plain)
			retention[w.audit.sc] = keep
		}
		exp := w.audit.at.Add(keep).Unix()
		plain[i].Item.ExpiresAt = exp
		if w.audit.target != nil {
			t := *w.audit.target
			t.ExpiresAt = exp
			extra = append(extra, put(t, CondAbsent).Write)
			extraOf = append(extraOf, i)
		}
	}
	n := len(plain)
	if n+len(extra) <= MaxTransactItems {
		err := a.Table.Transact(ctx, append(plain, extra...))
		var canceled *TxCanceled
		if errors.As(err, &canceled) && canceled.Index >= n {
			return &TxCanceled{Index: extraOf[canceled.Index-n]}
		}
		return err
	}
	if err := a.Table.Transact(ctx, plain); err != nil {
		return err
	}
	for _, w := range extra {
		if _, err := a.Table.Put(ctx, w.Item, CondAlways); err != nil {
			return err
		}
	}
	return nil
}

// retention finds the tenant's audit retention: from a tenant record the
// transaction itself writes (tenant creation and updates), else from the
// request's tenant as the resolver cached it, else the default. It reads
// nothing, so an audited change costs no extra table call.
func (a auditTable) retention(ctx context.Context, sc scope, writes []Write) time.Duration {
	for _, w := range writes {
		if w.Op == OpPut && w.Item.Key == tenantKey(sc) {
			var t Tenant
			if json.Unmarshal(w.Item.Data, &t) == nil {
				return t.AuditRetention()
			}
		}
	}
	if t, ok := TenantOf(ctx); ok && "T#"+t.ID == string(sc) {
		return t.AuditRetention()
	}
	return Tenant{}.AuditRetention()
}

// AuditFilter selects events. Empty fields select everything; From and To are
// inclusive. ActorID and TargetID match an agent's events under its id and
// under its client_id, whichever is given.
type AuditFilter struct {
	Events     []string  `json:"e,omitempty"`
	ActorID    string    `json:"a,omitempty"`
	ActorType  string    `json:"at,omitempty"`
	TargetID   string    `json:"t,omitempty"`
	TargetType string    `json:"tt,omitempty"`
	From       time.Time `json:"f,omitzero"`
	To         time.Time `json:"u,omitzero"`
	// Involving selects the events whose actor or target it is (either name).
	Involving string `json:"i,omitempty"`
}

// auditActions maps the events whose action differs from their event name
// to that action: the user cascade is user.agents_revoked in the guide and
// user.cascade_revoked_agents in SharkAuth's server (WIRE §8).
var auditActions = map[string]string{"user.agents_revoked": "user.cascade_revoked_agents"}

// AuditAction is the action name of an event (its name unless auditActions
// says otherwise).
func AuditAction(event string) string {
	if a, ok := auditActions[event]; ok {
		return a
	}
	return event
}

// named reports whether ev is one of names, by its event or its action name.
func (f AuditFilter) named(ev AuditEvent) bool {
	return len(f.Events) == 0 || slices.Contains(f.Events, ev.Event) || slices.Contains(f.Events, AuditAction(ev.Event))
}

// binding is the filter in a canonical form, which cursors are bound to.
func (f AuditFilter) binding(sc scope) string {
	f.Events = slices.Compact(slices.Sorted(slices.Values(f.Events)))
	f.From, f.To = f.From.UTC(), f.To.UTC()
	return string(sc) + "|audit|" + string(marshal(f))
}

// auditEntry is one decoded event and its sort key; tok is the token item
// that holds it, for the issue event of a token item (tokenitem.go).
type auditEntry struct {
	sk  string
	ev  AuditEvent
	tok *Item
}

// auditStream reads one shard's events newest first: one partition, or a
// sequence of month partitions.
type auditStream struct {
	q     Query
	parts []string // the partitions after q's, in order
	buf   []auditEntry
	done  bool
	// twin, when set, makes the stream the one event at this key whose id
	// is twinID (an event found from its target's id), within q's bounds.
	twin    *Key
	twinID  string
	twinJTI string
	// tokens: the stream reads token items (GSI2 of the audit partitions,
	// GSI1 of a client's tokens) and yields their issue events; it skips
	// what is not a token item with its event (records of the older layout).
	tokens bool
	sc     scope
}

func (st *auditStream) fill(ctx context.Context, table Table, keep func(AuditEvent) bool) error {
	if st.twin != nil {
		return st.fillTwin(ctx, table, keep)
	}
	for len(st.buf) == 0 && !st.done {
		page, err := table.Query(ctx, st.q)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			_, sk := it.IndexKeys(st.q.Index)
			if st.tokens {
				ev, ok, err := tokenEventOf(st.sc, it)
				if err != nil {
					return err
				}
				if ok && keep(ev) {
					st.buf = append(st.buf, auditEntry{sk: sk, ev: ev, tok: &it})
				}
				continue
			}
			ev, err := unmarshal[AuditEvent](it, nil)
			if err != nil {
				return err
			}
			if keep(ev) {
				st.buf = append(st.buf, auditEntry{sk: sk, ev: ev})
			}
		}
		switch {
		case page.Next != nil:
			st.q.After = page.Next
		case len(st.parts) > 0:
			st.q.Partition, st.parts, st.q.After = st.parts[0], st.parts[1:], nil
		default:
			st.done = true
		}
	}
	return nil
}

func (st *auditStream) fillTwin(ctx context.Context, table Table, keep func(AuditEvent) bool) error {
	if st.done {
		return nil
	}
	st.done = true
	sk := st.twin.SK
	if sk < st.q.From || st.q.To != "" && sk >= st.q.To {
		return nil
	}
	// A token item's issue event, else an event of the older layout.
	if e, ok, err := tokenItemEvent(ctx, table, st.sc, st.twinJTI, st.twinID); err != nil || ok {
		if ok && keep(e.ev) {
			st.buf = append(st.buf, e)
		}
		return err
	}
	it, err := table.Get(ctx, *st.twin)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ev, err := unmarshal[AuditEvent](it, nil)
	if err != nil {
		return err
	}
	if ev.ID == st.twinID && isTwinEvent(ev) && keep(ev) {
		st.buf = append(st.buf, auditEntry{sk: sk, ev: ev})
	}
	return nil
}

// auditIter merges streams newest first.
type auditIter struct {
	table   Table
	streams []*auditStream
	keep    func(AuditEvent) bool
	last    string
}

// next returns the next event, or ok false when there is none.
func (it *auditIter) next(ctx context.Context) (auditEntry, bool, error) {
	for {
		var wg sync.WaitGroup
		errs := make([]error, len(it.streams))
		for i, st := range it.streams {
			if len(st.buf) == 0 && !st.done {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = st.fill(ctx, it.table, it.keep)
				}()
			}
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return auditEntry{}, false, err
		}
		best := -1
		for i, st := range it.streams {
			if len(st.buf) > 0 && (best < 0 || st.buf[0].sk > it.streams[best].buf[0].sk) {
				best = i
			}
		}
		if best < 0 {
			return auditEntry{}, false, nil
		}
		e := it.streams[best].buf[0]
		it.streams[best].buf = it.streams[best].buf[1:]
		if e.sk == it.last {
			continue // the same event under two names
		}
		it.last = e.sk
		return e, true, nil
	}
}

// auditSettings reads what the layout of a tenant's trail depends on. A
// tenant without a record gets the defaults.
func (s *Store) auditSettings(ctx context.Context, t tenant.ID) (Tenant, error) {
	tn, err := s.GetTenant(ctx, t)
	if errors.Is(err, ErrNotFound) {
		return Tenant{}, nil
	}
	return tn, err
}

// auditFloor is the oldest time an event of tn can be listed at: none is older
// than the retention, nor than a day before the tenant was created.
func (s *Store) auditFloor(tn Tenant, retention bool) time.Time {
	var floor time.Time
	if retention {
		floor = s.Now().Add(-tn.AuditRetention())
	} else {
		floor = s.Now().Add(-MaxAuditRetentionDays * 24 * time.Hour)
	}
	if !tn.CreatedAt.IsZero() {
		floor = later(floor, tn.CreatedAt.Add(-24*time.Hour))
	}
	return floor
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// aliases are the names an actor or target id stands for: itself, and the
// other name of the client it names (id ↔ client_id).
func (s *Store) aliases(ctx context.Context, t tenant.ID, id string) ([]string, error) {
	names := []string{id}
	c, err := s.GetClient(ctx, t, id)
	switch {
	case err == nil:
		names = append(names, c.ID)
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	c, err = s.GetClientByID(ctx, t, id)
	switch {
	case err == nil:
		names = append(names, c.ClientID)
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	return slices.Compact(slices.Sorted(slices.Values(names))), nil
}

// auditIterator builds the merge of every shard that can hold an event of f
// strictly below the sort key before ("" for none), chunk items per query.
func (s *Store) auditIterator(ctx context.Context, t tenant.ID, f AuditFilter, before string, chunk int, retention bool) (*auditIter, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	tn, err := s.auditSettings(ctx, t)
	if err != nil {
		return nil, err
	}
	floor := s.auditFloor(tn, retention)
	if f.From.After(floor) {
		floor = f.From
	}
	top := s.Now().Add(24 * time.Hour) // events stamped a little ahead of this clock
	q := Query{Desc: true, Limit: chunk, From: sortableTime(floor)}
	// A bound at or past top bounds nothing (and a time past 2262 has no
	// sortable form).
	if !f.To.IsZero() && f.To.Before(top) {
		q.To = sortableTime(f.To.Add(time.Nanosecond))
		top = f.To
	}
	if before != "" && (q.To == "" || before < q.To) {
		q.To = before
		// Resume at the cursor's month, not at the top.
		if nanos, err := strconv.ParseInt(before[:min(len(before), 19)], 10, 64); err == nil && time.Unix(0, nanos).Before(top) {
			top = time.Unix(0, nanos)
		}
	}
	var actors, targets, involved []string
	if f.Involving != "" {
		if involved, err = s.aliases(ctx, t, f.Involving); err != nil {
			return nil, err
		}
	}
	if f.ActorID != "" {
		if actors, err = s.aliases(ctx, t, f.ActorID); err != nil {
			return nil, err
		}
	}
	if f.TargetID != "" {
		if targets, err = s.aliases(ctx, t, f.TargetID); err != nil {
			return nil, err
		}
	}
	it := &auditIter{table: s.table.Table, keep: func(ev AuditEvent) bool {
		return f.named(ev) &&
			(f.ActorType == "" || ev.ActorType == f.ActorType) &&
			(f.TargetType == "" || ev.TargetType == f.TargetType) &&
			(actors == nil || slices.Contains(actors, ev.ActorID)) &&
			(targets == nil || slices.Contains(targets, ev.TargetID)) &&
			(involved == nil || slices.Contains(involved, ev.ActorID) || slices.Contains(involved, ev.TargetID))
	}}
	shards := tn.AuditShardCount()
	add := func(index Index, parts []string) *auditStream {
		st := &auditStream{q: q, parts: parts[1:], sc: sc}
		st.q.Index, st.q.Partition = index, parts[0]
		it.streams = append(it.streams, st)
		return st
	}
	// addTwin adds the event whose twin is target, if target can be one.
	addTwin := func(target string) {
		if k, id, ok := twinKey(sc, target); ok {
			it.streams = append(it.streams, &auditStream{q: q, twin: &k, twinID: id, twinJTI: target, sc: sc})
		}
	}
	// addClientTokens adds the issue events of the token items of client
	// (their actor), which have no actor index entry of their own.
	addClientTokens := func(client string) {
		add(GSI1, []string{clientTokensIndex(sc, client)}).tokens = true
	}
	switch {
	case top.Before(floor):
		// nothing can match
	case involved != nil: // its actor index and its target items, merged
		for _, a := range involved {
			for shard := range shards {
				add(GSI1, []string{auditActorIndex(sc, a, shard)})
				add(Primary, []string{auditTargetPartition(sc, a, shard)})
			}
			addTwin(a)
			addClientTokens(a)
		}
	case actors != nil:
		for _, a := range actors {
			for shard := range shards {
				add(GSI1, []string{auditActorIndex(sc, a, shard)})
			}
			addClientTokens(a)
		}
	case targets != nil:
		for _, a := range targets {
			for shard := range shards {
				add(Primary, []string{auditTargetPartition(sc, a, shard)})
			}
			addTwin(a)
		}
	default:
		var months []time.Time
		for m := monthOf(top); !m.Before(monthOf(floor)); m = m.AddDate(0, -1, 0) {
			months = append(months, m)
		}
		for shard := range shards {
			parts := make([]string, len(months))
			for i, d := range months {
				parts[i] = auditPartition(sc, d, shard)
			}
			add(Primary, parts)
			add(GSI2, parts).tokens = true // the token items' issue events
		}
	}
	return it, nil
}

// tokenEventOf is the issue event a token item holds; ok is false for an
// item that holds none (a record of the older layout, a placeholder, a
// token item whose event was purged).
func tokenEventOf(sc scope, it Item) (AuditEvent, bool, error) {
	if !isTokenItem(sc, it) {
		return AuditEvent{}, false, nil
	}
	rec, te, ok, err := tokenFromItem(it)
	if err != nil || !ok || te == nil {
		return AuditEvent{}, false, err
	}
	return te.event(rec), true, nil
}

// tokenItemEvent reads the issue event with id eventID from the token item of
// jti, its twin; ok is false when there is none.
func tokenItemEvent(ctx context.Context, tb Table, sc scope, jti, eventID string) (auditEntry, bool, error) {
	random, ok := ids.RandomPart(jti)
	if !ok {
		return auditEntry{}, false, nil
	}
	it, err := tb.Get(ctx, tokenItemKey(sc, random))
	if errors.Is(err, ErrNotFound) {
		return auditEntry{}, false, nil
	}
	if err != nil {
		return auditEntry{}, false, err
	}
	ev, ok, err := tokenEventOf(sc, it)
	if err != nil || !ok || ev.ID != eventID || ev.TargetID != jti {
		return auditEntry{}, false, err
	}
	return auditEntry{sk: it.GSI2SK, ev: ev, tok: &it}, true, nil
}

// tokenTwin reads the issue event with id eventID (sort key sk) from the token
// item of its twin, the jti, when there is one; ok is false otherwise.
func tokenTwin(ctx context.Context, tb Table, sc scope, eventID, sk string) (auditEntry, bool, error) {
	at, shard, ok := parseAuditID(eventID)
	if !ok {
		return auditEntry{}, false, nil
	}
	page, err := tb.Query(ctx, Query{Index: GSI2, Partition: auditPartition(sc, at, shard), Prefix: sk, Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return auditEntry{}, false, err
	}
	it := page.Items[0]
	ev, ok, err := tokenEventOf(sc, it)
	if err != nil || !ok || ev.ID != eventID {
		return auditEntry{}, false, err
	}
	return auditEntry{sk: sk, ev: ev, tok: &it}, true, nil
}

// ListAuditEvents pages through a tenant's events matching f, newest first. The
// cursor is bound to the tenant and to f; walking every page yields each
// matching event once.
func (s *Store) ListAuditEvents(ctx context.Context, t tenant.ID, f AuditFilter, pr PageRequest) (ListPage[AuditEvent], error) {
	var out ListPage[AuditEvent]
	sc, err := scopeOf(t)
	if err != nil {
		return out, err
	}
	binding := f.binding(sc)
	var before string
	if pr.Cursor != "" {
		pos, err := s.cursors.open(ctx, pr.Cursor, binding)
		if err != nil {
			return out, err
		}
		before = pos.SK
	}
	limit := pr.limit()
	it, err := s.auditIterator(ctx, t, f, before, limit+1, true)
	if err != nil {
		return out, err
	}
	out.Items = make([]AuditEvent, 0, limit)
	var last string
	for len(out.Items) < limit {
		e, ok, err := it.next(ctx)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		out.Items, last = append(out.Items, e.ev), e.sk
	}
	if _, more, err := it.next(ctx); err != nil || !more {
		return out, err
	}
	out.Next, err = s.cursors.seal(ctx, Position{PK: "audit", SK: last}, binding)
	return out, err
}

// EachAuditEvent calls fn with every event of the tenant matching f, newest
// first, holding at most a page of each shard in memory. It stops at fn's
// first error and returns it.
func (s *Store) EachAuditEvent(ctx context.Context, t tenant.ID, f AuditFilter, fn func(AuditEvent) error) error {
	it, err := s.auditIterator(ctx, t, f, "", 100, true)
	if err != nil {
		return err
	}
	for {
		e, ok, err := it.next(ctx)
		if err != nil || !ok {
			return err
		}
		if err := fn(e.ev); err != nil {
			return err
		}
	}
}

// GetAuditEvent reads one event by id. An id that does not locate an event of
// this tenant, or an event past the retention, is ErrNotFound.
func (s *Store) GetAuditEvent(ctx context.Context, t tenant.ID, id string) (AuditEvent, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return AuditEvent{}, err
	}
	at, shard, ok := parseAuditID(id)
	if !ok {
		return AuditEvent{}, ErrNotFound
	}
	ev, err := get[AuditEvent](ctx, s, Key{PK: auditPartition(sc, at, shard), SK: auditSK(at, id)}, nil)
	if errors.Is(err, ErrNotFound) {
		// The issue event of a token item: in GSI2 at exactly that sort key.
		e, ok, terr := tokenTwin(ctx, s.table.Table, sc, id, auditSK(at, id))
		if terr != nil {
			return AuditEvent{}, terr
		}
		if ok {
			ev, err = e.ev, nil
		}
	}
	if err != nil {
		return AuditEvent{}, err
	}
	tn, err := s.auditSettings(ctx, t)
	if err != nil {
		return AuditEvent{}, err
	}
	if ev.ID != id || ev.CreatedAt.Before(s.Now().Add(-tn.AuditRetention())) {
		return AuditEvent{}, ErrNotFound
	}
	return ev, nil
}

// PurgeAuditEvents deletes every event of the tenant stamped before before
// and returns how many there were. With dryRun it only counts. A purge writes
// ev (its record, audit.purged) first, in its own transaction, then deletes in
// batches: a purge that fails half way is recorded and may be run again.
// Events the retention already hides are purged too.
func (s *Store) PurgeAuditEvents(ctx context.Context, t tenant.ID, before time.Time, dryRun bool, ev func(count int) AuditEvent) (int, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return 0, err
	}
	f := AuditFilter{To: before.Add(-time.Nanosecond)}
	count := 0
	it, err := s.auditIterator(ctx, t, f, "", MaxQueryLimit, false)
	if err != nil {
		return 0, err
	}
	for {
		_, ok, err := it.next(ctx)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		count++
	}
	if dryRun {
		return count, nil
	}
	record := ev(count)
	if err := s.table.Transact(ctx, []write{auditWrite(sc, record)}); err != nil {
		return 0, err
	}
	if it, err = s.auditIterator(ctx, t, f, "", MaxQueryLimit, false); err != nil {
		return 0, err
	}
	deleted := 0
	var batch []write
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.table.Transact(ctx, batch)
		batch = batch[:0]
		return err
	}
	for {
		e, ok, err := it.next(ctx)
		if err != nil {
			return deleted, err
		}
		if !ok {
			break
		}
		if e.ev.ID == record.ID {
			continue // the purge's own record
		}
		if e.tok != nil {
			if err := s.purgeTokenEvent(ctx, sc, e.tok.Key); err != nil {
				return deleted, err
			}
			deleted++
			continue
		}
		at, shard := auditPlace(e.ev)
		batch = append(batch, del(Key{PK: auditPartition(sc, at, shard), SK: e.sk}, CondAlways))
		if e.ev.TargetID != "" && !isTwinEvent(e.ev) {
			batch = append(batch, del(Key{PK: auditTargetPartition(sc, e.ev.TargetID, shard), SK: e.sk}, CondAlways))
		}
		deleted++
		if len(batch) >= MaxTransactItems-1 {
			if err := flush(); err != nil {
				return deleted, err
			}
		}
	}
	return deleted, flush()
}

// purgeTokenEvent removes the issue event from the token item at k: the item
// goes when its token has expired; a live token keeps its item, without its
// event (its introspection never depends on the audit trail's retention).
func (s *Store) purgeTokenEvent(ctx context.Context, sc scope, k Key) error {
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return err
		}
		it, err := s.table.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		rec, te, ok, err := tokenFromItem(it)
		if err != nil || !ok || te == nil {
			return err
		}
		if tokenLive(rec, s.Now()) {
			_, err = s.table.Put(ctx, tokenItemOf(sc, rec, nil, expirySeconds(rec.ExpiresAt)), CondVersion(it.Version))
		} else {
			err = s.table.Delete(ctx, k, CondVersion(it.Version))
		}
		if !errors.Is(err, ErrConditionFailed) {
			return err
		}
	}
	return contended("token changed concurrently")
}

// monthOf is the first instant of t's UTC month.
func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// AuditEventsOn returns a tenant's audit events of one UTC day, oldest first.
func (s *Store) AuditEventsOn(ctx context.Context, t tenant.ID, day time.Time) ([]AuditEvent, error) {
	start := day.UTC().Truncate(24 * time.Hour)
	f := AuditFilter{From: start, To: start.Add(24*time.Hour - time.Nanosecond)}
	var out []AuditEvent
	err := s.EachAuditEvent(ctx, t, f, func(ev AuditEvent) error {
		out = append(out, ev)
		return nil
	})
	slices.Reverse(out)
	return out, err
}

// RecordAuditEvents writes events that record no change of stored state (a
// refused request, an export), in transactions of up to 50 events.
func (s *Store) RecordAuditEvents(ctx context.Context, t tenant.ID, evs ...AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(evs, MaxTransactItems/2) {
		writes := make([]write, len(chunk))
		for i, ev := range chunk {
			if ev.ID == "" || ev.CreatedAt.IsZero() {
				return errors.New("store: audit event without id or time")
			}
			writes[i] = auditWrite(sc, ev)
		}
		if err := s.transact(ctx, writes, func(i int) string { return "audit event " + chunk[i].ID + " exists" }); err != nil {
			return err
		}
	}
	return nil
}

// AuditShardOf returns the shard an event id of NewAuditID places it in.
func AuditShardOf(id string) (int, bool) {
	_, shard, ok := parseAuditID(id)
	return shard, ok
}

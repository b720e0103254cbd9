package store

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/sharkauth/serverless/shared/ids"
)

// The token item (issue 23, budget 5): one item per issued token holding the
// token's record AND its issue event, at a key derived from the jti alone
// (tokenItemKey: the jti's 15 random characters), written by ONE conditional
// put of a key that must be absent. It is in GSI1 (the client's tokens, for
// ListClientTokens and the actor's audit listing) and in GSI2 under the audit
// partition of its event's month and shard (the trail's time order), both
// sorted by the event's audit sort key. It lives for the audit retention; the
// token's own expiry is checked by the readers.
//
// For a DPoP token the jti's random part derives from the proof (jkt | proof
// jti, NewDPoPTokenIDs), so the proof's replay mark IS the item: a second
// request with the same proof derives the same key and its put fails
// (ErrReplay). A proof spent by a refused request (SpendMarks), or spent
// with a token of the older layout, leaves a placeholder at that key: no
// index keys, no data, expiring with the mark. Every reader treats a
// placeholder as no token.
//
// Data is compact (it keeps the item under 924 bytes, so that each index
// entry costs one write unit): the record in short fields, and of the event
// only what the record cannot give.

// tokenUserAgentCap is the most bytes of a token event's user agent stored.
const tokenUserAgentCap = 128

// tokenItemData is a token item's Data.
type tokenItemData struct {
	JTI        string      `json:"j"`
	ClientID   string      `json:"c"`
	AgentID    string      `json:"ag,omitempty"`
	Subject    string      `json:"s,omitempty"`
	Scope      string      `json:"sc,omitempty"`
	Audience   []string    `json:"au,omitempty"`
	JKT        string      `json:"k,omitempty"`
	KID        string      `json:"ki,omitempty"`
	GrantType  string      `json:"g,omitempty"`
	IssuedAt   int64       `json:"i"`           // unix nanos
	ExpiresAt  int64       `json:"e"`           // unix nanos
	RevokedAt  int64       `json:"r,omitempty"` // unix nanos
	Delegation []string    `json:"d,omitempty"`
	Family     string      `json:"f,omitempty"`
	User       string      `json:"u,omitempty"`
	Event      *tokenEvent `json:"v,omitempty"` // nil once purged
	// Writer is a random tag of the IssueToken that put the item: one whose
	// put was applied but answered as a failed condition (the SDK's retry
	// after a lost answer) finds its own tag on the re-read and succeeds,
	// where a replay of the same proof finds another's and is refused.
	Writer string `json:"w,omitempty"`
}

// tokenEvent is what a token item keeps of its issue event: the fields the
// record cannot give. Derived says which the record gives.
type tokenEvent struct {
	Derived    uint16         `json:"z,omitempty"`
	Event      string         `json:"n"`
	ActorType  string         `json:"at,omitempty"`
	ActorID    string         `json:"a,omitempty"`
	TargetType string         `json:"tt,omitempty"`
	Metadata   map[string]any `json:"m,omitempty"`
	Status     string         `json:"st,omitempty"`
	IP         string         `json:"ip,omitempty"`
	UserAgent  string         `json:"ua,omitempty"`
	CreatedAt  int64          `json:"t,omitempty"` // unix nanos, when not the id's time
}

// Derived bits.
const (
	derivedActor    = 1 << iota // actor_type "client", actor_id the record's client_id
	derivedTarget               // target_type "token"
	derivedMetadata             // metadata not nil
	derivedScope                // metadata.scope = the record's
	derivedJKT
	derivedAud
	derivedGrant
	derivedJTI
)

// derivedKeys are the metadata keys the record can give, with their bits.
var derivedKeys = []struct {
	key string
	bit uint16
	of  func(TokenRecord) any
}{
	{"scope", derivedScope, func(r TokenRecord) any { return r.Scope }},
	{"jkt", derivedJKT, func(r TokenRecord) any { return r.JKT }},
	{"aud", derivedAud, func(r TokenRecord) any { return r.Audience }},
	{"grant_type", derivedGrant, func(r TokenRecord) any { return r.GrantType }},
	{"jti", derivedJTI, func(r TokenRecord) any { return r.JTI }},
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// tokenItemable reports whether rec and its issue event ev take the token
// item's layout: the jti is of ids.TaggedTimeID's form and ev is its twin
// (NewTokenIDs), so the item's key and the event's place derive from the jti.
// It returns the jti's random part.
func tokenItemable(rec TokenRecord, ev AuditEvent) (string, bool) {
	random, ok := ids.RandomPart(rec.JTI)
	return random, ok && ev.TargetID == rec.JTI && isTwinEvent(ev)
}

// compactEvent is what the token item keeps of ev, the issue event of rec.
func compactEvent(rec TokenRecord, ev AuditEvent) *tokenEvent {
	te := &tokenEvent{Event: ev.Event, Status: ev.Status, IP: ev.IP, UserAgent: capUTF8(ev.UserAgent, tokenUserAgentCap)}
	if ev.ActorType == "client" && ev.ActorID == rec.ClientID {
		te.Derived |= derivedActor
	} else {
		te.ActorType, te.ActorID = ev.ActorType, ev.ActorID
	}
	if ev.TargetType == "token" {
		te.Derived |= derivedTarget
	} else {
		te.TargetType = ev.TargetType
	}
	if at, _, _ := parseAuditID(ev.ID); !ev.CreatedAt.Equal(at) {
		te.CreatedAt = ev.CreatedAt.UnixNano()
	}
	if ev.Metadata != nil {
		te.Derived |= derivedMetadata
		for k, v := range ev.Metadata {
			i := slicesIndexKey(k)
			if i >= 0 && derivedSame(i, v, rec) {
				te.Derived |= derivedKeys[i].bit
				continue
			}
			if te.Metadata == nil {
				te.Metadata = map[string]any{}
			}
			te.Metadata[k] = v
		}
	}
	return te
}

func slicesIndexKey(k string) int {
	for i, d := range derivedKeys {
		if d.key == k {
			return i
		}
	}
	return -1
}

// capUTF8 cuts s to at most n bytes, on a character boundary.
func capUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// event is the issue event a token item keeps, whole again, in the form a
// stored event decodes to.
func (te *tokenEvent) event(rec TokenRecord) AuditEvent {
	id, _ := twinEventID(rec.JTI)
	at, _, _ := parseAuditID(id)
	ev := AuditEvent{ID: id, Event: te.Event, ActorType: te.ActorType, ActorID: te.ActorID,
		TargetType: te.TargetType, TargetID: rec.JTI, Status: te.Status, IP: te.IP, UserAgent: te.UserAgent, CreatedAt: at}
	if te.Derived&derivedActor != 0 {
		ev.ActorType, ev.ActorID = "client", rec.ClientID
	}
	if te.Derived&derivedTarget != 0 {
		ev.TargetType = "token"
	}
	if te.CreatedAt != 0 {
		ev.CreatedAt = time.Unix(0, te.CreatedAt).UTC()
	}
	if te.Derived&derivedMetadata != 0 {
		ev.Metadata = make(map[string]any, len(te.Metadata)+len(derivedKeys))
		for k, v := range te.Metadata {
			ev.Metadata[k] = v
		}
		for _, d := range derivedKeys {
			if te.Derived&d.bit != 0 {
				ev.Metadata[d.key] = d.of(rec)
			}
		}
	}
	// The shape a stored event decodes to (lists as []any, numbers as float64).
	var out AuditEvent
	if json.Unmarshal(marshal(ev), &out) != nil {
		return ev
	}
	return out
}

func nanosOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeOf(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// tokenItemOf is the token item of rec with event part te (nil: none, its
// event was purged), expiring at expires (epoch seconds).
func tokenItemOf(sc scope, rec TokenRecord, te *tokenEvent, expires int64) Item {
	return tokenItemBy(sc, rec, te, expires, "")
}

// tokenItemBy is tokenItemOf tagged with its writer's tag (tokenItemData.Writer).
func tokenItemBy(sc scope, rec TokenRecord, te *tokenEvent, expires int64, writer string) Item {
	random, _ := ids.RandomPart(rec.JTI)
	id, _ := twinEventID(rec.JTI)
	return tokenItemAt(sc, rec, random, id, te, expires, writer)
}

// tokenItemAt is tokenItemBy given the jti's random part and its twin
// event's id (which IssueToken has at hand).
func tokenItemAt(sc scope, rec TokenRecord, random, eventID string, te *tokenEvent, expires int64, writer string) Item {
	d := tokenItemData{JTI: rec.JTI, ClientID: rec.ClientID, AgentID: rec.AgentID, Subject: rec.Subject, Scope: rec.Scope,
		Audience: rec.Audience, JKT: rec.JKT, KID: rec.KID, GrantType: rec.GrantType, IssuedAt: nanosOf(rec.IssuedAt),
		ExpiresAt: nanosOf(rec.ExpiresAt), RevokedAt: nanosOf(rec.RevokedAt), Delegation: rec.Delegation,
		Family: rec.Family, User: rec.User, Event: te, Writer: writer}
	at, shard, _ := parseAuditID(eventID)
	sk := auditSK(at, eventID)
	it := Item{Key: tokenItemKey(sc, random), GSI1PK: clientTokensIndex(sc, rec.ClientID), GSI1SK: sk,
		ExpiresAt: expires, Data: encodeTokenItem(&d)}
	if te != nil {
		it.GSI2PK, it.GSI2SK = auditPartition(sc, at, shard), sk
	}
	return it
}

// marshalCompact is marshal without HTML escaping ("<" stays one byte, not
// six): a token item's size is what DynamoDB bills.
func marshalCompact(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return marshal(v) // panics with the cause, as marshal does
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// tokenFromItem decodes a token item: its record (Version set) and its event
// part (nil when purged). ok is false for a placeholder.
func tokenFromItem(it Item) (rec TokenRecord, te *tokenEvent, ok bool, err error) {
	if len(it.Data) == 0 {
		return TokenRecord{}, nil, false, nil
	}
	d, err := unmarshal[tokenItemData](it, nil)
	if err != nil {
		return TokenRecord{}, nil, false, err
	}
	rec = TokenRecord{JTI: d.JTI, ClientID: d.ClientID, AgentID: d.AgentID, Subject: d.Subject, Scope: d.Scope,
		Audience: d.Audience, JKT: d.JKT, KID: d.KID, GrantType: d.GrantType, IssuedAt: timeOf(d.IssuedAt),
		ExpiresAt: timeOf(d.ExpiresAt), RevokedAt: timeOf(d.RevokedAt), Delegation: d.Delegation,
		Family: d.Family, User: d.User, Version: it.Version}
	return rec, d.Event, d.JTI != "", nil
}

// putBy reports whether the token item it was put by the IssueToken whose
// tag is writer.
func putBy(it Item, writer string) bool {
	if writer == "" || len(it.Data) == 0 {
		return false
	}
	d, err := unmarshal[tokenItemData](it, nil)
	return err == nil && d.Writer == writer
}

// isTokenItem reports whether it is at a token item's key of scope sc.
func isTokenItem(sc scope, it Item) bool {
	p := tokenItemKey(sc, "")
	return it.SK == p.SK && len(it.PK) > len(p.PK) && it.PK[:len(p.PK)] == p.PK
}

// tokenLive reports whether rec has not expired at now, as the item of the
// older layout (expiring at expirySeconds(exp)) would.
func tokenLive(rec TokenRecord, now time.Time) bool {
	return expirySeconds(rec.ExpiresAt) > now.Unix()
}

// dpopPlaceholder is the write of a spent DPoP proof's mark: a placeholder at
// the token item's key the proof derives, absent until now.
func dpopPlaceholder(sc scope, m ReplayMark) write {
	return put(Item{Key: tokenItemKey(sc, ids.DerivedPart([]byte(m.Value))), ExpiresAt: expirySeconds(m.Until)}, CondAbsent)
}

// NewDPoPTokenIDs is NewTokenIDs for a token bound by a DPoP proof whose
// replay mark is proof (Kind "dpop", Value jkt|proof jti): the jti's random
// part derives from the mark's value, so the token item's key is the proof's
// replay mark. The jti's time and shard tag are the issue's, as NewTokenIDs.
func NewDPoPTokenIDs(at time.Time, shards int, proof ReplayMark) (jti, eventID string, eventAt time.Time) {
	jti, _, eventAt = NewTokenIDs(at, shards)
	_, tag, _ := ids.ParseTimeID(jti)
	jti = ids.DerivedTimeID(at, tag, []byte(proof.Value))
	eventID, _ = twinEventID(jti)
	return jti, eventID, eventAt
}

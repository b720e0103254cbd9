package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// The revocation feed (issue 24) publishes every revocation of a tenant in
// terms a resource server can apply to a JWT it already holds, so that it
// refuses a revoked token without a call per request. Each revocation writes
// ONE feed item in the same transaction as its marker (never a scan of
// tokens); an item lives until every token it can matter for has expired.
//
// Each item says which tokens it revokes from their claims alone:
//
//	kind     fields            a token is revoked when
//	token    jti, exp          its jti is jti (L1)
//	client   client_id, before client_id, sub or any act.sub is client_id and iat <= before
//	                           (revoke-all, deactivation, deletion, DPoP key change: L2;
//	                           a user's cascade deactivates each agent, one item each: L3)
//	user     sub, before       sub is the user and iat <= before (L3: the user's own grants)
//	pattern  pattern, before   client_id, sub or any act.sub matches the glob and iat <= before (L4)
//	tenant   disabled, before  iat <= before (L5); disabled: every token
//	key      kid               the JWS header's kid is kid (emergency rotation)
//	family   fam               its fam claim is fam (a user's grant family)
//
// before is in whole seconds (floor of the revocation instant): a token
// issued at or before the revocation has iat <= before, but so has a token
// issued in the same second just after it (a revoke-all, then a new token
// at once). before_ms is the instant in milliseconds: a verifier that reads
// the issue time in milliseconds from the jti (ids.TimeID) compares that
// instead, and refuses a later token only within the same millisecond.

// Feed item kinds.
const (
	FeedToken   = "token"
	FeedClient  = "client"
	FeedUser    = "user"
	FeedPattern = "pattern"
	FeedTenant  = "tenant"
	FeedKey     = "key"
	FeedFamily  = "family"
)

// FeedRetention is how long an item that covers tokens by time stays in the
// feed: longer than any access token lives (an agent's token lifetime is at
// most 24 h, a tenant's bound below that), as long as pattern revocations
// stay on the tenant.
const FeedRetention = maxPatternAge

// FeedLag is how far behind the present a feed cursor stays: a revocation
// whose transaction took its time stamp before a later one committed is
// still served to a poller that read in between. Items of the last FeedLag
// are served again on each poll (a verifier applies them idempotently).
const FeedLag = 15 * time.Second

// MaxFeedPage is the most items one feed page holds.
const MaxFeedPage = 500

// FeedEntry is one revocation as a verifier applies it (see the table above).
type FeedEntry struct {
	Kind     string `json:"kind"`
	JTI      string `json:"jti,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Subject  string `json:"sub,omitempty"`
	Pattern  string `json:"pattern,omitempty"`
	KID      string `json:"kid,omitempty"`
	Family   string `json:"fam,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
	// Before: tokens with iat <= Before (unix seconds) are revoked; 0 for
	// kinds that do not go by time.
	Before int64 `json:"before,omitempty"`
	// BeforeMS is the same instant in milliseconds, for a verifier that
	// reads a token's issue time from its jti (SharkAuth's jti begins with
	// it, JTIMillis): it then refuses only tokens issued up to that
	// millisecond, not the rest of the second.
	BeforeMS int64 `json:"before_ms,omitempty"`
	// Expires is when the item stops mattering (unix seconds): every token
	// it covers has expired by then.
	Expires int64 `json:"expires"`
}

// FeedPage is one poll of the feed. Next is the cursor of the next poll;
// More says another page is ready now.
type FeedPage struct {
	Entries []FeedEntry
	Next    string
	More    bool
}

// feedRecord is a feed item's stored form: the entries of one revocation
// (one, or one per client of a deactivation of several clients, so that
// the transaction holds one feed item whatever it revokes).
type feedRecord struct {
	Entries []FeedEntry `json:"entries"`
	At      time.Time   `json:"at"`
}

// feedWrite is the put of one feed item at now holding es (at least one).
// Its sort key orders the tenant's items by write time; the rest (kind and
// a digest of what it names) makes it unique, so writing the same
// revocation twice in one instant is one item. It lives as long as its
// longest-lived entry.
func feedWrite(sc scope, now time.Time, es ...FeedEntry) write {
	h := sha256.New()
	var until int64
	for i := range es {
		if es[i].Expires == 0 {
			es[i].Expires = now.Add(FeedRetention).Unix()
		}
		until = max(until, es[i].Expires)
		e := es[i]
		h.Write([]byte(e.Kind + "|" + e.JTI + "|" + e.ClientID + "|" + e.Subject + "|" + e.Pattern + "|" + e.KID + "|" + e.Family + "\n"))
	}
	return put(Item{
		Key:       feedKey(sc, now, es[0].Kind+"#"+hex.EncodeToString(h.Sum(nil)[:8])),
		ExpiresAt: expirySeconds(time.Unix(until, 0).Add(time.Minute)),
		Data:      marshal(feedRecord{Entries: es, At: now}),
	}, CondAlways)
}

// floorSeconds is the unix second of at (the iat of a token issued then).
func floorSeconds(at time.Time) int64 { return at.Unix() }

// clientFeed is the feed write of a client change from cur to next, if it
// revokes anything (a revoke-all, a DPoP key change, a deactivation).
func clientFeed(sc scope, cur, next Client, now time.Time) []write {
	e, ok := clientEntry(cur, next, now)
	if !ok {
		return nil
	}
	return []write{feedWrite(sc, now, e)}
}

// clientEntry is the feed entry of a client change, ok false when it
// revokes nothing.
func clientEntry(cur, next Client, now time.Time) (FeedEntry, bool) {
	moved := next.RevokedBefore.After(cur.RevokedBefore) || next.DPoPKeyRotatedAt.After(cur.DPoPKeyRotatedAt) ||
		cur.Active && !next.Active
	if !moved {
		return FeedEntry{}, false
	}
	before := later(next.RevokedBefore, next.DPoPKeyRotatedAt)
	if !next.Active {
		before = later(before, now)
	}
	return FeedEntry{Kind: FeedClient, ClientID: next.ClientID, Before: floorSeconds(before), BeforeMS: before.UnixMilli()}, true
}

// tenantFeed is the feed writes of a tenant change: a disable, a re-enable
// or a revoked-before moved (L5), new pattern revocations (L4), new revoked
// signing keys.
func tenantFeed(sc scope, cur, next Tenant, now time.Time) []write {
	var ws []write
	if next.RevokedBefore.After(cur.RevokedBefore) || next.Disabled != cur.Disabled {
		ws = append(ws, feedWrite(sc, now, FeedEntry{Kind: FeedTenant, Disabled: next.Disabled, Before: floorSeconds(next.RevokedBefore), BeforeMS: next.RevokedBefore.UnixMilli()}))
	}
	for _, p := range next.RevokedPatterns {
		if !slices.ContainsFunc(cur.RevokedPatterns, func(o PatternRevocation) bool { return o.ID == p.ID && o.At.Equal(p.At) }) {
			ws = append(ws, feedWrite(sc, now, FeedEntry{Kind: FeedPattern, Pattern: p.Pattern, Before: floorSeconds(p.At), BeforeMS: p.At.UnixMilli(),
				Expires: p.At.Add(FeedRetention).Unix()}))
		}
	}
	for _, kid := range next.RevokedKIDs {
		if !slices.Contains(cur.RevokedKIDs, kid) {
			ws = append(ws, feedWrite(sc, now, FeedEntry{Kind: FeedKey, KID: kid}))
		}
	}
	return ws
}

// Feed reads the tenant's revocation feed after cursor ("" from the start
// of what is kept), at most limit items and, but for one item of a batch,
// at most limit entries (0 or more than MaxFeedPage: MaxFeedPage). A cursor is sealed and bound to the tenant; another
// tenant's or a tampered one is ErrBadCursor.
func (s *Store) Feed(ctx context.Context, t tenant.ID, cursor string, limit int) (FeedPage, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return FeedPage{}, err
	}
	if limit <= 0 || limit > MaxFeedPage {
		limit = MaxFeedPage
	}
	binding := string(sc) + "|feed"
	q := Query{Partition: feedPartition(sc), Limit: limit}
	if cursor != "" {
		pos, err := s.cursors.open(ctx, cursor, binding)
		if err != nil {
			return FeedPage{}, err
		}
		if pos.PK != q.Partition {
			return FeedPage{}, ErrBadCursor
		}
		// After the cursor: From is inclusive, so from the least key
		// greater than it.
		q.From = pos.SK + "\x01"
	}
	now := s.Now()
	page, err := s.table.Query(ctx, q)
	if err != nil {
		return FeedPage{}, err
	}
	out := FeedPage{Entries: make([]FeedEntry, 0, len(page.Items)), More: page.Next != nil}
	from := strings.TrimSuffix(q.From, "\x01")
	last := from
	for _, it := range page.Items {
		rec, err := unmarshal[feedRecord](it, nil)
		if err != nil {
			return FeedPage{}, err
		}
		if len(out.Entries) > 0 && len(out.Entries)+len(rec.Entries) > limit {
			// An item of a batch (a deactivation of many clients) would
			// take the page past limit entries: it starts the next page.
			out.More = true
			break
		}
		for _, e := range rec.Entries {
			if e.Expires >= now.Unix() {
				out.Entries = append(out.Entries, e)
			}
		}
		last = it.SK
	}
	// Stay FeedLag behind the present (unless the page is full: a burst
	// must still move forward).
	if lag := max(feedSK(now.Add(-FeedLag), ""), from); !out.More && last > lag {
		last = lag
	}
	if last == "" {
		last = feedSK(time.Unix(0, 0), "")
	}
	if out.Next, err = s.cursors.seal(ctx, Position{PK: q.Partition, SK: last}, binding); err != nil {
		return FeedPage{}, err
	}
	return out, nil
}

// userFeed is the feed write of a user's cascade marker: the user's own
// grants (sub) issued until then. The user's agents are deactivated one by
// one after it (FinishUserRevocation), each with its own client item: a
// token names its client, not the user who created it.
func userFeed(sc scope, now time.Time, m UserRevocation) write {
	return feedWrite(sc, now, FeedEntry{Kind: FeedUser, Subject: m.UserID, Before: floorSeconds(m.At), BeforeMS: m.At.UnixMilli()})
}

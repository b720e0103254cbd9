package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store/table"
	"github.com/sharkauth/serverless/shared/tenant"
)

// MaxTokenLifetime bounds every access token's lifetime, whatever a tenant or
// client asks (the token endpoint caps at it, IssueToken refuses more): a
// token item lives for the audit retention, and the listings of a client's
// live tokens read only the items issued within this bound (a client issuing
// a token a minute has ~130,000 items in 90 days and ~1,440 in a day).
const MaxTokenLifetime = 24 * time.Hour

// liveTokensFrom is the least sort key of a client's token index that can
// hold a live token at now (the index is sorted by issue time first).
func liveTokensFrom(now time.Time) string {
	return sortableTime(now.Add(-MaxTokenLifetime - time.Minute))
}

// ErrReplay is a single-use value (ReplayMark) presented a second time.
var ErrReplay = errors.New("store: replayed")

func setTokenVersion(r *TokenRecord, v int64) { r.Version = v }

func tokenItem(sc scope, rec TokenRecord) Item {
	return Item{
		Key:    tokenKey(sc, rec.JTI),
		GSI1PK: clientTokensIndex(sc, rec.ClientID), GSI1SK: clientTokensSK(rec.IssuedAt, rec.JTI),
		ExpiresAt: expirySeconds(rec.ExpiresAt),
		Data:      marshal(rec),
	}
}

// expirySeconds is the item expiry for an instant: the first whole second at
// or after it, so an item never disappears before its record says.
func expirySeconds(at time.Time) int64 {
	s := at.Unix()
	if at.Nanosecond() > 0 {
		s++
	}
	return s
}

// Issuance is everything one token request writes, committed in ONE
// transaction or not at all: the token's record (expiring at its exp,
// listed under its client), the request's replay marks (each absent until
// now, expiring at its Until), the grant's own steps and the audit event.
type Issuance struct {
	Token TokenRecord
	Marks []ReplayMark
	Event AuditEvent
	// Steps are the grant's writes that stand or fall with the token: an
	// authorization code's single use, the rotation of the refresh token
	// presented. Their conditions are checked in the same transaction, so
	// two requests racing on one code or refresh token issue one token.
	Steps []IssueStep
}

// IssueStep is one write of a grant that joins a token's transaction. Only
// this package makes them (the tenant's key prefix is applied here alone):
// a grant gets one from a store function and passes it in Issuance.Steps.
type IssueStep interface {
	// writes are the step's writes in the tenant's scope.
	writes(sc scope) ([]write, error)
	// refused is the issue's error when the step's i-th write fails its
	// condition (nothing is written then).
	refused(i int) error
}

// A replay mark is the simplest step: absent until now.
func (m ReplayMark) writes(sc scope) ([]write, error) {
	w, err := replayWrite(sc, m)
	return []write{w}, err
}

func (m ReplayMark) refused(int) error { return fmt.Errorf("%w: %s value", ErrReplay, m.Kind) }

// IssueToken writes an issuance in one write. A replay mark seen before is
// ErrReplay; a step whose condition fails is the step's error; in both cases
// nothing is written.
//
// A token whose jti and event are twins (NewTokenIDs, NewDPoPTokenIDs) is one
// token item (tokenitem.go); its DPoP proof's mark, when the jti derives
// from it, is the item's key. With no other mark and no step, that is ONE
// conditional put; otherwise one transaction of the marks, the steps and the
// item. Any other token is written as before the token item: its record and
// its audit event, in one transaction with the marks and steps.
func (s *Store) IssueToken(ctx context.Context, t tenant.ID, is Issuance) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	rec := is.Token
	if rec.JTI == "" || rec.ClientID == "" || rec.ExpiresAt.IsZero() {
		return errors.New("store: token record without jti, client_id or exp")
	}
	if !rec.IssuedAt.IsZero() && rec.ExpiresAt.Sub(rec.IssuedAt) > MaxTokenLifetime {
		return fmt.Errorf("store: token lifetime %s over the bound %s", rec.ExpiresAt.Sub(rec.IssuedAt), MaxTokenLifetime)
	}
	random, itemLayout := tokenItemable(rec, is.Event)
	marks := is.Marks
	var bound *ReplayMark // the DPoP mark the item's key derives from
	if itemLayout {
		if i := slices.IndexFunc(marks, func(m ReplayMark) bool {
			return m.Kind == "dpop" && m.Value != "" && ids.DerivedPart([]byte(m.Value)) == random
		}); i >= 0 {
			bound = &marks[i]
			if len(marks) == 1 {
				marks = nil // the DPoP token's usual case: no copy
			} else {
				marks = slices.Delete(slices.Clone(marks), i, i+1)
			}
		}
	}
	var item Item
	itemRefused := func() error {
		if bound != nil {
			return bound.refused(0)
		}
		return fmt.Errorf("%w: token %s exists", ErrConflict, rec.JTI)
	}
	if itemLayout {
		expires := max(is.Event.CreatedAt.Add(s.table.retention(ctx, sc, nil)).Unix(), expirySeconds(rec.ExpiresAt))
		te := compactEvent(rec, is.Event)
		// The item is built once: tagged with its writer on the single
		// put, untagged in a transaction (which has an idempotency token).
		// tokenItemable proved is.Event.ID the jti's twin.
		single := len(marks) == 0 && len(is.Steps) == 0
		writer := ""
		if single {
			writer = strconv.FormatInt(randN(1<<62), 36)
		}
		item = tokenItemAt(sc, rec, random, is.Event.ID, te, expires, writer)
		if single {
			_, err := s.table.Put(ctx, item, CondAbsent)
			if errors.Is(err, ErrConditionFailed) {
				// Our own put, applied but answered as failed (a retry
				// after a lost answer: a single put has no idempotency
				// token, a transaction has), or someone else's item.
				if got, gerr := s.table.Get(ctx, item.Key); gerr == nil && putBy(got, writer) {
					return nil
				}
				return itemRefused()
			}
			return err
		}
	}
	steps := make([]IssueStep, 0, len(marks)+len(is.Steps))
	for _, m := range marks {
		steps = append(steps, m)
	}
	steps = append(steps, is.Steps...)
	writes := make([]write, 0, len(steps)+2)
	owner := make([]int, 0, len(steps)) // owner[i]: the step of writes[i]
	for n, st := range steps {
		ws, err := st.writes(sc)
		if err != nil {
			return err
		}
		writes = append(writes, ws...)
		for range ws {
			owner = append(owner, n)
		}
	}
	if itemLayout {
		writes = append(writes, put(item, CondAbsent))
	} else {
		writes = append(writes, put(tokenItem(sc, rec), CondAbsent), auditWrite(sc, is.Event))
	}
	err = s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	switch {
	case errors.As(err, &canceled) && canceled.Index >= 0 && canceled.Index < len(owner):
		n := owner[canceled.Index]
		first := slices.Index(owner, n)
		return steps[n].refused(canceled.Index - first)
	case errors.As(err, &canceled):
		return itemRefused()
	case errors.Is(err, ErrTxConflict):
		return err // lost to a concurrent transaction: transient (503), not a conflict
	}
	return err
}

// GetToken reads an issued token record by jti. An expired one is ErrNotFound.
func (s *Store) GetToken(ctx context.Context, t tenant.ID, jti string) (TokenRecord, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return TokenRecord{}, err
	}
	rec, _, err := s.readToken(ctx, sc, jti)
	return rec, err
}

// readToken reads the live token jti: its token item (returned too), else,
// for a token issued before the token item, its record (a zero Item).
func (s *Store) readToken(ctx context.Context, sc scope, jti string) (TokenRecord, Item, error) {
	if jti == "" {
		return TokenRecord{}, Item{}, ErrNotFound
	}
	if random, ok := ids.RandomPart(jti); ok {
		it, err := s.table.Get(ctx, tokenItemKey(sc, random))
		switch {
		case err == nil:
			rec, _, ok, err := tokenFromItem(it)
			if err != nil {
				return TokenRecord{}, Item{}, err
			}
			if ok && rec.JTI == jti {
				if !tokenLive(rec, s.Now()) {
					return TokenRecord{}, Item{}, ErrNotFound
				}
				return rec, it, nil
			}
			// A placeholder, or another jti's item: no such token.
			return TokenRecord{}, Item{}, ErrNotFound
		case !errors.Is(err, ErrNotFound):
			return TokenRecord{}, Item{}, err
		}
	}
	rec, err := get(ctx, s, tokenKey(sc, jti), setTokenVersion)
	return rec, Item{}, err
}

// RevokeToken marks one token revoked (L1) with its audit event. An unknown or
// expired jti is ErrNotFound. Revoking a revoked token keeps the first time
// and writes nothing, so revocations that race all succeed and the trail
// holds one event (RFC 7009 §2.2: revoking a revoked token is a success).
func (s *Store) RevokeToken(ctx context.Context, t tenant.ID, jti string, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return err
		}
		rec, it, err := s.readToken(ctx, sc, jti)
		if err != nil {
			return err
		}
		if !rec.RevokedAt.IsZero() {
			return nil
		}
		rec.RevokedAt = ev.CreatedAt
		if rec.RevokedAt.IsZero() {
			rec.RevokedAt = s.Now()
		}
		updated := tokenItem(sc, rec)
		if it.PK != "" { // a token item: its event part and expiry unchanged
			_, te, _, _ := tokenFromItem(it)
			updated = tokenItemOf(sc, rec, te, it.ExpiresAt)
		}
		err = s.table.Transact(ctx, []write{put(updated, CondVersion(rec.Version)), auditWrite(sc, ev),
			feedWrite(sc, s.Now(), FeedEntry{Kind: FeedToken, JTI: rec.JTI, Expires: expirySeconds(rec.ExpiresAt)})})
		var canceled *TxCanceled
		if errors.As(err, &canceled) && canceled.Index == 0 || errors.Is(err, ErrTxConflict) {
			continue // changed or expired since read: read again
		}
		return err
	}
	return contended("token changed concurrently")
}

// ListClientTokens pages through the live tokens issued to a client, newest
// first: token items and records of the older layout, one GSI1 partition.
// Token items outlive their tokens (they keep the issue event for the audit
// retention): expired ones are skipped.
func (s *Store) ListClientTokens(ctx context.Context, t tenant.ID, clientID string, pr PageRequest) (ListPage[TokenRecord], error) {
	var out ListPage[TokenRecord]
	sc, err := scopeOf(t)
	if err != nil {
		return out, err
	}
	binding := string(sc) + "|tokens|" + clientID
	now := s.Now()
	q := Query{Index: GSI1, Partition: clientTokensIndex(sc, clientID), Desc: true, From: liveTokensFrom(now)}
	if pr.Cursor != "" {
		pos, err := s.cursors.open(ctx, pr.Cursor, binding)
		if err != nil {
			return out, err
		}
		q.After = &pos
	}
	limit := pr.limit()
	q.Limit = limit + 1
	var last *Position
	for {
		page, err := s.table.Query(ctx, q)
		if err != nil {
			return out, err
		}
		for _, it := range page.Items {
			rec, ok, err := clientToken(sc, it, now)
			if err != nil {
				return out, err
			}
			if !ok {
				continue
			}
			if len(out.Items) == limit { // one more exists: this page ends at last
				out.Next, err = s.cursors.seal(ctx, *last, binding)
				return out, err
			}
			out.Items = append(out.Items, rec)
			last = table.PositionOf(it, GSI1)
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// clientToken decodes an item of a client's token index: a live token (ok),
// or something to skip (an expired token item).
func clientToken(sc scope, it Item, now time.Time) (TokenRecord, bool, error) {
	if !isTokenItem(sc, it) {
		rec, err := unmarshal(it, setTokenVersion)
		return rec, err == nil, err
	}
	rec, _, ok, err := tokenFromItem(it)
	return rec, ok && err == nil && tokenLive(rec, now), err
}

// ClientTokens reads every live token record of a client (for counts shown by
// the admin API; revocation itself never scans tokens).
func (s *Store) ClientTokens(ctx context.Context, t tenant.ID, clientID string) ([]TokenRecord, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	var out []TokenRecord
	now := s.Now()
	q := Query{Index: GSI1, Partition: clientTokensIndex(sc, clientID), Desc: true, Limit: MaxQueryLimit, From: liveTokensFrom(now)}
	for {
		page, err := s.table.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			rec, ok, err := clientToken(sc, it, now)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, rec)
			}
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

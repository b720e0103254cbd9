package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

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

// IssueToken writes an issuance in one transaction. A replay mark seen
// before is ErrReplay; a step whose condition fails is the step's error;
// in both cases nothing is written.
func (s *Store) IssueToken(ctx context.Context, t tenant.ID, is Issuance) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	rec := is.Token
	if rec.JTI == "" || rec.ClientID == "" || rec.ExpiresAt.IsZero() {
		return errors.New("store: token record without jti, client_id or exp")
	}
	steps := make([]IssueStep, 0, len(is.Marks)+len(is.Steps))
	for _, m := range is.Marks {
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
	writes = append(writes, put(tokenItem(sc, rec), CondAbsent), auditWrite(sc, is.Event))
	err = s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	switch {
	case errors.As(err, &canceled) && canceled.Index >= 0 && canceled.Index < len(owner):
		n := owner[canceled.Index]
		first := slices.Index(owner, n)
		return steps[n].refused(canceled.Index - first)
	case errors.As(err, &canceled):
		return fmt.Errorf("%w: token %s exists", ErrConflict, rec.JTI)
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
	if jti == "" {
		return TokenRecord{}, ErrNotFound
	}
	return get(ctx, s, tokenKey(sc, jti), setTokenVersion)
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
		rec, err := s.GetToken(ctx, t, jti)
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
		err = s.table.Transact(ctx, []write{put(tokenItem(sc, rec), CondVersion(rec.Version)), auditWrite(sc, ev),
			feedWrite(sc, s.Now(), FeedEntry{Kind: FeedToken, JTI: rec.JTI, Expires: expirySeconds(rec.ExpiresAt)})})
		var canceled *TxCanceled
		if errors.As(err, &canceled) && canceled.Index == 0 || errors.Is(err, ErrTxConflict) {
			continue // changed or expired since read: read again
		}
		return err
	}
	return contended("token changed concurrently")
}

// ListClientTokens pages through the live tokens issued to a client, newest first.
func (s *Store) ListClientTokens(ctx context.Context, t tenant.ID, clientID string, pr PageRequest) (ListPage[TokenRecord], error) {
	sc, err := scopeOf(t)
	if err != nil {
		return ListPage[TokenRecord]{}, err
	}
	q := Query{Index: GSI1, Partition: clientTokensIndex(sc, clientID), Desc: true}
	return list(ctx, s, q, string(sc)+"|tokens|"+clientID, pr, setTokenVersion)
}

// ClientTokens reads every live token record of a client (for counts shown by
// the admin API; revocation itself never scans tokens).
func (s *Store) ClientTokens(ctx context.Context, t tenant.ID, clientID string) ([]TokenRecord, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	return all(ctx, s, Query{Index: GSI1, Partition: clientTokensIndex(sc, clientID), Desc: true}, setTokenVersion)
}

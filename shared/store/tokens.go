package store

import (
	"context"
	"errors"
	"fmt"
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

// IssueToken writes the replay marks (each absent until now, expiring at its
// Until), the token record (expiring at its exp, listed under its client) and
// the audit event in one transaction. A mark seen before is ErrReplay, and
// nothing is written.
func (s *Store) IssueToken(ctx context.Context, t tenant.ID, rec TokenRecord, marks []ReplayMark, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if rec.JTI == "" || rec.ClientID == "" || rec.ExpiresAt.IsZero() {
		return errors.New("store: token record without jti, client_id or exp")
	}
	writes := make([]Write, 0, len(marks)+2)
	for _, m := range marks {
		if m.Kind == "" || m.Value == "" || m.Until.IsZero() {
			return errors.New("store: replay mark without kind, value or expiry")
		}
		writes = append(writes, put(Item{Key: replayKey(sc, m.Kind, m.Value), ExpiresAt: expirySeconds(m.Until), Data: []byte(m.Kind)}, CondAbsent))
	}
	writes = append(writes, put(tokenItem(sc, rec), CondAbsent), auditWrite(sc, ev))
	err = s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	switch {
	case errors.As(err, &canceled) && canceled.Index < len(marks):
		return fmt.Errorf("%w: %s value", ErrReplay, marks[canceled.Index].Kind)
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
		err = s.table.Transact(ctx, []Write{put(tokenItem(sc, rec), CondVersion(rec.Version)), auditWrite(sc, ev)})
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

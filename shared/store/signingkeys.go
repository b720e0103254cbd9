package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

func setSigningKeyVersion(k *SigningKey, v int64) { k.Version = v }

// SigningKeys returns every stored signing key of a tenant, in kid order.
func (s *Store) SigningKeys(ctx context.Context, t tenant.ID) ([]SigningKey, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	return all(ctx, s, Query{Partition: signingKeyPartition(sc)}, setSigningKeyVersion)
}

// GetSigningKey reads one signing key of a tenant.
func (s *Store) GetSigningKey(ctx context.Context, t tenant.ID, kid string) (SigningKey, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return SigningKey{}, err
	}
	return get(ctx, s, signingKeyKey(sc, kid), setSigningKeyVersion)
}

// SaveSigningKeys writes a change of a tenant's key set in one transaction:
// keys with a Version are updated only if unchanged since read, keys without
// one are created. ev records the change.
func (s *Store) SaveSigningKeys(ctx context.Context, t tenant.ID, keys []SigningKey, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("store: no signing keys to save")
	}
	writes := make([]write, 0, len(keys)+1)
	for _, k := range keys {
		cond := CondAbsent
		if k.Version > 0 {
			cond = CondVersion(k.Version)
		}
		writes = append(writes, put(signingKeyItem(sc, k), cond))
	}
	writes = append(writes, auditWrite(sc, ev))
	return s.transact(ctx, writes, func(i int) string {
		if i < len(keys) {
			return "signing key " + keys[i].KID + " changed concurrently or exists"
		}
		return "audit event exists"
	})
}

// Rotation modes (WIRE §7.6).
const (
	RotateScheduled = "scheduled"
	RotateEmergency = "emergency"
)

// RotateSigningKey adds fresh (a new key with a new kid) to the tenant's keys
// of fresh's algorithm with ev, in one transaction; keys of the other
// algorithm are left alone.
//
// Scheduled: fresh is published as next (replacing a pending next key, which
// never signed); it becomes current when PromoteSigningKey finds it published
// long enough. Emergency: fresh is current at once; the current and next keys
// are retired with no publication time left (they leave the JWKS now) and their
// kids are added to the tenant's RevokedKIDs, so the tokens they signed are
// inactive; the tenant record changes in the same transaction. When the
// tenant has no current key of the algorithm (its first RS256 key), fresh is
// current at once in either mode: no token of that algorithm exists to
// overlap with.
func (s *Store) RotateSigningKey(ctx context.Context, t tenant.ID, fresh SigningKey, mode string, ev AuditEvent) (SigningKey, error) {
	if mode != RotateScheduled && mode != RotateEmergency {
		return SigningKey{}, errors.New("store: unknown rotation mode " + mode)
	}
	k, _, err := s.addSigningKey(ctx, t, fresh, mode, ev)
	return k, err
}

// EnsureSigningKey stores fresh as the tenant's current key of its algorithm
// when the tenant has no current key of that algorithm, with ev, in one
// transaction. It returns the tenant's current key of the algorithm and
// whether that is fresh; when it is not, nothing was written (the caller
// discards fresh). Concurrent callers store one key between them: the
// transaction is conditioned on the tenant record's version.
func (s *Store) EnsureSigningKey(ctx context.Context, t tenant.ID, fresh SigningKey, ev AuditEvent) (SigningKey, bool, error) {
	return s.addSigningKey(ctx, t, fresh, "", ev)
}

// addSigningKey is RotateSigningKey (mode scheduled or emergency) and
// EnsureSigningKey (mode ""): it reports whether fresh was stored.
func (s *Store) addSigningKey(ctx context.Context, t tenant.ID, fresh SigningKey, mode string, ev AuditEvent) (SigningKey, bool, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return SigningKey{}, false, err
	}
	alg := fresh.Algorithm()
	now := s.Now()
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return SigningKey{}, false, err
		}
		// The tenant record before the keys: a key added after this read
		// changed the tenant's version, so this round's write fails.
		tn, err := s.GetTenant(ctx, t)
		if err != nil {
			return SigningKey{}, false, err
		}
		keys, err := s.SigningKeys(ctx, t)
		if err != nil {
			return SigningKey{}, false, err
		}
		fresh.Version, fresh.CreatedAt = 0, now
		fresh.RetiredAt, fresh.PublishUntil = time.Time{}, time.Time{}
		first := true
		for _, k := range keys {
			if k.KID == fresh.KID {
				return SigningKey{}, false, fmt.Errorf("%w: kid %s exists", ErrConflict, k.KID)
			}
			if k.State == KeyCurrent && k.Algorithm() == alg {
				if mode == "" {
					return k, false, nil
				}
				first = false
			}
		}
		var writes []write
		var dropped []string
		for _, k := range keys {
			if k.Algorithm() != alg {
				continue
			}
			retire := k.State == KeyNext || (mode == RotateEmergency && k.State == KeyCurrent)
			if !retire {
				continue
			}
			if k.State == KeyCurrent || mode == RotateEmergency {
				dropped = append(dropped, k.KID)
			}
			k.State, k.RetiredAt, k.PublishUntil = KeyRetired, now, now
			writes = append(writes, put(signingKeyItem(sc, k), CondVersion(k.Version)))
		}
		switch {
		case mode == RotateEmergency || first:
			// The tenant record is written (version-conditioned) by an
			// emergency rotation for its revoked kids, and by a first key of
			// an algorithm so that racing callers store one between them.
			fresh.State, fresh.ActivatedAt = KeyCurrent, now
			tn.RevokedKIDs = append(tn.RevokedKIDs, dropped...)
			tn.UpdatedAt = now
			writes = append(writes, put(tenantItem(sc, tn), CondVersion(tn.Version)))
			for _, kid := range dropped {
				writes = append(writes, feedWrite(sc, now, FeedEntry{Kind: FeedKey, KID: kid}))
			}
		default:
			fresh.State, fresh.ActivatedAt = KeyNext, time.Time{}
		}
		writes = append(writes, put(signingKeyItem(sc, fresh), CondAbsent), auditWrite(sc, ev))
		err = s.table.Transact(ctx, writes)
		var canceled *TxCanceled
		switch {
		case err == nil:
			fresh.Version = 1
			return fresh, true, nil
		case errors.As(err, &canceled) && canceled.Index == len(writes)-2:
			return SigningKey{}, false, fmt.Errorf("%w: kid %s exists", ErrConflict, fresh.KID)
		case errors.As(err, &canceled), errors.Is(err, ErrTxConflict):
			continue
		default:
			return SigningKey{}, false, err
		}
	}
	return SigningKey{}, false, contended("signing keys changed concurrently")
}

func signingKeyItem(sc scope, k SigningKey) Item {
	it := Item{Key: signingKeyKey(sc, k.KID), Data: marshal(k)}
	if k.State == KeyRetired && !k.PublishUntil.IsZero() {
		// A retired key leaves the table once no token it signed can be valid.
		it.ExpiresAt = k.PublishUntil.Unix()
	}
	return it
}

// DueNext returns the tenant's next key when it has been published for at
// least publishedFor at now (so every JWKS cache has seen it).
func DueNext(keys []SigningKey, now time.Time, publishedFor time.Duration) (SigningKey, bool) {
	for _, k := range keys {
		if k.State == KeyNext && !now.Before(k.CreatedAt.Add(publishedFor)) {
			return k, true
		}
	}
	return SigningKey{}, false
}

// PromoteSigningKey makes a due next key (DueNext) current and retires the
// current one of the same algorithm, which stays published for keepPublished
// (the longest token lifetime), with ev, in one transaction. Whoever signs next calls it; it
// reports whether it promoted. Losing to a concurrent promoter is not an error.
func (s *Store) PromoteSigningKey(ctx context.Context, t tenant.ID, publishedFor, keepPublished time.Duration, ev AuditEvent) (bool, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return false, err
	}
	keys, err := s.SigningKeys(ctx, t)
	if err != nil {
		return false, err
	}
	now := s.Now()
	next, ok := DueNext(keys, now, publishedFor)
	if !ok {
		return false, nil
	}
	var writes []write
	for _, k := range keys {
		if k.State == KeyCurrent && k.Algorithm() == next.Algorithm() {
			k.State, k.RetiredAt, k.PublishUntil = KeyRetired, now, now.Add(keepPublished)
			writes = append(writes, put(signingKeyItem(sc, k), CondVersion(k.Version)))
		}
	}
	next.State, next.ActivatedAt = KeyCurrent, now
	writes = append(writes, put(signingKeyItem(sc, next), CondVersion(next.Version)), auditWrite(sc, ev))
	err = s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	if errors.As(err, &canceled) || errors.Is(err, ErrTxConflict) {
		// Another signer may have promoted it: that is not an error.
		if k, gerr := s.GetSigningKey(ctx, t, next.KID); gerr == nil && k.State == KeyCurrent {
			return false, nil
		}
		return false, contended("signing keys changed concurrently")
	}
	return err == nil, err
}

package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/tenant"
)

func setAPIKeyVersion(k *APIKey, v int64) { k.Version = v }

// apiKeyWrites stores an admin key under its id and under its hash, so that
// authentication is one strongly consistent read.
func apiKeyWrites(sc scope, k APIKey) []write {
	data := marshal(k)
	return []write{
		put(Item{Key: apiKeyKey(sc, k.ID), Data: data}, CondAbsent),
		put(Item{Key: apiKeyHashKey(sc, hex.EncodeToString(k.Hash)), Data: data}, CondAbsent),
	}
}

// CreateAPIKey stores a new admin key of a tenant with its audit event.
func (s *Store) CreateAPIKey(ctx context.Context, t tenant.ID, k APIKey, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if len(k.Hash) == 0 || k.ID == "" {
		return fmt.Errorf("store: admin key without id or hash")
	}
	writes := append(apiKeyWrites(sc, k), auditWrite(sc, ev))
	return s.transact(ctx, writes, func(int) string { return "admin key " + k.ID + " exists" })
}

// GetAPIKey reads a tenant's admin key by id.
func (s *Store) GetAPIKey(ctx context.Context, t tenant.ID, id string) (APIKey, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return APIKey{}, err
	}
	return get(ctx, s, apiKeyKey(sc, id), setAPIKeyVersion)
}

// APIKeyByHash finds a tenant's admin key by the SHA-256 of its secret. A key of
// another tenant is ErrNotFound: the lookup never leaves the tenant's scope.
func (s *Store) APIKeyByHash(ctx context.Context, t tenant.ID, hash []byte) (APIKey, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return APIKey{}, err
	}
	return get(ctx, s, apiKeyHashKey(sc, hex.EncodeToString(hash)), setAPIKeyVersion)
}

// ListAPIKeys returns every admin key of a tenant, in id order.
func (s *Store) ListAPIKeys(ctx context.Context, t tenant.ID) ([]APIKey, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	return all(ctx, s, Query{Partition: apiKeyPartition(sc)}, setAPIKeyVersion)
}

// ErrLastAdminKey is the revocation of a tenant's last active admin key with scope "*".
var ErrLastAdminKey = errors.New("store: last admin key")

// IsAdmin reports whether the key carries scope "*".
func (k APIKey) IsAdmin() bool { return slices.Contains(k.Scopes, "*") }

// ActiveAt reports whether the key authenticates at now.
func (k APIKey) ActiveAt(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// KeyVerdict is why an admin key does or does not authenticate (APIKey.Check).
type KeyVerdict int

// The verdicts, in the order Check tests them.
const (
	KeyValid    KeyVerdict = iota // authenticates, with scope "*"
	KeyMismatch                   // the secret is not this key's
	KeyRevoked                    // revoked (at any time before now)
	KeyExpired                    // at or past its expiry
	KeyNotAdmin                   // authenticates but lacks scope "*"
)

// Check is the one verdict on an admin key presented as secret at now: the
// secret's digest compared with the stored one in constant time, then
// revocation, expiry (a key is expired at its ExpiresAt instant) and scope.
// Every caller that accepts admin keys maps the verdict to its own error shape.
func (k APIKey) Check(secret string, now time.Time) KeyVerdict {
	switch {
	case !ids.Matches(secret, k.Hash):
		return KeyMismatch
	case !k.RevokedAt.IsZero():
		return KeyRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return KeyExpired
	case !k.IsAdmin():
		return KeyNotAdmin
	}
	return KeyValid
}

// apiKeyUpdates rewrites both items of a key read at k.Version.
func apiKeyUpdates(sc scope, k APIKey) []write {
	data := marshal(k)
	return []write{
		put(Item{Key: apiKeyKey(sc, k.ID), Data: data}, CondVersion(k.Version)),
		put(Item{Key: apiKeyHashKey(sc, hex.EncodeToString(k.Hash)), Data: data}, CondExists),
	}
}

// RevokeAPIKey revokes an admin key with its audit event. Revoking the last
// active key with scope "*" is ErrLastAdminKey; the guard is atomic: the
// transaction also checks that another active "*" key is unchanged since
// read, so two concurrent revocations of the last two keys cannot both win.
// Revoking a revoked key returns it unchanged; an unknown id is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, t tenant.ID, id string, ev AuditEvent) (APIKey, error) {
	return s.replaceAPIKey(ctx, t, id, nil, ev)
}

// RotateAPIKey creates next and revokes the key id in one transaction with ev;
// next inherits nothing (the caller fills it). The old key must be active.
func (s *Store) RotateAPIKey(ctx context.Context, t tenant.ID, id string, next APIKey, ev AuditEvent) (APIKey, error) {
	if len(next.Hash) == 0 || next.ID == "" {
		return APIKey{}, errors.New("store: admin key without id or hash")
	}
	return s.replaceAPIKey(ctx, t, id, &next, ev)
}

func (s *Store) replaceAPIKey(ctx context.Context, t tenant.ID, id string, next *APIKey, ev AuditEvent) (APIKey, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return APIKey{}, err
	}
	now := s.Now()
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return APIKey{}, err
		}
		keys, err := s.ListAPIKeys(ctx, t)
		if err != nil {
			return APIKey{}, err
		}
		i := slices.IndexFunc(keys, func(k APIKey) bool { return k.ID == id })
		if i < 0 {
			return APIKey{}, ErrNotFound
		}
		k := keys[i]
		if !k.RevokedAt.IsZero() {
			if next != nil {
				return APIKey{}, fmt.Errorf("%w: key %s is revoked", ErrConflict, id)
			}
			return k, nil
		}
		k.RevokedAt = now
		writes := apiKeyUpdates(sc, k)
		if next != nil {
			writes = append(writes, apiKeyWrites(sc, *next)...)
		} else if k.IsAdmin() {
			j := slices.IndexFunc(keys, func(o APIKey) bool { return o.ID != id && o.IsAdmin() && o.ActiveAt(now) })
			if j < 0 {
				return APIKey{}, ErrLastAdminKey
			}
			writes = append(writes, check(apiKeyKey(sc, keys[j].ID), CondVersion(keys[j].Version)))
		}
		writes = append(writes, auditWrite(sc, ev))
		err = s.table.Transact(ctx, writes)
		var canceled *TxCanceled
		switch {
		case err == nil:
			k.Version++
			return k, nil
		case errors.As(err, &canceled) && next != nil && canceled.Index >= 2 && canceled.Index < 4:
			return APIKey{}, fmt.Errorf("%w: admin key %s exists", ErrConflict, next.ID)
		case errors.As(err, &canceled), errors.Is(err, ErrTxConflict):
			continue // a key changed since read: decide again
		default:
			return APIKey{}, err
		}
	}
	return APIKey{}, contended("admin keys changed concurrently")
}

package store

import (
	"context"
	"errors"

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
	writes := make([]Write, 0, len(keys)+1)
	for _, k := range keys {
		cond := CondAbsent
		if k.Version > 0 {
			cond = CondVersion(k.Version)
		}
		it := Item{Key: signingKeyKey(sc, k.KID), Data: marshal(k)}
		if k.State == KeyRetired && !k.PublishUntil.IsZero() {
			// A retired key leaves the table once no token it signed can be valid.
			it.ExpiresAt = k.PublishUntil.Unix()
		}
		writes = append(writes, put(it, cond))
	}
	writes = append(writes, auditWrite(sc, ev))
	return s.transact(ctx, writes, func(i int) string {
		if i < len(keys) {
			return "signing key " + keys[i].KID + " changed concurrently or exists"
		}
		return "audit event exists"
	})
}

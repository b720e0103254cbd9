package store

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/sharkauth/serverless/shared/tenant"
)

func setAPIKeyVersion(k *APIKey, v int64) { k.Version = v }

// apiKeyWrites stores an admin key under its id and under its hash, so that
// authentication is one strongly consistent read.
func apiKeyWrites(sc scope, k APIKey) []Write {
	data := marshal(k)
	return []Write{
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

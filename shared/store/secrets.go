package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
)

// platformSecretSize is the size of every platform secret (256 bits).
const platformSecretSize = 32

// DPoPNonceSecret returns the deployment's key for DPoP server nonces (RFC
// 9449 §8), creating it on first use. Every process of a deployment reads the
// same key, so a nonce one Lambda container issued is accepted by another. It
// is a platform item: a nonce binds its tenant itself (dpop.Nonces MACs the
// tenant id with it). Callers keep it for the life of the process.
func (s *Store) DPoPNonceSecret(ctx context.Context) ([]byte, error) {
	return s.platformSecret(ctx, dpopNonceSecretKey())
}

// platformSecret reads the random secret at k, writing one first when there
// is none; a concurrent first writer's secret wins for everyone.
func (s *Store) platformSecret(ctx context.Context, k Key) ([]byte, error) {
	it, err := s.table.Get(ctx, k)
	if errors.Is(err, ErrNotFound) {
		secret := make([]byte, platformSecretSize)
		rand.Read(secret)
		_, err = s.table.Put(ctx, Item{Key: k, Data: secret}, CondAbsent)
		if err != nil && !errors.Is(err, ErrConditionFailed) {
			return nil, fmt.Errorf("store: platform secret: %w", err)
		}
		it, err = s.table.Get(ctx, k) // read back: the winner's secret
	}
	if err != nil {
		return nil, fmt.Errorf("store: platform secret: %w", err)
	}
	if len(it.Data) != platformSecretSize {
		return nil, errors.New("store: platform secret: malformed item")
	}
	return bytes.Clone(it.Data), nil
}

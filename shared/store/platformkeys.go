package store

import (
	"context"
	"encoding/hex"
)

func setPlatformKeyVersion(k *PlatformKey, v int64) { k.Version = v }

// CreatePlatformKey stores a platform operator key (by its hash only).
func (s *Store) CreatePlatformKey(ctx context.Context, k PlatformKey) error {
	_, err := s.table.Put(ctx, Item{Key: platformKeyKey(hex.EncodeToString(k.Hash)), Data: marshal(k)}, CondAbsent)
	if err != nil {
		return s.conflict(err, "platform key exists")
	}
	return nil
}

// PlatformKeyByHash finds a platform key by the SHA-256 of its secret.
func (s *Store) PlatformKeyByHash(ctx context.Context, hash []byte) (PlatformKey, error) {
	return get(ctx, s, platformKeyKey(hex.EncodeToString(hash)), setPlatformKeyVersion)
}

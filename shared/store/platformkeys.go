package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
)

func setPlatformKeyVersion(k *PlatformKey, v int64) { k.Version = v }

// CreatePlatformKey stores a platform operator key (by its hash only).
func (s *Store) CreatePlatformKey(ctx context.Context, k PlatformKey) error {
	data := marshal(k)
	key := platformKeyKey(hex.EncodeToString(k.Hash))
	_, err := s.table.Put(ctx, Item{Key: key, Data: data}, CondAbsent)
	if errors.Is(err, ErrConditionFailed) {
		// A retried put whose first attempt was stored (its answer lost)
		// finds its own record: that is success, not a conflict.
		if it, gerr := s.table.Get(ctx, key); gerr == nil && bytes.Equal(it.Data, data) {
			return nil
		}
	}
	if err != nil {
		return s.conflict(err, "platform key exists")
	}
	return nil
}

// PlatformKeyByHash finds a platform key by the SHA-256 of its secret.
func (s *Store) PlatformKeyByHash(ctx context.Context, hash []byte) (PlatformKey, error) {
	return get(ctx, s, platformKeyKey(hex.EncodeToString(hash)), setPlatformKeyVersion)
}

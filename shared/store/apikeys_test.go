package store_test

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// TestAPIKeyCheck is the one admin-key verdict both the admin function and
// the token function's revoke/introspect callers map to their errors.
func TestAPIKeyCheck(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	secret := ids.NewKey(ids.AdminKeyPrefix)
	key := store.APIKey{Hash: ids.Hash(secret), Scopes: []string{"*"}}
	with := func(edit func(*store.APIKey)) store.APIKey { k := key; edit(&k); return k }
	cases := []struct {
		name   string
		key    store.APIKey
		secret string
		want   store.KeyVerdict
	}{
		{"valid", key, secret, store.KeyValid},
		{"valid before expiry", with(func(k *store.APIKey) { k.ExpiresAt = now.Add(time.Second) }), secret, store.KeyValid},
		{"another secret", key, ids.NewKey(ids.AdminKeyPrefix), store.KeyMismatch},
		{"empty secret", key, "", store.KeyMismatch},
		{"no stored hash", with(func(k *store.APIKey) { k.Hash = nil }), secret, store.KeyMismatch},
		{"truncated hash", with(func(k *store.APIKey) { k.Hash = k.Hash[:16] }), secret, store.KeyMismatch},
		{"revoked", with(func(k *store.APIKey) { k.RevokedAt = now.Add(-time.Hour) }), secret, store.KeyRevoked},
		{"revoked later still revoked now", with(func(k *store.APIKey) { k.RevokedAt = now.Add(time.Hour) }), secret, store.KeyRevoked},
		{"expired at the instant", with(func(k *store.APIKey) { k.ExpiresAt = now }), secret, store.KeyExpired},
		{"expired", with(func(k *store.APIKey) { k.ExpiresAt = now.Add(-time.Second) }), secret, store.KeyExpired},
		{"no scope *", with(func(k *store.APIKey) { k.Scopes = []string{"agents:read"} }), secret, store.KeyNotAdmin},
		{"mismatch wins over revoked", with(func(k *store.APIKey) { k.RevokedAt = now }), "sk_live_x", store.KeyMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.key.Check(tc.secret, now); got != tc.want {
				t.Fatalf("Check = %d, want %d", got, tc.want)
			}
		})
	}
}

package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func domainAdminKeys(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	first := fx.n.AdminKey
	ev := func(name, id string) store.AuditEvent { return event(e.s.Now(), name, id) }
	newKey := func(scopes ...string) (store.APIKey, string) {
		secret := ids.NewKey(ids.AdminKeyPrefix)
		return store.APIKey{ID: ids.New("key_"), Name: "k", Hash: ids.Hash(secret), Prefix: secret[:12], Suffix: secret[len(secret)-4:], Scopes: scopes, CreatedAt: e.s.Now()}, secret
	}

	t.Run("the last admin key cannot be revoked", func(t *testing.T) {
		_, err := e.s.RevokeAPIKey(ctx, fx.id, first.ID, ev("api_key.revoked", first.ID))
		wantErr(t, "last key", err, store.ErrLastAdminKey)
		// A key without "*" does not count.
		limited, _ := newKey("agents:read")
		if err := e.s.CreateAPIKey(ctx, fx.id, limited, ev("api_key.created", limited.ID)); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.RevokeAPIKey(ctx, fx.id, first.ID, ev("api_key.revoked", first.ID))
		wantErr(t, "last key beside a limited one", err, store.ErrLastAdminKey)
		got, err := e.s.RevokeAPIKey(ctx, fx.id, limited.ID, ev("api_key.revoked", limited.ID))
		if err != nil || got.RevokedAt.IsZero() {
			t.Fatalf("revoke limited: %+v %v", got, err)
		}
		byHash, _ := e.s.APIKeyByHash(ctx, fx.id, limited.Hash)
		if byHash.RevokedAt.IsZero() {
			t.Fatal("the hash item still shows the key active")
		}
		_, err = e.s.RevokeAPIKey(ctx, fx.id, "key_nope", ev("api_key.revoked", "x"))
		wantErr(t, "unknown key", err, store.ErrNotFound)
	})
	t.Run("an expired admin key does not count", func(t *testing.T) {
		exp, _ := newKey("*")
		exp.ExpiresAt = e.s.Now().Add(time.Second)
		if err := e.s.CreateAPIKey(ctx, fx.id, exp, ev("api_key.created", exp.ID)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Second)
		_, err := e.s.RevokeAPIKey(ctx, fx.id, first.ID, ev("api_key.revoked", first.ID))
		wantErr(t, "last live key", err, store.ErrLastAdminKey)
	})
	t.Run("two concurrent revocations of the last two keys: one wins", func(t *testing.T) {
		second, _ := newKey("*")
		if err := e.s.CreateAPIKey(ctx, fx.id, second, ev("api_key.created", second.ID)); err != nil {
			t.Fatal(err)
		}
		targets := []string{first.ID, second.ID}
		errs := race(2, func(i int) error {
			_, err := e.s.RevokeAPIKey(ctx, fx.id, targets[i], ev("api_key.revoked", targets[i]))
			return err
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrLastAdminKey) && !errors.Is(err, store.ErrConflict):
				t.Fatalf("loser: %v", err)
			}
		}
		keys, _ := e.s.ListAPIKeys(ctx, fx.id)
		active := 0
		for _, k := range keys {
			if k.IsAdmin() && k.ActiveAt(e.s.Now()) {
				active++
			}
		}
		if won != 1 || active != 1 {
			t.Fatalf("%d revocations won, %d admin keys left", won, active)
		}
		first = keys[slices.IndexFunc(keys, func(k store.APIKey) bool { return k.IsAdmin() && k.ActiveAt(e.s.Now()) })]
	})
	t.Run("rotate", func(t *testing.T) {
		next, secret := newKey(first.Scopes...)
		old, err := e.s.RotateAPIKey(ctx, fx.id, first.ID, next, ev("api_key.rotated", first.ID))
		if err != nil || old.RevokedAt.IsZero() {
			t.Fatalf("rotate: %+v %v", old, err)
		}
		if k, err := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(secret)); err != nil || !k.ActiveAt(e.s.Now()) {
			t.Fatalf("new key: %+v %v", k, err)
		}
		if k, _ := e.s.APIKeyByHash(ctx, fx.id, first.Hash); k.RevokedAt.IsZero() {
			t.Fatal("old key still active")
		}
		again, _ := newKey("*")
		_, err = e.s.RotateAPIKey(ctx, fx.id, first.ID, again, ev("api_key.rotated", first.ID))
		wantErr(t, "rotate a revoked key", err, store.ErrConflict)
		if _, err := e.s.GetAPIKey(ctx, fx.id, again.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a failed rotation created its key")
		}
		_, err = e.s.RotateAPIKey(ctx, fx.id, "key_nope", again, ev("api_key.rotated", "x"))
		wantErr(t, "rotate unknown", err, store.ErrNotFound)
	})
}

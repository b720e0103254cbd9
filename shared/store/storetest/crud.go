package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func domainCRUD(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme", "auth.acme.test")

	t.Run("tenant", func(t *testing.T) {
		got, err := e.s.GetTenant(ctx, fx.id)
		if err != nil || got.ID != "acme" || got.Name != "Tenant acme" || got.Version != 1 || !got.CreatedAt.Equal(fx.n.Tenant.CreatedAt) {
			t.Fatalf("get tenant: %+v %v", got, err)
		}
		host, err := e.s.TenantByHost(ctx, "auth.acme.test")
		if err != nil || host != fx.id {
			t.Fatalf("tenant by host: %v %v", host, err)
		}
		_, err = e.s.GetTenant(ctx, tenant.MustID("nope"))
		wantErr(t, "unknown tenant", err, store.ErrNotFound)
		_, err = e.s.TenantByHost(ctx, "unknown.test")
		wantErr(t, "unknown host", err, store.ErrNotFound)

		upd, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error {
			tn.Name, tn.Hosts = "Acme Inc", []string{"login.acme.test"}
			return nil
		}, event(e.s.Now(), "tenant.updated", "acme"))
		if err != nil || upd.Name != "Acme Inc" || upd.Version != 2 {
			t.Fatalf("update tenant: %+v %v", upd, err)
		}
		_, err = e.s.TenantByHost(ctx, "auth.acme.test")
		wantErr(t, "removed host", err, store.ErrNotFound)
		if host, err := e.s.TenantByHost(ctx, "login.acme.test"); err != nil || host != fx.id {
			t.Fatalf("added host: %v %v", host, err)
		}
		_, err = e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error { tn.ID = "other"; return nil }, event(e.s.Now(), "tenant.updated", "acme"))
		if err == nil {
			t.Fatal("update changed the tenant id")
		}
		boom := errors.New("boom")
		_, err = e.s.UpdateTenant(ctx, fx.id, func(*store.Tenant) error { return boom }, event(e.s.Now(), "tenant.updated", "acme"))
		wantErr(t, "mutate error", err, boom)
	})

	t.Run("signing keys", func(t *testing.T) {
		keys, err := e.s.SigningKeys(ctx, fx.id)
		if err != nil || len(keys) != 1 || keys[0].KID != "kid-acme" || keys[0].State != store.KeyCurrent || string(keys[0].PublicDER) != "der-acme" {
			t.Fatalf("signing keys: %+v %v", keys, err)
		}
		next := store.SigningKey{KID: "kid-next", State: store.KeyNext, Mode: store.ModeLocal, PublicDER: []byte("n"), CreatedAt: e.s.Now()}
		if err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{next}, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
			t.Fatal(err)
		}
		cur := keys[0]
		cur.State = store.KeyRetired
		if err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{cur}, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetSigningKey(ctx, fx.id, "kid-acme")
		if err != nil || got.State != store.KeyRetired || got.Version != 2 {
			t.Fatalf("after save: %+v %v", got, err)
		}
		// The version read before the change is stale now.
		err = e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{cur}, event(e.s.Now(), "signing_key.rotated", "acme"))
		wantErr(t, "stale key version", err, store.ErrConflict)
		_, err = e.s.GetSigningKey(ctx, fx.id, "missing")
		wantErr(t, "missing key", err, store.ErrNotFound)
	})

	t.Run("admin keys", func(t *testing.T) {
		byHash, err := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret))
		if err != nil || byHash.ID != fx.n.AdminKey.ID || !slices.Equal(byHash.Scopes, []string{"*"}) {
			t.Fatalf("by hash: %+v %v", byHash, err)
		}
		byID, err := e.s.GetAPIKey(ctx, fx.id, fx.n.AdminKey.ID)
		if err != nil || byID.Name != "first" {
			t.Fatalf("by id: %+v %v", byID, err)
		}
		_, err = e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret+"x"))
		wantErr(t, "wrong secret", err, store.ErrNotFound)
		second := store.APIKey{ID: ids.New("key_"), Name: "second", Hash: ids.Hash("s2"), Scopes: []string{"agents:read"}, CreatedAt: e.s.Now()}
		if err := e.s.CreateAPIKey(ctx, fx.id, second, event(e.s.Now(), "api_key.created", second.ID)); err != nil {
			t.Fatal(err)
		}
		keys, err := e.s.ListAPIKeys(ctx, fx.id)
		if err != nil || len(keys) != 2 {
			t.Fatalf("list: %d %v", len(keys), err)
		}
		dup := second
		dup.ID = ids.New("key_")
		err = e.s.CreateAPIKey(ctx, fx.id, dup, event(e.s.Now(), "api_key.created", dup.ID))
		wantErr(t, "same secret twice", err, store.ErrConflict)
		if _, err := e.s.GetAPIKey(ctx, fx.id, dup.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed create left its key: %v", err)
		}
	})

	t.Run("platform keys", func(t *testing.T) {
		k := store.PlatformKey{ID: ids.New("pk_"), Hash: ids.Hash("platform-secret"), CreatedAt: e.s.Now()}
		if err := e.s.CreatePlatformKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.PlatformKeyByHash(ctx, ids.Hash("platform-secret"))
		if err != nil || got.ID != k.ID {
			t.Fatalf("platform key: %+v %v", got, err)
		}
		if err := e.s.CreatePlatformKey(ctx, k); err != nil {
			t.Fatalf("a retry of the same create (first answer lost) must succeed: %v", err)
		}
		other := k
		other.ID = ids.New("pk_")
		wantErr(t, "another key with the same hash", e.s.CreatePlatformKey(ctx, other), store.ErrConflict)
		_, err = e.s.PlatformKeyByHash(ctx, ids.Hash("other"))
		wantErr(t, "unknown platform key", err, store.ErrNotFound)
	})

	t.Run("DPoP nonce secret", func(t *testing.T) {
		a, err := e.s.DPoPNonceSecret(ctx)
		if err != nil || len(a) != 32 {
			t.Fatalf("secret of %d bytes: %v", len(a), err)
		}
		b, err := e.s.DPoPNonceSecret(ctx)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second read differs: %v", err)
		}
		b[0] ^= 0xff // a caller's copy is its own
		if c, _ := e.s.DPoPNonceSecret(ctx); !bytes.Equal(a, c) {
			t.Fatal("changing a returned secret changed the stored one")
		}
		if other, err := e.fresh().DPoPNonceSecret(ctx); err != nil || bytes.Equal(a, other) {
			t.Fatalf("another deployment (table) has the same secret: %v", err)
		}
	})

	t.Run("clients", func(t *testing.T) {
		c := e.client(t, fx.id, "alice")
		got, err := e.s.GetClient(ctx, fx.id, c.ClientID)
		if err != nil || got.ID != c.ID || got.Name != "alice" || !got.Active || got.Version != 1 {
			t.Fatalf("get client: %+v %v", got, err)
		}
		byID, err := e.s.GetClientByID(ctx, fx.id, c.ID)
		if err != nil || byID.ClientID != c.ClientID {
			t.Fatalf("by id: %+v %v", byID, err)
		}
		got.Name, got.Active = "alice-2", false
		upd, err := e.s.UpdateClient(ctx, fx.id, got, event(e.s.Now(), "agent.updated", c.ClientID))
		if err != nil || upd.Version != 2 {
			t.Fatalf("update: %+v %v", upd, err)
		}
		_, err = e.s.UpdateClient(ctx, fx.id, got, event(e.s.Now(), "agent.updated", c.ClientID))
		wantErr(t, "stale update", err, store.ErrConflict)
		if err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deactivated", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.GetClient(ctx, fx.id, c.ClientID)
		wantErr(t, "deleted client", err, store.ErrNotFound)
		_, err = e.s.GetClientByID(ctx, fx.id, c.ID)
		wantErr(t, "deleted client by id", err, store.ErrNotFound)
		wantErr(t, "delete twice", e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deactivated", c.ClientID)), store.ErrNotFound)
	})

	t.Run("audit events written with each change", func(t *testing.T) {
		evs, err := e.s.AuditEventsOn(ctx, fx.id, e.s.Now())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ev := range evs {
			names = append(names, ev.Event)
		}
		for _, want := range []string{"tenant.created", "api_key.created", "tenant.updated", "signing_key.rotated", "agent.created", "agent.updated", "agent.deactivated"} {
			if !slices.Contains(names, want) {
				t.Errorf("no %s event in %v", want, names)
			}
		}
	})
}

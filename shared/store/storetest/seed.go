package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// KeyMaker makes a tenant's signing key (keys.Sealer satisfies it).
type KeyMaker interface {
	New(ctx context.Context, t tenant.ID) (store.SigningKey, error)
}

// SeedTenant creates tenant id from rec (id, name and times filled in) with a
// current signing key from km and an admin key of scope "*", for tests of the
// packages above the store, and returns the admin key.
func SeedTenant(tb testing.TB, st *store.Store, km KeyMaker, id string, rec *store.Tenant, now time.Time) string {
	tb.Helper()
	sk, err := km.New(tb.Context(), tenant.MustID(id))
	if err != nil {
		tb.Fatal(err)
	}
	sk.State, sk.ActivatedAt = store.KeyCurrent, now
	key := ids.NewKey(ids.AdminKeyPrefix)
	rec.ID, rec.Name, rec.CreatedAt, rec.UpdatedAt = id, id, now, now
	err = st.CreateTenant(tb.Context(), store.NewTenant{
		Tenant: *rec, SigningKey: sk,
		AdminKey: store.APIKey{ID: ids.New("key_"), Name: "admin", Hash: ids.Hash(key), Scopes: []string{"*"}, CreatedAt: now},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

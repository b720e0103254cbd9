package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func domainConditional(t *testing.T, e *env) {
	ctx := t.Context()
	e.create(t, "acme", "auth.acme.test")

	t.Run("duplicate tenant id", func(t *testing.T) {
		wantErr(t, "duplicate", e.s.CreateTenant(ctx, e.newTenant("acme").n), store.ErrConflict)
	})
	t.Run("host of another tenant", func(t *testing.T) {
		fx := e.newTenant("globex", "auth.acme.test")
		wantErr(t, "taken host", e.s.CreateTenant(ctx, fx.n), store.ErrConflict)
		_, err := e.s.GetTenant(ctx, fx.id)
		wantErr(t, "tenant of a failed create", err, store.ErrNotFound)
		e.create(t, "initech")
		_, err = e.s.UpdateTenant(ctx, tenant.MustID("initech"), func(tn *store.Tenant) error {
			tn.Hosts = []string{"auth.acme.test"}
			return nil
		}, event(e.s.Now(), "tenant.updated", "initech"))
		wantErr(t, "update to a taken host", err, store.ErrConflict)
		if owner, _ := e.s.TenantByHost(ctx, "auth.acme.test"); owner.String() != "acme" {
			t.Fatalf("host moved to %v", owner)
		}
	})
	t.Run("two writers of one platform key, one wins", func(t *testing.T) {
		// Two operators' records for one secret differ in their ids (a
		// record equal to the stored one is a retry of the same create).
		errs := race(2, func(i int) error {
			k := store.PlatformKey{ID: fmt.Sprintf("pk_race%d", i), Hash: ids.Hash("race"), CreatedAt: e.s.Now()}
			return e.s.CreatePlatformKey(ctx, k)
		})
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("loser: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d writers won", won)
		}
	})
	t.Run("first readers of the DPoP nonce secret agree", func(t *testing.T) {
		s := e.fresh()
		got := make([][]byte, 4)
		errs := race(4, func(i int) error {
			var err error
			got[i], err = s.DPoPNonceSecret(ctx)
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("reader %d: %v", i, err)
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("reader %d got another secret", i)
			}
		}
	})
	t.Run("concurrent tenant updates keep every change", func(t *testing.T) {
		// UpdateTenant re-reads and retries when it loses; run sequentially
		// interleaved through mutate to force one lost race.
		id := tenant.MustID("acme")
		first := true
		got, err := e.s.UpdateTenant(ctx, id, func(tn *store.Tenant) error {
			if first {
				first = false
				// A competing update lands between this read and its write.
				if _, err := e.s.UpdateTenant(ctx, id, func(o *store.Tenant) error { o.DCRPolicy = "closed"; return nil }, event(e.s.Now(), "tenant.updated", "acme")); err != nil {
					return err
				}
			}
			tn.Name = "renamed"
			return nil
		}, event(e.s.Now(), "tenant.updated", "acme"))
		if err != nil || got.Name != "renamed" || got.DCRPolicy != "closed" {
			t.Fatalf("retry lost a change: %+v %v", got, err)
		}
	})
	// Cases each gained when a planted defect passed the tier.
	t.Run("regressions", func(t *testing.T) { conditionalRegressions(t, e) })
}

func conditionalRegressions(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "cond-r1")

	t.Run("delete loses to a concurrent update", func(t *testing.T) {
		c := e.client(t, fx.id, "contested")
		other := store.New(e.f.Table, e.clock.Now) // writes past the fault wrapper
		e.f.Interleave(2, func() {                 // after DeleteClient's read, before its write
			cur, err := other.GetClient(ctx, fx.id, c.ClientID)
			if err != nil {
				t.Error(err)
				return
			}
			cur.Name = "renamed meanwhile"
			if _, err := other.UpdateClient(ctx, fx.id, cur, event(e.s.Now(), "agent.updated", c.ClientID)); err != nil {
				t.Error(err)
			}
		})
		err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deleted", c.ClientID))
		wantErr(t, "delete of a client changed since it was read", err, store.ErrConflict)
		if got, err := e.s.GetClient(ctx, fx.id, c.ClientID); err != nil || got.Name != "renamed meanwhile" {
			t.Fatalf("after the lost delete: %+v %v", got, err)
		}
	})

	t.Run("delete removes the id pointer", func(t *testing.T) {
		c := e.client(t, fx.id, "short-lived")
		if err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deleted", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.GetClientByID(ctx, fx.id, c.ID)
		wantErr(t, "id of a deleted client", err, store.ErrNotFound)
		again := c
		again.ClientID, again.Version = ids.New("shark_agent_"), 0
		if err := e.s.CreateClient(ctx, fx.id, again, event(e.s.Now(), "agent.created", again.ClientID)); err != nil {
			t.Fatalf("the id of a deleted client is still taken: %v", err)
		}
	})

	t.Run("a new signing key never overwrites a kid", func(t *testing.T) {
		dup := fx.n.SigningKey
		dup.Version = 0
		dup.PublicDER = []byte("another key with the same kid")
		err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{dup}, event(e.s.Now(), "signing_key.rotated", dup.KID))
		wantErr(t, "save of an existing kid as new", err, store.ErrConflict)
		got, err := e.s.GetSigningKey(ctx, fx.id, dup.KID)
		if err != nil || string(got.PublicDER) != string(fx.n.SigningKey.PublicDER) {
			t.Fatalf("existing key changed: %s %v", got.PublicDER, err)
		}
	})
}

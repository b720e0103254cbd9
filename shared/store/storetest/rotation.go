package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func domainRotation(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	key := func(kid string) store.SigningKey {
		return store.SigningKey{KID: kid, Mode: store.ModeLocal, PublicDER: []byte(kid)}
	}
	states := func() map[string]string {
		keys, err := e.s.SigningKeys(ctx, fx.id)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range keys {
			out[k.KID] = k.State
		}
		return out
	}
	ev := func() store.AuditEvent { return event(e.s.Now(), "signing_key.rotated", "acme") }

	t.Run("scheduled: next, then promoted when due", func(t *testing.T) {
		got, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-2"), store.RotateScheduled, ev())
		if err != nil || got.State != store.KeyNext {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		if s := states(); s["kid-acme"] != store.KeyCurrent || s["kid-2"] != store.KeyNext {
			t.Fatalf("states: %v", s)
		}
		if ok, err := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev()); ok || err != nil {
			t.Fatalf("promoted early: %v %v", ok, err)
		}
		// A second scheduled rotation replaces the pending next key.
		if _, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-3"), store.RotateScheduled, ev()); err != nil {
			t.Fatal(err)
		}
		if s := states(); s["kid-3"] != store.KeyNext || s["kid-2"] == store.KeyNext {
			t.Fatalf("states: %v", s)
		}
		e.clock.Advance(5 * time.Minute)
		ok, err := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev())
		if !ok || err != nil {
			t.Fatalf("promote: %v %v", ok, err)
		}
		if s := states(); s["kid-3"] != store.KeyCurrent || s["kid-acme"] != store.KeyRetired {
			t.Fatalf("states: %v", s)
		}
		old, _ := e.s.GetSigningKey(ctx, fx.id, "kid-acme")
		if !old.PublishUntil.Equal(e.s.Now().Add(time.Hour)) {
			t.Fatalf("retired key published until %v", old.PublishUntil)
		}
		if ok, _ := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev()); ok {
			t.Fatal("promoted twice")
		}
		if tn, _ := e.s.GetTenant(ctx, fx.id); len(tn.RevokedKIDs) != 0 {
			t.Fatalf("scheduled rotation revoked %v", tn.RevokedKIDs)
		}
	})
	t.Run("emergency: current at once, old kid revoked and gone", func(t *testing.T) {
		got, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-4"), store.RotateEmergency, ev())
		if err != nil || got.State != store.KeyCurrent {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		s := states()
		if s["kid-4"] != store.KeyCurrent || s["kid-3"] == store.KeyCurrent || s["kid-3"] == store.KeyNext {
			t.Fatalf("states: %v", s)
		}
		tn, _ := e.s.GetTenant(ctx, fx.id)
		if !slices.Contains(tn.RevokedKIDs, "kid-3") || slices.Contains(tn.RevokedKIDs, "kid-4") {
			t.Fatalf("revoked kids: %v", tn.RevokedKIDs)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-4"), store.RotateScheduled, ev())
		wantErr(t, "reused kid", err, store.ErrConflict)
		if _, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-5"), "sideways", ev()); err == nil {
			t.Fatal("unknown mode accepted")
		}
		_, err = e.s.RotateSigningKey(ctx, tenant.MustID("nope"), key("kid-6"), store.RotateScheduled, ev())
		wantErr(t, "unknown tenant", err, store.ErrNotFound)
	})
}

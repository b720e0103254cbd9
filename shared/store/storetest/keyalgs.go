package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
)

// domainKeyAlgorithms: a tenant's RS256 key lives beside its ES256 key, each
// algorithm with its own next → current → retired states; the first RS256
// key is current at once and exactly one is made however many callers race.
func domainKeyAlgorithms(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	rsaKey := func(kid string) store.SigningKey {
		return store.SigningKey{KID: kid, Alg: store.AlgRS256, Mode: store.ModeLocal, PublicDER: []byte(kid)}
	}
	esKey := func(kid string) store.SigningKey {
		return store.SigningKey{KID: kid, Mode: store.ModeLocal, PublicDER: []byte(kid)}
	}
	ev := func() store.AuditEvent {
		return auditEvent(e.s.Now(), store.DefaultAuditShards, "signing_key.created", "test", "acme")
	}
	states := func(id string) map[string]string {
		t.Helper()
		keys, err := e.s.SigningKeys(ctx, fx.id)
		if id != "" {
			keys, err = e.s.SigningKeys(ctx, e.newTenant(id).id)
		}
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range keys {
			out[k.KID] = k.Algorithm() + " " + k.State
		}
		return out
	}
	const (
		esCurrent = store.AlgES256 + " " + store.KeyCurrent
		esNext    = store.AlgES256 + " " + store.KeyNext
		esRetired = store.AlgES256 + " " + store.KeyRetired
		rsCurrent = store.AlgRS256 + " " + store.KeyCurrent
		rsNext    = store.AlgRS256 + " " + store.KeyNext
		rsRetired = store.AlgRS256 + " " + store.KeyRetired
	)

	t.Run("the first RS256 key is current at once, beside the ES256 key, with its audit event", func(t *testing.T) {
		in := ev()
		got, created, err := e.s.EnsureSigningKey(ctx, fx.id, rsaKey("rsa-1"), in)
		if err != nil || !created || got.KID != "rsa-1" || got.State != store.KeyCurrent || got.Algorithm() != store.AlgRS256 || got.ActivatedAt.IsZero() {
			t.Fatalf("ensure: %+v created=%v %v", got, created, err)
		}
		if s := states(""); s["kid-acme"] != esCurrent || s["rsa-1"] != rsCurrent {
			t.Fatalf("states: %v", s)
		}
		if _, err := e.s.GetAuditEvent(ctx, fx.id, in.ID); err != nil {
			t.Fatalf("audit event of the new key: %v", err)
		}
	})
	t.Run("ensuring again returns the current RS256 key and stores nothing", func(t *testing.T) {
		in := ev()
		got, created, err := e.s.EnsureSigningKey(ctx, fx.id, rsaKey("rsa-x"), in)
		if err != nil || created || got.KID != "rsa-1" {
			t.Fatalf("ensure: %+v created=%v %v", got, created, err)
		}
		_, err = e.s.GetSigningKey(ctx, fx.id, "rsa-x")
		wantErr(t, "unused fresh key", err, store.ErrNotFound)
		_, err = e.s.GetAuditEvent(ctx, fx.id, in.ID)
		wantErr(t, "audit event of nothing", err, store.ErrNotFound)
	})
	t.Run("an ES256 rotation and its promotion leave the RS256 key alone", func(t *testing.T) {
		if got, err := e.s.RotateSigningKey(ctx, fx.id, esKey("kid-2"), store.RotateScheduled, ev()); err != nil || got.State != store.KeyNext {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		e.clock.Advance(5 * time.Minute)
		if ok, err := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev()); !ok || err != nil {
			t.Fatalf("promote: %v %v", ok, err)
		}
		if s := states(""); s["kid-2"] != esCurrent || s["kid-acme"] != esRetired || s["rsa-1"] != rsCurrent {
			t.Fatalf("states: %v", s)
		}
	})
	t.Run("an RS256 scheduled rotation and its promotion leave the ES256 key alone", func(t *testing.T) {
		if got, err := e.s.RotateSigningKey(ctx, fx.id, rsaKey("rsa-2"), store.RotateScheduled, ev()); err != nil || got.State != store.KeyNext {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		if s := states(""); s["rsa-2"] != rsNext || s["rsa-1"] != rsCurrent || s["kid-2"] != esCurrent {
			t.Fatalf("states: %v", s)
		}
		e.clock.Advance(5 * time.Minute)
		if ok, err := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev()); !ok || err != nil {
			t.Fatalf("promote: %v %v", ok, err)
		}
		if s := states(""); s["rsa-2"] != rsCurrent || s["rsa-1"] != rsRetired || s["kid-2"] != esCurrent {
			t.Fatalf("states: %v", s)
		}
	})
	t.Run("an RS256 emergency rotation revokes RS256 kids only", func(t *testing.T) {
		if _, err := e.s.RotateSigningKey(ctx, fx.id, esKey("kid-3"), store.RotateScheduled, ev()); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.RotateSigningKey(ctx, fx.id, rsaKey("rsa-3"), store.RotateEmergency, ev())
		if err != nil || got.State != store.KeyCurrent {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		// rsa-2 left the JWKS (and the table) at once.
		if s := states(""); s["rsa-3"] != rsCurrent || (s["rsa-2"] != "" && s["rsa-2"] != rsRetired) || s["kid-2"] != esCurrent || s["kid-3"] != esNext {
			t.Fatalf("states: %v", s)
		}
		tn, err := e.s.GetTenant(ctx, fx.id)
		if err != nil || len(tn.RevokedKIDs) != 1 || tn.RevokedKIDs[0] != "rsa-2" {
			t.Fatalf("revoked kids %v %v", tn.RevokedKIDs, err)
		}
	})
	t.Run("rotating an algorithm the tenant has no key of makes the key current at once", func(t *testing.T) {
		e.create(t, "beta")
		beta := e.newTenant("beta").id
		got, err := e.s.RotateSigningKey(ctx, beta, rsaKey("rsa-b"), store.RotateScheduled, ev())
		if err != nil || got.State != store.KeyCurrent {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		if s := states("beta"); s["rsa-b"] != rsCurrent || s["kid-beta"] != esCurrent {
			t.Fatalf("states: %v", s)
		}
	})
	t.Run("racing first RS256 keys: exactly one is stored", func(t *testing.T) {
		e.create(t, "gamma")
		gamma := e.newTenant("gamma").id
		const n = 4
		var wg sync.WaitGroup
		results := make([]store.SigningKey, n)
		created := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], created[i], errs[i] = e.s.EnsureSigningKey(ctx, gamma, rsaKey("rsa-g"+string(rune('0'+i))), ev())
			}()
		}
		wg.Wait()
		winners := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("ensure %d: %v", i, errs[i])
			}
			if created[i] {
				winners++
			}
			if results[i].KID != results[0].KID {
				t.Fatalf("callers disagree: %s and %s (%v)", results[i].KID, results[0].KID, states("gamma"))
			}
		}
		rsa := 0
		for _, st := range states("gamma") {
			if st == rsCurrent {
				rsa++
			}
		}
		if winners != 1 || rsa != 1 {
			t.Fatalf("%d created, %d current RS256 keys", winners, rsa)
		}
	})
}

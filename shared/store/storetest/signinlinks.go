package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func init() {
	for _, m := range []string{"CreateSignInLink", "RedeemSignInLink"} {
		checkedElsewhere[m] = "SignInLinks: another tenant"
	}
}

// domainSignInLinks checks the dashboard's one-time sign-in links: kept by
// hash, redeemed once (the admin key it mints and its audit event written
// with the spend, or nothing), refused once used or expired, and invisible
// to another tenant.
func domainSignInLinks(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "links-a")
	b := e.create(t, "links-b")
	newLink := func(ttl time.Duration) (store.SignInLink, string) {
		now := e.s.Now()
		secret := ids.NanoID()
		return store.SignInLink{ID: ids.New("sil_"), Hash: ids.Hash(secret), CreatedAt: now, ExpiresAt: now.Add(ttl)}, secret
	}
	newKey := func() (store.APIKey, func(store.SignInLink) store.AuditEvent) {
		now := e.s.Now()
		secret := ids.NewKey(ids.AdminKeyPrefix)
		return store.APIKey{ID: ids.New("key_"), Name: "dashboard sign-in", Hash: ids.Hash(secret), Scopes: []string{"*"},
				CreatedAt: now, ExpiresAt: now.Add(12 * time.Hour)},
			func(l store.SignInLink) store.AuditEvent {
				return auditEvent(now, store.DefaultAuditShards, "api_key.created", l.ID, "key_x")
			}
	}
	created := func(t *testing.T) store.SignInLink {
		t.Helper()
		l, _ := newLink(store.MaxSignInLinkLifetime)
		if err := e.s.CreateSignInLink(ctx, a.id, l, auditEvent(e.s.Now(), store.DefaultAuditShards, "signin_link.created", "system", l.ID)); err != nil {
			t.Fatal(err)
		}
		return l
	}

	t.Run("redeemed once: the key and its event, then used", func(t *testing.T) {
		l := created(t)
		k, ev := newKey()
		used, err := e.s.RedeemSignInLink(ctx, a.id, l.Hash, k, ev)
		if err != nil || used.ID != l.ID || used.KeyID != k.ID || used.UsedAt.IsZero() {
			t.Fatalf("redeem: %+v, %v", used, err)
		}
		if got, err := e.s.APIKeyByHash(ctx, a.id, k.Hash); err != nil || got.ID != k.ID || !got.ExpiresAt.Equal(k.ExpiresAt) {
			t.Fatalf("minted key: %+v, %v", got, err)
		}
		if evs, _ := walk(t, e.s, a.id, store.AuditFilter{ActorID: l.ID}, 50); len(evs) != 1 || evs[0].Event != "api_key.created" {
			t.Fatalf("events by the link: %v, want its api_key.created", evs)
		}
		k2, ev2 := newKey()
		if _, err := e.s.RedeemSignInLink(ctx, a.id, l.Hash, k2, ev2); !errors.Is(err, store.ErrSignInLinkUsed) {
			t.Fatalf("second redeem: %v, want ErrSignInLinkUsed", err)
		}
		if _, err := e.s.APIKeyByHash(ctx, a.id, k2.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the refused redeem stored a key: %v", err)
		}
	})

	t.Run("two at once: one key", func(t *testing.T) {
		l := created(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				k, ev := newKey()
				_, errs[i] = e.s.RedeemSignInLink(ctx, a.id, l.Hash, k, ev)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrSignInLinkUsed), errors.Is(err, store.ErrTxConflict):
			default:
				t.Fatalf("redeem: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d redeems won (%v), want 1", won, errs)
		}
	})

	t.Run("expired: refused, nothing written", func(t *testing.T) {
		l := created(t)
		e.clock.Advance(store.MaxSignInLinkLifetime)
		k, ev := newKey()
		if _, err := e.s.RedeemSignInLink(ctx, a.id, l.Hash, k, ev); !errors.Is(err, store.ErrSignInLinkExpired) {
			t.Fatalf("expired redeem: %v", err)
		}
		if _, err := e.s.APIKeyByHash(ctx, a.id, k.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an expired link stored a key: %v", err)
		}
	})

	t.Run("another tenant, unknown, too long", func(t *testing.T) {
		l := created(t)
		k, ev := newKey()
		if _, err := e.s.RedeemSignInLink(ctx, b.id, l.Hash, k, ev); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("redeem in another tenant: %v", err)
		}
		if _, err := e.s.RedeemSignInLink(ctx, a.id, ids.Hash("nothing"), k, ev); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown link: %v", err)
		}
		long, _ := newLink(store.MaxSignInLinkLifetime + time.Second)
		if err := e.s.CreateSignInLink(ctx, a.id, long, auditEvent(e.s.Now(), store.DefaultAuditShards, "x", "y", "z")); err == nil {
			t.Fatal("a link living longer than the maximum was stored")
		}
		// The link still works in its own tenant.
		if _, err := e.s.RedeemSignInLink(ctx, a.id, l.Hash, k, ev); err != nil {
			t.Fatalf("own tenant: %v", err)
		}
	})
}

package storetest

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
)

func domainExpiry(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	keys, _ := e.s.SigningKeys(ctx, fx.id)
	retired := keys[0]
	retired.State = store.KeyRetired
	retired.RetiredAt = e.s.Now()
	retired.PublishUntil = e.s.Now().Add(time.Hour)
	next := store.SigningKey{KID: "kid-2", State: store.KeyCurrent, Mode: store.ModeLocal, PublicDER: []byte("2"), CreatedAt: e.s.Now()}
	if err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{retired, next}, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.SigningKeys(ctx, fx.id); len(got) != 2 {
		t.Fatalf("before expiry: %d keys", len(got))
	}
	e.clock.Advance(time.Hour)
	got, err := e.s.SigningKeys(ctx, fx.id)
	if err != nil || len(got) != 1 || got[0].KID != "kid-2" {
		t.Fatalf("retired key outlived its publication: %+v %v", got, err)
	}
	_, err = e.s.GetSigningKey(ctx, fx.id, retired.KID)
	wantErr(t, "expired key", err, store.ErrNotFound)
}

// --- users, tokens, admin keys, agents, grants, signing keys, revocation ---

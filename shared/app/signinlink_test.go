package app_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/audit/audittest"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestSignInLink: a one-time sign-in link is traded once for a short-lived
// admin key that works on the admin API; a second use, an expired link and
// an unknown one are refused with a message saying so, and write nothing;
// a link of one tenant is unknown to another; the trail names the link as
// the key's creator and holds neither the link nor the key.
func TestSignInLink(t *testing.T) {
	clock := storetest.NewClock()
	s := serveStackWith(t, "", app.Options{Now: clock.Now, LogOutput: io.Discard})
	ctx := t.Context()
	root := tenant.MustID("default")
	redeem := func(path, link string) answer {
		return s.call("POST", path+"/api/v1/admin/sign-in-links/redeem", "", "", `{"link":"`+link+`"}`)
	}
	mint := func(id tenant.ID) string {
		secret, exp, err := s.env.MintSignInLink(ctx, id, "test")
		if err != nil || !strings.HasPrefix(secret, "signin_") || exp.Sub(clock.Now()) != 15*time.Minute {
			t.Fatalf("mint: %q %v %v", secret, exp, err)
		}
		return secret
	}
	if u := app.SignInURL("http://127.0.0.1:8080", "", "signin_x"); u != "http://127.0.0.1:8080/#signin=signin_x" {
		t.Fatalf("SignInURL %s", u)
	}
	if u := app.SignInURL("http://127.0.0.1:8080", "acme", "signin_x"); u != "http://127.0.0.1:8080/#signin=signin_x&tenant=acme" {
		t.Fatalf("SignInURL of a path tenant %s", u)
	}

	link := mint(root)
	a := redeem("", link)
	key := str(a, "admin_key")
	if a.status != 201 || !strings.HasPrefix(key, "sk_live_") || str(a, "tenant") != "default" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("redeem: %d %s %v", a.status, a.raw, a.header)
	}
	if exp, err := time.Parse(time.RFC3339, str(a, "expires_at")); err != nil || exp.Sub(clock.Now()).Round(time.Minute) != 12*time.Hour {
		t.Fatalf("expires_at %s", str(a, "expires_at"))
	}
	if got := s.call("GET", "/api/v1/agents", "", key, ""); got.status != 200 {
		t.Fatalf("the minted key on the admin API: %d %s", got.status, got.raw)
	}
	before := len(audittest.Since(t, s.env.Store, root, time.Time{}))
	for _, c := range []struct {
		name, path, link, want string
	}{
		{"second use", "", link, "already used"},
		{"unknown", "", "signin_nothing", "unknown sign-in link"},
		{"not a link", "", "sk_live_x", "unknown sign-in link"},
	} {
		got := redeem(c.path, c.link)
		if got.status != 401 || str(got, "error") != "unauthorized" || !strings.Contains(str(got, "message"), c.want) {
			t.Fatalf("%s: %d %s", c.name, got.status, got.raw)
		}
	}
	if got := s.call("POST", "/api/v1/admin/sign-in-links/redeem", "", "", `{}`); got.status != 400 {
		t.Fatalf("no link: %d %s", got.status, got.raw)
	}

	// Expired: 15 minutes after it was made.
	late := mint(root)
	clock.Advance(15 * time.Minute)
	if got := redeem("", late); got.status != 401 || !strings.Contains(str(got, "message"), "expired") {
		t.Fatalf("expired link: %d %s", got.status, got.raw)
	}
	if after := len(audittest.Since(t, s.env.Store, root, time.Time{})); after != before+1 { // the late link's creation only
		t.Fatalf("refused redeems wrote events: %d, then %d", before, after)
	}

	// A path tenant's link works at its path only.
	if got := s.call("POST", "/platform/v1/tenants", "", s.boot.PlatformKey, `{"id":"acme","name":"Acme"}`); got.status != 201 {
		t.Fatalf("tenant: %d %s", got.status, got.raw)
	}
	acme := mint(tenant.MustID("acme"))
	if got := redeem("", acme); got.status != 401 {
		t.Fatalf("acme's link at the root tenant: %d %s", got.status, got.raw)
	}
	if got := redeem("/t/acme", acme); got.status != 201 || str(got, "tenant") != "acme" {
		t.Fatalf("acme's link at /t/acme: %d %s", got.status, got.raw)
	}

	// The minted key expires after 12 hours.
	clock.Advance(12 * time.Hour)
	if got := s.call("GET", "/api/v1/agents", "", key, ""); got.status != 401 || !strings.Contains(got.raw, "expired") {
		t.Fatalf("the minted key after 12 h: %d %s", got.status, got.raw)
	}

	evs := audittest.Since(t, s.env.Store, root, time.Time{})
	var created, minted int
	for _, e := range evs {
		switch {
		case e.Event == "signin_link.created" && e.ActorType == "system" && e.TargetType == "signin_link":
			created++
		case e.Event == "api_key.created" && e.ActorType == "signin_link" && strings.HasPrefix(e.ActorID, "sil_"):
			minted++
		}
	}
	if created != 2 || minted != 1 {
		t.Fatalf("%d signin_link.created, %d api_key.created by a link: %s", created, minted, describeEvents(evs))
	}
	audittest.NoSecrets(t, evs, link, late, acme, key)
}

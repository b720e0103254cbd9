package token

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Revoking a user's consent ends every grant family issued under it (the
// access and refresh tokens of each code's use and of its rotations), and
// a code issued before the revocation can no longer be exchanged. A
// consent at another redirect URI, or another client's, is untouched.
func TestConsentRevocationEndsItsFamilies(t *testing.T) {
	hs := userGrants(t)
	acme := tenant.MustID("acme")
	first := decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	second := decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	hs.now = hs.now.Add(time.Second)
	rotated := decode(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", second["refresh_token"].(string))}))
	other := decode(t, hs.do(call{tenant: "beta", form: form(exchange(hs.code(codeOpts{tenant: "beta"}))...)}))
	pending := hs.code(codeOpts{})
	for _, at := range []string{first["access_token"].(string), second["access_token"].(string), rotated["access_token"].(string)} {
		if !hs.active(t, at) {
			t.Fatal("a token is inactive before the revocation")
		}
	}

	cons, err := hs.st.ListConsents(t.Context(), acme, "usr_ada")
	if err != nil || len(cons) != 1 || cons[0].ID == "" {
		t.Fatalf("consents %+v, %v", cons, err)
	}
	hs.now = hs.now.Add(time.Second)
	ev := store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: "consent.revoked", CreatedAt: hs.now, Metadata: map[string]any{}}
	if _, err := hs.st.RevokeConsent(t.Context(), acme, "usr_ada", cons[0].ID, func(store.Consent) store.AuditEvent { return ev }); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{first["access_token"].(string), second["access_token"].(string), rotated["access_token"].(string)} {
		if hs.active(t, at) {
			t.Fatal("an access token of a revoked consent's family is active")
		}
	}
	for _, rt := range []string{first["refresh_token"].(string), rotated["refresh_token"].(string)} {
		wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", rt)}), 400, "invalid_grant", "revoked")
	}
	wantRefusal(t, hs.do(call{form: form(exchange(pending)...)}), 400, "invalid_grant", "consent was revoked")
	if n := hs.events(t, "consent.revoked"); n != 1 {
		t.Fatalf("%d consent.revoked events", n)
	}
	// Another tenant's grant of the same user and client id lives on.
	if w := hs.do(call{tenant: "beta", form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", other["refresh_token"].(string))}); w.Code != 200 {
		t.Fatalf("another tenant's refresh: %d %s", w.Code, w.Body)
	}
	// Consenting again starts afresh: a new code works.
	if w := hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}); w.Code != 200 {
		t.Fatalf("after a new consent: %d %s", w.Code, w.Body)
	}
}

// A code dies with the consent it was issued under: revoked, then granted
// again at the same place, the consent is a new one, and a code issued
// before the revocation (still within its life) is refused, with nothing
// issued; a code issued under the new consent works.
func TestCodeDiesWithItsConsent(t *testing.T) {
	hs := userGrants(t)
	acme := tenant.MustID("acme")
	pending := hs.code(codeOpts{})
	cons, err := hs.st.ListConsents(t.Context(), acme, "usr_ada")
	if err != nil || len(cons) != 1 {
		t.Fatalf("consents %+v, %v", cons, err)
	}
	hs.now = hs.now.Add(time.Second)
	ev := store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: "consent.revoked", CreatedAt: hs.now, Metadata: map[string]any{}}
	if _, err := hs.st.RevokeConsent(t.Context(), acme, "usr_ada", cons[0].ID, func(store.Consent) store.AuditEvent { return ev }); err != nil {
		t.Fatal(err)
	}
	hs.now = hs.now.Add(time.Second)
	fresh := hs.code(codeOpts{}) // grants the consent again
	again, err := hs.st.ListConsents(t.Context(), acme, "usr_ada")
	if err != nil || len(again) != 1 || again[0].ID == cons[0].ID {
		t.Fatalf("the consent granted again %+v (revoked %s), %v", again, cons[0].ID, err)
	}
	issued := hs.events(t, "oauth.token_issued")
	wantRefusal(t, hs.do(call{form: form(exchange(pending)...)}), 400, "invalid_grant", "consent was revoked")
	if n := hs.events(t, "oauth.token_issued"); n != issued {
		t.Fatalf("a refused exchange issued a token (%d events, %d before)", n, issued)
	}
	if w := hs.do(call{form: form(exchange(fresh)...)}); w.Code != 200 {
		t.Fatalf("a code of the new consent: %d %s", w.Code, w.Body)
	}
}

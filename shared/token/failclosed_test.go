package token

import (
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Revocation and introspection fail closed: when the tenant's keys cannot
// be read, a token is neither reported revoked (a 200 that revoked nothing)
// nor active; the caller gets 503 with Retry-After and retries.
func TestRevocationFailsClosedWithoutKeys(t *testing.T) {
	hs := newHarness(t, nil)
	f := &fixtures{hs: hs, p: newProver(t)}
	hs.client("acme", store.Client{ClientID: "fc", Scopes: []string{"mcp:read"}, Active: true})
	tok := f.issueFor(t, "acme", "fc")
	// A fresh handler: its keyring has not read the key records yet.
	hs.h = &Handler{Store: hs.tokens, Keys: hs.h.Keys, Now: hs.clock}
	hs.mux = newMux(hs.h)
	hs.table.RefuseReads(func(partition string) error {
		if strings.Contains(partition, "SIGNKEY") {
			return store.ErrUnavailable
		}
		return nil
	})
	admin := map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}
	for _, path := range []string{"/oauth/revoke", "/oauth/introspect"} {
		w := hs.do(call{path: path, form: form("token", tok), headers: admin})
		if w.Code != 503 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("%s with the keys unreadable: %d %s", path, w.Code, w.Body)
		}
	}
	hs.table.RefuseReads(nil)
	if rec, err := hs.st.GetToken(t.Context(), tenant.MustID("acme"), claimsOf(t, tok)["jti"].(string)); err != nil || !rec.RevokedAt.IsZero() {
		t.Fatalf("token record %+v %v", rec, err)
	}
	w := hs.do(call{path: "/oauth/revoke", form: form("token", tok), headers: admin})
	if w.Code != 200 {
		t.Fatalf("revoke once the keys read: %d %s", w.Code, w.Body)
	}
}

// The token policy comes only from the request's own tenant record: a
// record of another tenant in the context (a resolver bug, a stale cache
// entry) is never used.
func TestPolicyIgnoresAnotherTenantsRecord(t *testing.T) {
	hs := newHarness(t, nil)
	f := &fixtures{hs: hs, p: newProver(t)}
	hs.client("acme", store.Client{ClientID: "pol", Scopes: []string{"mcp:read"}, Active: true})
	// beta's record allows a 2-hour token and names its own audiences.
	other, err := hs.st.GetTenant(t.Context(), tenant.MustID("beta"))
	if err != nil {
		t.Fatal(err)
	}
	other.MaxTokenLifetime, other.DefaultAudience = 7200, "https://beta.example"
	hs.foreignRecord = &other
	defer func() { hs.foreignRecord = nil }()
	hs.client("acme", store.Client{ClientID: "pol-long", Scopes: []string{"mcp:read"}, Active: true, TokenLifetime: 7200})
	w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "pol-long", "client_secret", secret)})
	b := decode(t, w)
	if w.Code != 200 {
		t.Fatalf("%d %v", w.Code, b)
	}
	c := claimsOf(t, b["access_token"].(string))
	if b["expires_in"].(float64) > 3600 || c["aud"] == "https://beta.example" {
		t.Fatalf("acme's token followed beta's record: expires_in %v, aud %v", b["expires_in"], c["aud"])
	}
	_ = f
}

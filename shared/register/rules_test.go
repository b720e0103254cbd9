package register

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// The registration rules a hostile registrant probes, each named.
func TestRegistrationRules(t *testing.T) {
	hs := newHarness(t, false)
	for i, p := range []string{"bogus", "Open", "OPEN", "open ", "none"} {
		id := "pol-" + string(rune('a'+i)) + "x"
		hs.addTenant(id, "http://localhost:8080/t/"+id, store.Tenant{DCRPolicy: p})
		t.Run("an unknown dcr_policy "+p+" is closed", func(t *testing.T) {
			wantError(t, hs.do(req{tenant: id, body: guideFull}), 403, "access_denied")
		})
	}
	hs.addTenant("prefixes", "http://localhost:8080/t/prefixes", store.Tenant{Scopes: []string{"mcp:read", "mcp:write"}})
	for _, s := range []string{"mcp:read-all", "mcp:rea", "mcp:readmcp:write", "MCP:READ", "mcp:read*"} {
		t.Run("tenant scopes compare whole scopes: "+s, func(t *testing.T) {
			wantError(t, hs.do(req{tenant: "prefixes", body: `{"client_name":"a","scope":"` + s + `"}`}), 400, "invalid_client_metadata")
		})
	}
	t.Run("an initial access token is refused at its expiry instant", func(t *testing.T) {
		hs.addTenant("gated2", "http://localhost:8080/t/gated2", store.Tenant{DCRPolicy: PolicyInitialAccessToken})
		secret := ids.NewSecret()
		k := store.InitialAccessToken{ID: ids.New("iat_"), Hash: ids.Hash(secret), ExpiresAt: hs.now.Add(time.Minute), CreatedAt: hs.now}
		if err := hs.st.CreateInitialAccessToken(t.Context(), tenant.MustID("gated2"), k, store.AuditEvent{ID: ids.New("aud_"), CreatedAt: hs.now}); err != nil {
			t.Fatal(err)
		}
		defer func(at time.Time) { hs.now = at }(hs.now)
		hs.now = k.ExpiresAt.Add(-time.Millisecond)
		if w := hs.do(req{tenant: "gated2", body: guideFull, auth: "Bearer " + secret}); w.Code != 201 {
			t.Fatalf("just before expiry: %d %s", w.Code, w.Body)
		}
		hs.now = k.ExpiresAt
		wantError(t, hs.do(req{tenant: "gated2", body: guideFull, auth: "Bearer " + secret}), 401, "invalid_token")
	})
}

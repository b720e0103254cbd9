package token

import (
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestResourceServerCaller (issue 24): a resource server's credential
// introspects exactly the tokens whose aud names one of its resources; it
// revokes nothing and is never issued a token. An admin key with scope
// introspect introspects any token of its tenant and revokes nothing.
func TestResourceServerCaller(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	const mcp, api = "https://mcp.example.com", "https://api.example.com"
	hs.client("acme", store.Client{ClientID: "multi", Scopes: []string{"mcp:read"}, Active: true})
	hs.client("acme", store.Client{ID: "rs_1", ClientID: "shark_rs_1", Kind: store.KindResourceServer, Active: true,
		Audiences: []string{mcp}, GrantTypes: []string{}})
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.jwtKey.PublicKey, KeyID: "c1", Algorithm: "ES256"}}})
	hs.client("acme", store.Client{ID: "rs_jwt", ClientID: "shark_rs_jwt", Kind: store.KindResourceServer, Active: true,
		Audiences: []string{mcp}, GrantTypes: []string{}, JWKS: jwks, SecretHash: []byte{}})
	// A resource server of another tenant with the same resource.
	hs.client("beta", store.Client{ID: "rs_b", ClientID: "shark_rs_b", Kind: store.KindResourceServer, Active: true,
		Audiences: []string{mcp}, GrantTypes: []string{}})
	rsForm := func(tok string) map[string][]string {
		return form("token", tok, "client_id", "shark_rs_1", "client_secret", secret)
	}
	introspect := func(t *testing.T, tenantName string, fm map[string][]string, headers map[string]string) map[string]any {
		t.Helper()
		w := hs.do(call{tenant: tenantName, path: "/oauth/introspect", form: fm, headers: headers})
		if w.Code != 200 {
			t.Fatalf("introspect %d %s", w.Code, w.Body)
		}
		return decode(t, w)
	}
	forMCP := f.issueFor(t, "acme", "multi", "resource", mcp)
	forAPI := f.issueFor(t, "acme", "multi", "resource", api)
	forBoth := f.issueFor(t, "acme", "multi", "resource", api, "resource", mcp)

	t.Run("its audience: active", func(t *testing.T) {
		b := introspect(t, "", rsForm(forMCP), nil)
		want(t, b["active"] == true && b["client_id"] == "multi" && eqAud(b["aud"], mcp), "%v", b)
		want(t, introspect(t, "", rsForm(forBoth), nil)["active"] == true, "a token for two audiences, one of them its own")
	})
	t.Run("another audience: inactive", func(t *testing.T) {
		w := hs.do(call{path: "/oauth/introspect", form: rsForm(forAPI)})
		want(t, w.Code == 200 && w.Body.String() == `{"active":false}`+"\n", "%d %s", w.Code, w.Body)
		w = hs.do(call{path: "/oauth/introspect", form: rsForm(f.issueFor(t, "acme", "shark_agent_1"))})
		want(t, w.Code == 200 && w.Body.String() == `{"active":false}`+"\n", "%d %s", w.Code, w.Body)
	})
	t.Run("a revoked token of its audience: inactive", func(t *testing.T) {
		tok := f.issueFor(t, "acme", "multi", "resource", mcp)
		admin := map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}
		if w := hs.do(call{path: "/oauth/revoke", form: form("token", tok), headers: admin}); w.Code != 200 {
			t.Fatalf("revoke %d %s", w.Code, w.Body)
		}
		want(t, introspect(t, "", rsForm(tok), nil)["active"] == false, "a revoked token is active")
	})
	t.Run("another tenant's resource server: inactive", func(t *testing.T) {
		b := introspect(t, "beta", form("token", forMCP, "client_id", "shark_rs_b", "client_secret", secret), nil)
		want(t, len(b) == 1 && b["active"] == false, "%v", b)
	})
	t.Run("private_key_jwt, each assertion once", func(t *testing.T) {
		a := f.assertion(t, "shark_rs_jwt", ids.NanoID())
		fm := form("token", forMCP, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", a)
		want(t, introspect(t, "", fm, nil)["active"] == true, "private_key_jwt resource server")
		w := hs.do(call{path: "/oauth/introspect", form: fm})
		want(t, w.Code == 401 && decode(t, w)["error"] == "invalid_client", "replayed assertion: %d %s", w.Code, w.Body)
	})
	t.Run("it revokes nothing", func(t *testing.T) {
		for _, tok := range []string{forMCP, forAPI, "not-a-token"} {
			w := hs.do(call{path: "/oauth/revoke", form: rsForm(tok)})
			want(t, w.Code == 400 && decode(t, w)["error"] == "unauthorized_client", "revoke by a resource server: %d %s", w.Code, w.Body)
		}
		want(t, introspect(t, "", rsForm(forMCP), nil)["active"] == true, "revoked by a resource server")
	})
	t.Run("it is never issued a token", func(t *testing.T) {
		for _, gt := range []string{GrantClientCredentials, GrantTokenExchange, "authorization_code", "refresh_token", "urn:unknown"} {
			w := hs.do(call{form: form("grant_type", gt, "client_id", "shark_rs_1", "client_secret", secret, "subject_token", forMCP,
				"subject_token_type", AccessTokenType, "code", "x", "refresh_token", "x")})
			want(t, w.Code == 400 && decode(t, w)["error"] == "unauthorized_client", "%s: %d %s", gt, w.Code, w.Body)
		}
		a := f.assertion(t, "shark_rs_jwt", ids.NanoID())
		w := hs.do(call{form: form("grant_type", GrantClientCredentials, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", a)})
		want(t, w.Code == 400 && decode(t, w)["error"] == "unauthorized_client", "private_key_jwt: %d %s", w.Code, w.Body)
	})

	introspectKey := ids.NewKey(ids.AdminKeyPrefix)
	if err := hs.st.CreateAPIKey(t.Context(), tenant.MustID("acme"), store.APIKey{ID: "key_introspect", Name: "introspect", Hash: ids.Hash(introspectKey), Scopes: []string{"introspect"}, CreatedAt: hs.now},
		store.AuditEvent{ID: ids.New("aud_"), Event: "api_key.created", Metadata: map[string]any{}, CreatedAt: hs.now}); err != nil {
		t.Fatal(err)
	}
	key := map[string]string{"Authorization": "Bearer " + introspectKey}
	t.Run("an introspect key sees any token of its tenant", func(t *testing.T) {
		for _, tok := range []string{forMCP, forAPI, f.issueFor(t, "acme", "shark_agent_1")} {
			want(t, introspect(t, "", form("token", tok), key)["active"] == true, "introspect key")
		}
		w := hs.do(call{tenant: "beta", path: "/oauth/introspect", form: form("token", f.issueFor(t, "beta", "shark_agent_1")), headers: key})
		want(t, w.Code == 401 && decode(t, w)["error"] == "invalid_client", "the key in another tenant: %d %s", w.Code, w.Body)
	})
	t.Run("an introspect key revokes nothing", func(t *testing.T) {
		w := hs.do(call{path: "/oauth/revoke", form: form("token", forAPI), headers: key})
		want(t, w.Code == 403 && decode(t, w)["error"] == "access_denied", "revoke with an introspect key: %d %s", w.Code, w.Body)
		want(t, introspect(t, "", form("token", forAPI), key)["active"] == true, "revoked by an introspect key")
	})
}

package token

import (
	"net/url"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// issueFor gets a client_credentials token (optionally DPoP-bound) for tests.
func (f *fixtures) issueFor(t *testing.T, tenantName, clientID string, extra ...string) string {
	t.Helper()
	fm := form(append([]string{"grant_type", "client_credentials", "client_id", clientID, "client_secret", secret}, extra...)...)
	w := f.hs.do(call{tenant: tenantName, form: fm})
	if w.Code != 200 {
		t.Fatalf("issue for %s: %d %s", clientID, w.Code, w.Body)
	}
	return decode(t, w)["access_token"].(string)
}

func exchangeForm(clientID, subject string, kv ...string) url.Values {
	return form(append([]string{"grant_type", GrantTokenExchange, "client_id", clientID, "client_secret", secret,
		"subject_token", subject, "subject_token_type", AccessTokenType}, kv...)...)
}

func TestTokenExchange(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	subject := f.issueFor(t, "acme", "shark_agent_1", "audience", "https://a.example", "audience", "https://b.example")
	betaToken := f.issueFor(t, "beta", "shark_agent_1")
	defaultAud := f.issueFor(t, "acme", "shark_agent_1")
	revoked := f.issueFor(t, "acme", "shark_agent_1")
	if w := hs.do(call{path: "/oauth/revoke", form: form("token", revoked), headers: map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}}); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	cases := []struct {
		name   string
		call   call
		status int
		code   string
		check  func(t *testing.T, b, c map[string]any)
	}{
		{name: "self-exchange narrows scope and audience, DPoP-bound",
			call:   call{form: exchangeForm("shark_agent_1", subject, "scope", "mcp:read", "audience", "https://a.example"), dpop: []string{f.proof()}},
			status: 200, check: func(t *testing.T, b, c map[string]any) {
				want(t, b["issued_token_type"] == AccessTokenType && b["token_type"] == "DPoP" && b["scope"] == "mcp:read", "body %v", b)
				want(t, c["sub"] == "shark_agent_1" && eqAud(c["aud"], "https://a.example") && c["act"] == nil && c["may_act"] == nil, "claims %v", c)
				want(t, c["exp"].(float64) <= claimsOf(t, subject)["exp"].(float64), "outlives the subject: %v", c)
			}},
		{name: "a subject with the default audience may be restricted to a resource (SDK example)",
			call: call{form: exchangeForm("shark_agent_1", defaultAud, "scope", "mcp:read", "audience", "https://mcp.example.com"), dpop: []string{f.proof()}}, status: 200,
			check: func(t *testing.T, b, c map[string]any) {
				want(t, eqAud(c["aud"], "https://mcp.example.com") && b["scope"] == "mcp:read" && b["token_type"] == "DPoP", "%v %v", b, c)
			}},
		{name: "omitted scope and audience keep the subject's",
			call: call{form: exchangeForm("shark_agent_1", subject)}, status: 200,
			check: func(t *testing.T, b, c map[string]any) {
				want(t, b["scope"] == "mcp:read mcp:write" && eqAud(c["aud"], "https://a.example", "https://b.example"), "%v %v", b, c)
			}},
		// Error paths.
		{name: "exchange without a grant (another agent)", call: call{form: exchangeForm("shark_agent_2", subject)}, status: 403, code: "access_denied"},
		{name: "exchange widening scope", call: call{form: exchangeForm("shark_agent_1", f.issueFor(t, "acme", "shark_agent_1", "scope", "mcp:read"), "scope", "mcp:read mcp:write")}, status: 400, code: "invalid_scope"},
		{name: "self-exchange widening audience", call: call{form: exchangeForm("shark_agent_1", subject, "audience", "https://c.example")}, status: 400, code: "invalid_target"},
		{name: "subject token of tenant beta on tenant acme", call: call{form: exchangeForm("shark_agent_1", betaToken)}, status: 400, code: "invalid_grant"},
		{name: "revoked subject token", call: call{form: exchangeForm("shark_agent_1", revoked)}, status: 400, code: "invalid_grant"},
		{name: "garbage subject token", call: call{form: exchangeForm("shark_agent_1", "eyJhbGciOiJub25lIn0.e30.")}, status: 400, code: "invalid_grant"},
		{name: "missing subject_token", call: call{form: form("grant_type", GrantTokenExchange, "client_id", "shark_agent_1", "client_secret", secret, "subject_token_type", AccessTokenType)}, status: 400, code: "invalid_request"},
		{name: "wrong subject_token_type", call: call{form: form("grant_type", GrantTokenExchange, "client_id", "shark_agent_1", "client_secret", secret, "subject_token", subject, "subject_token_type", "urn:ietf:params:oauth:token-type:id_token")}, status: 400, code: "invalid_request"},
		{name: "requested refresh token", call: call{form: exchangeForm("shark_agent_1", subject, "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token")}, status: 400, code: "invalid_request"},
		{name: "exchange needs client authentication", call: call{form: form("grant_type", GrantTokenExchange, "subject_token", subject, "subject_token_type", AccessTokenType)}, status: 401, code: "invalid_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(tc.call)
			b := decode(t, w)
			if w.Code != tc.status || (tc.code != "" && b["error"] != tc.code) {
				t.Fatalf("%d %v; want %d %s", w.Code, b, tc.status, tc.code)
			}
			if tc.check != nil {
				tc.check(t, b, claimsOf(t, b["access_token"].(string)))
			}
		})
	}
	t.Run("expired subject token", func(t *testing.T) {
		old := f.issueFor(t, "acme", "shark_agent_1")
		hs.now = hs.now.Add(901 * time.Second)
		defer func() { hs.now = hs.now.Add(-901 * time.Second) }()
		w := hs.do(call{form: exchangeForm("shark_agent_1", old)})
		if w.Code != 400 || decode(t, w)["error"] != "invalid_grant" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}

// TestDelegationThroughMayActGrants: a live grant from the acting agent (by id
// or client_id) to the subject lets it exchange, with act naming it; the
// grant's scopes and max_hops bound the result; expired, revoked or absent
// grants are 403 access_denied.
func TestDelegationThroughMayActGrants(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	acme := tenant.MustID("acme")
	scopes := []string{"mcp:read", "mcp:write"}
	for _, id := range []string{"deleg-a", "deleg-b", "deleg-c", "deleg-d", "deleg-e", "deleg-f"} {
		hs.client("acme", store.Client{ClientID: id, Scopes: scopes, Active: true})
	}
	grant := func(id, from, to string, hops int, sc []string, mutate func(*store.MayActGrant)) {
		g := store.MayActGrant{ID: id, FromID: from, ToID: to, MaxHops: hops, Scopes: sc, CreatedAt: hs.now}
		if mutate != nil {
			mutate(&g)
		}
		if err := hs.st.CreateGrant(t.Context(), acme, g, ev(hs, "may_act.granted")); err != nil {
			t.Fatal(err)
		}
	}
	grant("mag_1", "deleg-b", "deleg-a", 1, nil, nil)                        // by client_id
	grant("mag_2", "agent_deleg-c", "deleg-a", 2, []string{"mcp:read"}, nil) // by agent id, narrower
	grant("mag_3", "deleg-d", "deleg-c", 2, nil, nil)
	grant("mag_4", "deleg-e", "deleg-a", 1, nil, func(g *store.MayActGrant) { g.ExpiresAt = hs.now.Add(-time.Second) })
	grant("mag_5", "deleg-d", "deleg-a", 1, nil, nil)
	grant("mag_6", "deleg-f", "deleg-a", 1, nil, nil)
	if _, err := hs.st.RevokeGrant(t.Context(), acme, "mag_5", ev(hs, "may_act.revoked")); err != nil {
		t.Fatal(err)
	}
	subject := f.issueFor(t, "acme", "deleg-a")

	w := hs.do(call{form: exchangeForm("deleg-b", subject), dpop: []string{f.proof()}})
	b := decode(t, w)
	if w.Code != 200 {
		t.Fatalf("delegation by client_id: %d %v", w.Code, b)
	}
	c := claimsOf(t, b["access_token"].(string))
	act, _ := c["act"].(map[string]any)
	if c["sub"] != "deleg-a" || c["client_id"] != "deleg-b" || act["sub"] != "deleg-b" || act["cnf"].(map[string]any)["jkt"] != f.p.jkt() || act["act"] != nil {
		t.Fatalf("delegated claims %v", c)
	}

	in := hs.do(call{path: "/oauth/introspect", form: form("token", b["access_token"].(string)), headers: map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}})
	ib := decode(t, in)
	if ib["active"] != true || ib["sub"] != "deleg-a" || ib["client_id"] != "deleg-b" || ib["act"].(map[string]any)["sub"] != "deleg-b" {
		t.Fatalf("introspection of a delegated token: %v", ib)
	}

	viaC := hs.do(call{form: exchangeForm("deleg-c", subject)})
	bc := decode(t, viaC)
	if viaC.Code != 200 || bc["scope"] != "mcp:read" {
		t.Fatalf("grant by agent id with its scopes: %d %v", viaC.Code, bc)
	}

	delegated := b["access_token"].(string)
	again := hs.do(call{form: exchangeForm("deleg-c", delegated, "scope", "mcp:read")})
	ba := decode(t, again)
	if again.Code != 200 {
		t.Fatalf("second hop within max_hops 2: %d %v", again.Code, ba)
	}
	if a := claimsOf(t, ba["access_token"].(string))["act"].(map[string]any); a["sub"] != "deleg-c" || a["act"].(map[string]any)["sub"] != "deleg-b" {
		t.Fatalf("act chain %v", a)
	}
	holder := hs.do(call{form: exchangeForm("deleg-b", delegated, "scope", "mcp:read")})
	bh := decode(t, holder)
	if holder.Code != 200 || claimsOf(t, bh["access_token"].(string))["act"].(map[string]any)["sub"] != "deleg-b" {
		t.Fatalf("holder narrowing its delegated token: %d %v", holder.Code, bh)
	}

	cases := []struct {
		name   string
		call   call
		status int
		code   string
	}{
		{name: "wider than the grant's scopes", call: call{form: exchangeForm("deleg-c", subject, "scope", "mcp:write")}, status: 400, code: "invalid_scope"},
		{name: "expired grant", call: call{form: exchangeForm("deleg-e", subject)}, status: 403, code: "access_denied"},
		{name: "revoked grant", call: call{form: exchangeForm("deleg-d", subject)}, status: 403, code: "access_denied"},
		{name: "no grant at all", call: call{form: exchangeForm("shark_agent_2", subject)}, status: 403, code: "access_denied"},
		{name: "chain at max_hops", call: call{form: exchangeForm("deleg-f", delegated)}, status: 403, code: "access_denied"},
		{name: "grant to another subject", call: call{form: exchangeForm("deleg-d", subject)}, status: 403, code: "access_denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(tc.call)
			b := decode(t, w)
			if w.Code != tc.status || b["error"] != tc.code {
				t.Fatalf("%d %v; want %d %s", w.Code, b, tc.status, tc.code)
			}
		})
	}
}

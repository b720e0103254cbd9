package token

import (
	"net/url"
	"testing"
	"time"
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

package admin_test

import (
	"testing"
)

// TestNoServerErrorForBadInput sends malformed and mistyped bodies to every
// route that reads one: each answer is a 4xx (the harness fails on a 5xx) with
// a JSON error, never a 500.
func TestNoServerErrorForBadInput(t *testing.T) {
	h := newHarness(t)
	a := h.agent(h.key, "", nil)
	u := h.user(h.key, "", "u@example.com")
	app := h.do("POST", "/api/v1/admin/apps", h.key, map[string]any{"name": "x"})
	key := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "x"})
	aid, uid := a["id"].(string), u["id"].(string)
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/agents"}, {"PATCH", "/api/v1/agents/" + aid},
		{"POST", "/api/v1/agents/" + aid + "/rotate-dpop-key"},
		{"POST", "/api/v1/admin/users"}, {"PATCH", "/api/v1/users/" + uid},
		{"POST", "/api/v1/users/" + uid + "/revoke-agents"},
		{"POST", "/api/v1/admin/apps"}, {"PATCH", "/api/v1/admin/apps/" + app.str("id")},
		{"POST", "/api/v1/api-keys"}, {"POST", "/api/v1/admin/may-act"},
		{"POST", "/api/v1/admin/signing-keys/rotate"}, {"POST", "/api/v1/admin/oauth/revoke-by-pattern"},
	}
	bodies := []string{
		`null`, `[]`, `"s"`, `1`, `{`, `{}}`, `{"a":1}{"b":2}`, "\xff\xfe",
		`{"name":null,"email":null,"scopes":null,"metadata":null}`,
		`{"name":{},"scopes":[1],"metadata":"x","grant_types":{},"audiences":[null]}`,
		`{"name":"x","token_lifetime":1e20,"max_hops":1e20}`,
		`{"name":"x","token_lifetime":-1,"max_hops":-1}`,
		`{"name":"x","jwks":"x","new_public_jwk":[],"mode":[]}`,
		`{"new_public_jwk":{"kty":"EC","crv":"P-256","x":"!","y":"!"}}`,
		`{"new_public_jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}`,
		`{"client_id_pattern":"[","agent_ids":[null],"reason":{}}`,
		`{"email":"a@b.c","password":1,"email_verified":"x"}`,
		`{"from_id":"x","to_id":"y","expires_at":"2099-13-45T00:00:00Z"}`,
		`{"name":"` + string(make([]byte, 300)) + `"}`,
		`{"name":"x","redirect_uris":["::"],"integration_mode":5}`,
		`{"agent_ids":["` + aid + `","` + aid + `"]}`,
		`{"scopes":["*"],"expires_at":12}`,
	}
	for _, r := range routes {
		for _, b := range bodies {
			h.t = t
			res := h.do(r.method, r.path, h.key, b)
			if res.status >= 300 && res.str("error") == "" {
				t.Errorf("%s %s %q: %d without an error code: %s", r.method, r.path, b, res.status, res.raw)
			}
		}
	}
	_ = key
}

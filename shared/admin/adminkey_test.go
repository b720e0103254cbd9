package admin_test

import (
	"strings"
	"testing"
	"time"
)

func TestAdminKeyAuthentication(t *testing.T) {
	h := newHarness(t)
	limited := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "reader", "scopes": []string{"introspect"}})
	limited.want(201, "", "")
	expiring := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "short", "expires_at": h.clock.Now().Add(time.Minute).Format(time.RFC3339)})
	expiring.want(201, "", "")
	revoked := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "gone"})
	revoked.want(201, "", "")
	h.do("DELETE", "/api/v1/api-keys/"+revoked.str("id"), h.key, nil).want(200, "", "")
	h.clock.Advance(2 * time.Minute)

	cases := []struct {
		name, path, header string
		status             int
		code, message      string
	}{
		{"valid key", "/api/v1/agents", "Bearer " + h.key, 200, "", ""},
		{"valid key, path tenant", "/t/bravo/api/v1/agents", "Bearer " + h.bravoKey, 200, "", ""},
		{"lower-case scheme", "/api/v1/agents", "bearer " + h.key, 200, "", ""},
		{"missing header", "/api/v1/agents", "", 401, "unauthorized", "missing API key"},
		{"not bearer", "/api/v1/agents", "Basic " + h.key, 401, "unauthorized", "missing API key"},
		{"wrong prefix", "/api/v1/agents", "Bearer sk_test_" + strings.Repeat("A", 43), 401, "unauthorized", "invalid API key format"},
		{"platform key", "/api/v1/agents", "Bearer " + h.platform, 401, "unauthorized", "invalid API key format"},
		{"prefix only", "/api/v1/agents", "Bearer sk_live_", 401, "unauthorized", "invalid API key format"},
		{"unknown key", "/api/v1/agents", "Bearer sk_live_" + strings.Repeat("A", 43), 401, "unauthorized", "invalid API key"},
		{"revoked key", "/api/v1/agents", "Bearer " + revoked.str("key"), 401, "unauthorized", "revoked"},
		{"expired key", "/api/v1/agents", "Bearer " + expiring.str("key"), 401, "unauthorized", "expired"},
		{"another tenant's key on the root", "/api/v1/agents", "Bearer " + h.bravoKey, 401, "unauthorized", "invalid API key"},
		{"root key on another tenant", "/t/bravo/api/v1/agents", "Bearer " + h.key, 401, "unauthorized", "invalid API key"},
		{"key without *", "/api/v1/agents", "Bearer " + limited.str("key"), 403, "forbidden", "scope"},
		{"unknown tenant", "/t/nope/api/v1/agents", "Bearer " + h.key, 404, "not_found", "unknown tenant"},
		{"unknown route", "/api/v1/nothing", "Bearer " + h.key, 404, "not_found", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			req := map[string]string{}
			if c.header != "" {
				req["Authorization"] = c.header
			}
			r := h.doHeaders("GET", c.path, req)
			r.want(c.status, c.code, c.message)
			if c.name == "another tenant's key on the root" || c.name == "root key on another tenant" {
				if r.str("message") != "invalid API key" {
					t.Fatalf("a key of another tenant is told apart from an unknown one: %q", r.str("message"))
				}
			}
		})
	}
}

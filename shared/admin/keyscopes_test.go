package admin_test

import (
	"strings"
	"testing"
)

// TestAPIKeyScopesAllowList (issue 24): a key's scopes are "*" or
// "introspect"; any other scope is refused at creation, naming it, and
// nothing is written.
func TestAPIKeyScopesAllowList(t *testing.T) {
	h := newHarness(t)
	before := len(h.do("GET", "/api/v1/api-keys", h.key, nil).list("data"))
	for _, tc := range []struct {
		name    string
		scopes  []string
		mention string
	}{
		{"unknown scope", []string{"agents:read"}, "agents:read"},
		{"one unknown among known", []string{"introspect", "admin"}, "admin"},
		{"a scope differing in case", []string{"Introspect"}, "Introspect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "x", "scopes": tc.scopes}).want(400, "invalid_request", tc.mention)
		})
	}
	h.t = t
	if after := len(h.do("GET", "/api/v1/api-keys", h.key, nil).list("data")); after != before {
		t.Fatalf("a refused key was written: %d keys, were %d", after, before)
	}
	for _, scopes := range [][]string{{"*"}, {"introspect"}, {"*", "introspect"}} {
		r := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "ok", "scopes": scopes})
		r.want(201, "", "")
		if got := r.obj()["scopes"].([]any); len(got) != len(scopes) {
			t.Fatalf("scopes %v: %s", scopes, r.raw)
		}
	}
	// An introspect key calls no admin route.
	k := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "rs", "scopes": []string{"introspect"}}).str("key")
	for _, route := range [][2]string{{"GET", "/api/v1/agents"}, {"POST", "/api/v1/api-keys"}, {"GET", "/api/v1/resource-servers"}} {
		r := h.do(route[0], route[1], k, map[string]any{"name": "x"})
		r.want(403, "forbidden", "scope *")
		if strings.Contains(r.raw, k) {
			t.Fatalf("the key echoed: %s", r.raw)
		}
	}
}

package admin_test

import (
	"testing"
)

// GET /api/v1/admin/tenant shows an admin key its own tenant's settings
// (what the dashboard's settings page reads); changing them stays a
// platform-key call. A tenant's key sees its tenant only.
func TestOwnTenantSettings(t *testing.T) {
	h := newHarness(t)
	h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{
		"default_audience": "https://mcp.example.com", "scopes": []string{"mcp:read"}, "dcr_policy": "closed",
	}).want(200, "", "")

	r := h.do("GET", "/t/bravo/api/v1/admin/tenant", h.bravoKey, nil)
	r.want(200, "", "")
	o := r.obj()
	if o["id"] != "bravo" || o["default_audience"] != "https://mcp.example.com" || o["dcr_policy"] != "closed" ||
		o["issuer"] != "http://localhost:8080/t/bravo" || o["disabled"] != false {
		t.Fatalf("bravo: %s", r.raw)
	}
	if sc, _ := o["scopes"].([]any); len(sc) != 1 || sc[0] != "mcp:read" {
		t.Fatalf("scopes: %s", r.raw)
	}
	if _, ok := o["dcr_scopes"].([]any); !ok {
		t.Fatalf("dcr_scopes: %s", r.raw)
	}

	root := h.do("GET", "/api/v1/admin/tenant", h.key, nil)
	root.want(200, "", "")
	if root.str("id") != "default" || root.str("default_audience") != "" {
		t.Fatalf("root: %s", root.raw)
	}

	// Another tenant's key, no key, a platform key, a body: refused.
	h.do("GET", "/t/bravo/api/v1/admin/tenant", h.key, nil).want(401, "", "")
	h.do("GET", "/api/v1/admin/tenant", "", nil).want(401, "", "")
	h.do("GET", "/api/v1/admin/tenant", h.platform, nil).want(401, "", "")
	h.do("GET", "/api/v1/admin/tenant?x=1", h.key, nil).want(400, "", "")
	// Writes are not served here: settings belong to the platform API.
	h.do("PATCH", "/api/v1/admin/tenant", h.key, map[string]any{"default_audience": "https://x.example"}).want(405, "", "")
}

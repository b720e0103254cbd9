package admin_test

import (
	"strings"
	"testing"
	"time"
)

func TestMayActGrants(t *testing.T) {
	h := newHarness(t)
	a, b := h.agent(h.key, "", nil), h.agent(h.key, "", nil)
	r := h.do("POST", "/api/v1/admin/may-act", h.key, map[string]any{"from_id": a["id"], "to_id": b["id"], "max_hops": 2, "scopes": []string{"mcp:read"}})
	r.want(201, "", "")
	g := r.obj()
	if !strings.HasPrefix(r.str("id"), "mag_") || g["from_id"] != a["id"] || g["to_id"] != b["id"] || g["max_hops"] != 2.0 || g["revoked_at"] != nil || g["expires_at"] != nil || g["created_at"] == nil {
		t.Fatalf("grant: %s", r.raw)
	}
	h.lastEvent(root, "may_act.granted")
	def := h.do("POST", "/api/v1/admin/may-act", h.key, map[string]any{"from_id": b["id"], "to_id": a["id"], "expires_at": h.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	def.want(201, "", "")
	if def.obj()["max_hops"] != 1.0 || len(def.obj()["scopes"].([]any)) != 0 || def.obj()["expires_at"] == nil {
		t.Fatalf("defaults: %s", def.raw)
	}
	find := func(q string) int { return len(h.do("GET", "/api/v1/admin/may-act"+q, h.key, nil).list("grants")) }
	if find("") != 2 || find("?from_id="+a["id"].(string)) != 1 || find("?to_id="+a["id"].(string)) != 1 || find("?from_id=nobody") != 0 {
		t.Fatal("find")
	}
	rev := h.do("DELETE", "/api/v1/admin/may-act/"+r.str("id"), h.key, nil)
	rev.want(200, "", "")
	if rev.obj()["revoked_at"] == nil || rev.str("id") != r.str("id") {
		t.Fatalf("revoke: %s", rev.raw)
	}
	h.lastEvent(root, "may_act.revoked")
	if find("") != 1 || find("?include_revoked=true") != 2 {
		t.Fatal("revoked grant listed or lost")
	}
	if got := h.do("GET", "/api/v1/admin/may-act/"+r.str("id"), h.key, nil); got.obj()["revoked_at"] == nil {
		t.Fatalf("get: %s", got.raw)
	}
	errs := []struct {
		name, method, path string
		body               any
		status             int
		code, mention      string
	}{
		{"missing from_id", "POST", "/api/v1/admin/may-act", map[string]any{"to_id": "x"}, 400, "invalid_request", "from_id"},
		{"missing to_id", "POST", "/api/v1/admin/may-act", map[string]any{"from_id": "x"}, 400, "invalid_request", "to_id"},
		{"from_id of wrong type", "POST", "/api/v1/admin/may-act", map[string]any{"from_id": 1, "to_id": "x"}, 400, "invalid_request", "from_id"},
		{"max_hops zero", "POST", "/api/v1/admin/may-act", map[string]any{"from_id": "x", "to_id": "y", "max_hops": 0}, 400, "invalid_request", "max_hops"},
		{"max_hops as text", "POST", "/api/v1/admin/may-act", map[string]any{"from_id": "x", "to_id": "y", "max_hops": "1"}, 400, "invalid_request", "max_hops"},
		{"expired", "POST", "/api/v1/admin/may-act", map[string]any{"from_id": "x", "to_id": "y", "expires_at": "2000-01-01T00:00:00Z"}, 400, "invalid_request", "expires_at"},
		{"bad include_revoked", "GET", "/api/v1/admin/may-act?include_revoked=perhaps", nil, 400, "invalid_request", "include_revoked"},
		{"revoke unknown", "DELETE", "/api/v1/admin/may-act/mag_nope", nil, 404, "not_found", "grant"},
		{"get unknown", "GET", "/api/v1/admin/may-act/mag_nope", nil, 404, "not_found", "grant"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do(c.method, c.path, h.key, c.body).want(c.status, c.code, c.mention)
		})
	}
}

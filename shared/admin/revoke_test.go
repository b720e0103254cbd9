package admin_test

import (
	"strings"
	"testing"
)

func TestRevokeByPattern(t *testing.T) {
	h := newHarness(t)
	a, b := h.agent(h.key, "", nil), h.agent(h.key, "", nil)
	app := h.do("POST", "/api/v1/admin/apps", h.key, map[string]any{"name": "shop"})
	ja := h.token(root, a["client_id"].(string), a["id"].(string), "", "")
	jb := h.token(root, b["client_id"].(string), b["id"].(string), "", "")
	japp := h.token(root, app.str("client_id"), "", "", "")
	// Bravo's agent with a matching client_id must not be touched.
	ba := h.agent(h.bravoKey, "/t/bravo", nil)
	jbravo := h.token(bravo, ba["client_id"].(string), ba["id"].(string), "", "")

	r := h.do("POST", "/api/v1/admin/oauth/revoke-by-pattern", h.key, map[string]any{"client_id_pattern": "shark_agent_*", "reason": "incident"})
	r.want(200, "", "")
	if r.obj()["revoked_count"] != 2.0 || r.str("pattern_matched") != "shark_agent_*" || !strings.HasPrefix(r.str("audit_event_id"), "aud_") {
		t.Fatalf("revoke: %s", r.raw)
	}
	if h.active(root, ja) || h.active(root, jb) || !h.active(root, japp) || !h.active(bravo, jbravo) {
		t.Fatal("pattern revocation hit the wrong tokens")
	}
	if ev := h.events(root)[r.str("audit_event_id")]; ev.Event != "oauth.tokens_bulk_revoked" || ev.Metadata["reason"] != "incident" {
		t.Fatalf("event: %+v", ev)
	}
	if !h.active(root, h.token(root, a["client_id"].(string), a["id"].(string), "", "")) {
		t.Fatal("token issued after the pattern revocation is inactive")
	}
	// A null reason is fine (the SDK sends it).
	h.do("POST", "/api/v1/admin/oauth/revoke-by-pattern", h.key, map[string]any{"client_id_pattern": "shark_app_*", "reason": nil}).want(200, "", "")
	if h.active(root, japp) {
		t.Fatal("app token survived its pattern")
	}
	errs := []struct {
		name string
		body any
	}{
		{"missing pattern", map[string]any{"reason": "x"}},
		{"empty pattern", map[string]any{"client_id_pattern": ""}},
		{"pattern of wrong type", map[string]any{"client_id_pattern": 5}},
		{"malformed glob", map[string]any{"client_id_pattern": "shark_[agent"}},
		{"not JSON", "x"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do("POST", "/api/v1/admin/oauth/revoke-by-pattern", h.key, c.body).want(400, "invalid_request", "")
		})
	}
}

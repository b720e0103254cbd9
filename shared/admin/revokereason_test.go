package admin_test

import (
	"strings"
	"testing"
)

// Revoking an agent or all its tokens takes an optional reason (the
// dashboard asks for one), recorded in the audit event; no body still
// works (the SDK sends none), other members and an overlong reason are
// refused before anything changes.
func TestRevokeReasons(t *testing.T) {
	h := newHarness(t)
	a := h.agent(h.key, "", nil)
	id := a["id"].(string)
	path := "/api/v1/agents/" + id

	h.do("POST", path+"/tokens/revoke-all", h.key, map[string]any{"why": "x"}).want(400, "invalid_request", "why")
	h.do("POST", path+"/tokens/revoke-all", h.key, map[string]any{"reason": strings.Repeat("x", 501)}).want(400, "", "reason")
	h.do("POST", path+"/tokens/revoke-all", h.key, map[string]any{"reason": "rotating credentials"}).want(200, "", "")
	if ev := h.lastEvent(root, "agent.tokens_revoked"); ev.Metadata["reason"] != "rotating credentials" || ev.Metadata["agent_id"] != id {
		t.Fatalf("revoke-all event: %+v", ev)
	}
	h.do("POST", path+"/tokens/revoke-all", h.key, nil).want(200, "", "")
	if ev := h.lastEvent(root, "agent.tokens_revoked"); ev.Metadata["reason"] != nil {
		t.Fatalf("revoke-all without a reason: %+v", ev)
	}

	h.do("DELETE", path, h.key, map[string]any{"why": "x"}).want(400, "invalid_request", "why")
	if got := h.do("GET", path, h.key, nil); got.obj()["active"] != true {
		t.Fatalf("a refused delete deactivated the agent: %s", got.raw)
	}
	h.do("DELETE", path, h.key, map[string]any{"reason": "customer left"}).want(204, "", "")
	if ev := h.lastEvent(root, "agent.deactivated"); ev.Metadata["reason"] != "customer left" || ev.Metadata["agent_id"] != id {
		t.Fatalf("delete event: %+v", ev)
	}
	b := h.agent(h.key, "", nil)
	h.do("DELETE", "/api/v1/agents/"+b["id"].(string), h.key, nil).want(204, "", "")
}

package admin_test

import (
	"strings"
	"testing"
)

// POST /api/v1/agents/{id}/tokens/{jti}/revoke revokes one token of an
// agent (the others stay active), with its audit event and the reason; a
// token of another agent or tenant, an unknown jti, a second revoke.
func TestRevokeOneToken(t *testing.T) {
	h := newHarness(t)
	a := h.agent(h.key, "", nil)
	b := h.agent(h.key, "", nil)
	id, cid := a["id"].(string), a["client_id"].(string)
	one := h.token(root, cid, id, "", "")
	other := h.token(root, cid, id, "", "")
	ofB := h.token(root, b["client_id"].(string), b["id"].(string), "", "")

	path := "/api/v1/agents/" + id + "/tokens/"
	h.do("POST", path+one+"/revoke", h.key, map[string]any{"reason": "leaked in a log"}).want(204, "", "")
	if h.active(root, one) || !h.active(root, other) {
		t.Fatal("revoked the wrong tokens")
	}
	ev := h.lastEvent(root, "oauth.token_revoked")
	if ev.TargetID != one || ev.TargetType != "token" || ev.ActorType != "admin_key" || ev.Metadata["reason"] != "leaked in a log" ||
		ev.Metadata["agent_id"] != id || ev.Metadata["client_id"] != cid {
		t.Fatalf("event: %+v", ev)
	}
	// The token list shows it revoked, by a token revocation.
	r := h.do("GET", "/api/v1/agents/"+id+"/tokens", h.key, nil)
	for _, tok := range r.list("data") {
		if tok["jti"] == one && (tok["active"] != false || tok["revoked_reason"] != "revoked") {
			t.Fatalf("listed: %v", tok)
		}
	}
	// Again: a success that writes nothing (RFC 7009 §2.2's rule).
	before := len(h.events(root))
	h.do("POST", path+one+"/revoke", h.key, nil).want(204, "", "")
	if len(h.events(root)) != before {
		t.Fatal("a second revoke wrote an event")
	}

	// Another agent's token through this agent, an unknown jti, an
	// unknown agent, another tenant's key: not found, nothing revoked.
	h.do("POST", path+ofB+"/revoke", h.key, nil).want(404, "not_found", "token")
	h.do("POST", path+"nope/revoke", h.key, nil).want(404, "not_found", "token")
	h.do("POST", "/api/v1/agents/agent_nope/tokens/"+other+"/revoke", h.key, nil).want(404, "not_found", "agent")
	h.do("POST", "/t/bravo"+path+other+"/revoke", h.bravoKey, nil).want(404, "not_found", "")
	h.do("POST", path+other+"/revoke", "", nil).want(401, "", "")
	h.do("POST", path+other+"/revoke", h.key, map[string]any{"why": "x"}).want(400, "invalid_request", "why")
	h.do("POST", path+other+"/revoke", h.key, map[string]any{"reason": strings.Repeat("x", 501)}).want(400, "", "")
	if !h.active(root, ofB) || !h.active(root, other) {
		t.Fatal("a refused revoke revoked a token")
	}
}

package admin_test

import (
	"strings"
	"testing"
)

// TestTenantIsolation drives every admin route as tenant A (the root) at
// tenant B's objects: nothing of B is read, changed or listed, and afterwards
// all of B is as it was.
func TestTenantIsolation(t *testing.T) {
	h := newHarness(t)
	const pb = "/t/bravo"
	bu := h.user(h.bravoKey, pb, "b-user@example.com")
	ba := h.agent(h.bravoKey, pb, map[string]any{"name": "b-agent", "created_by": bu["id"]})
	bApp := h.do("POST", pb+"/api/v1/admin/apps", h.bravoKey, map[string]any{"name": "b-app"})
	bKey := h.do("POST", pb+"/api/v1/api-keys", h.bravoKey, map[string]any{"name": "b-key"})
	bGrant := h.do("POST", pb+"/api/v1/admin/may-act", h.bravoKey, map[string]any{"from_id": ba["id"], "to_id": bu["id"]})
	bKids := h.jwksKids(pb + "/.well-known/jwks.json")
	bTok := h.token(bravo, ba["client_id"].(string), ba["id"].(string), "", "")
	bAppTok := h.token(bravo, bApp.str("client_id"), "", "", "")
	// Tenant A has objects of its own, so its lists are not trivially empty.
	au := h.user(h.key, "", "a-user@example.com")
	aa := h.agent(h.key, "", map[string]any{"created_by": au["id"]})

	agentIDs := []string{ba["id"].(string), ba["client_id"].(string)}
	appIDs := []string{bApp.str("id"), bApp.str("client_id")}
	type route struct{ method, path string }
	var notFound []route
	for _, id := range agentIDs {
		for _, r := range []route{
			{"GET", "/api/v1/agents/" + id}, {"PATCH", "/api/v1/agents/" + id}, {"DELETE", "/api/v1/agents/" + id},
			{"GET", "/api/v1/agents/" + id + "/tokens"}, {"POST", "/api/v1/agents/" + id + "/tokens/revoke-all"},
			{"POST", "/api/v1/agents/" + id + "/rotate-secret"}, {"POST", "/api/v1/agents/" + id + "/rotate-dpop-key"},
			{"GET", "/api/v1/agents/" + id + "/audit"}, {"GET", "/api/v1/agents/" + id + "/policies"},
			{"POST", "/api/v1/agents/" + id + "/policies"},
		} {
			notFound = append(notFound, r)
		}
	}
	for _, id := range appIDs {
		for _, r := range []route{
			{"GET", "/api/v1/admin/apps/" + id}, {"PATCH", "/api/v1/admin/apps/" + id}, {"DELETE", "/api/v1/admin/apps/" + id},
			{"POST", "/api/v1/admin/apps/" + id + "/rotate-secret"},
		} {
			notFound = append(notFound, r)
		}
	}
	bRS := h.do("POST", "/t/bravo/api/v1/resource-servers", h.bravoKey, map[string]any{"name": "b-rs", "resources": []string{"https://b.example.com"}})
	bRS.want(201, "", "")
	for _, id := range []string{bRS.str("id"), bRS.str("client_id")} {
		for _, r := range []route{
			{"GET", "/api/v1/resource-servers/" + id}, {"PATCH", "/api/v1/resource-servers/" + id}, {"DELETE", "/api/v1/resource-servers/" + id},
			{"POST", "/api/v1/resource-servers/" + id + "/rotate-secret"},
		} {
			notFound = append(notFound, r)
		}
	}
	uid, kid, gid := bu["id"].(string), bKey.str("id"), bGrant.str("id")
	notFound = append(notFound,
		route{"GET", "/api/v1/users/" + uid}, route{"PATCH", "/api/v1/users/" + uid}, route{"DELETE", "/api/v1/users/" + uid},
		route{"GET", "/api/v1/users/" + uid + "/agents"},
		route{"GET", "/api/v1/api-keys/" + kid}, route{"DELETE", "/api/v1/api-keys/" + kid}, route{"POST", "/api/v1/api-keys/" + kid + "/rotate"},
		route{"GET", "/api/v1/admin/may-act/" + gid}, route{"DELETE", "/api/v1/admin/may-act/" + gid},
	)
	bodies := map[string]any{
		"PATCH": map[string]any{"name": "hijacked", "email": "hijack@example.com", "active": false},
		"POST":  map[string]any{"new_public_jwk": ecJWK(t), "reason": "hijack"},
	}
	for _, r := range notFound {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			h.t = t
			h.do(r.method, r.path, h.key, bodies[r.method]).want(404, "not_found", "")
		})
	}

	// Lists of A never show B's objects.
	bIDs := []string{uid, ba["id"].(string), ba["client_id"].(string), bApp.str("id"), bApp.str("client_id"), kid, gid, "b-user@example.com"}
	for _, path := range []string{
		"/api/v1/agents", "/api/v1/agents?search=b-agent", "/api/v1/agents?created_by_user_id=" + uid, "/api/v1/users",
		"/api/v1/users?email=b-user@example.com", "/api/v1/admin/apps", "/api/v1/api-keys", "/api/v1/admin/may-act",
		"/api/v1/admin/may-act?from_id=" + ba["id"].(string) + "&include_revoked=true", "/api/v1/admin/signing-keys",
	} {
		t.Run("list "+path, func(t *testing.T) {
			h.t = t
			r := h.do("GET", path, h.key, nil)
			r.want(200, "", "")
			for _, id := range append(bIDs, bKids...) {
				if strings.Contains(r.raw, id) {
					t.Fatalf("tenant B's %s listed: %s", id, r.raw)
				}
			}
		})
	}

	// Writes of A that could reach B.
	h.t = t
	h.do("POST", "/api/v1/agents", h.key, map[string]any{"name": "x", "created_by": uid}).want(400, "invalid_request", "created_by")
	if rv := h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, map[string]any{"reason": "hijack"}); len(rv.obj()["revoked_agent_ids"].([]any)) != 0 {
		t.Fatalf("A's cascade listed B's agents: %s", rv.raw)
	}
	if rv := h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, map[string]any{"agent_ids": []string{ba["id"].(string)}}); rv.status != 200 ||
		len(rv.obj()["revoked_agent_ids"].([]any)) != 0 || rv.obj()["audit_event_id"] != nil {
		t.Fatalf("A's cascade naming B's agent: %s", rv.raw) // ignored, as any id that is not the user's agent
	}
	h.do("POST", "/api/v1/agents/"+aa["id"].(string)+"/policies", h.key, map[string]any{"policies": []any{map[string]any{"agent_id": ba["client_id"]}}}).want(400, "invalid_request", "names no agent")
	if rv := h.do("POST", "/api/v1/admin/oauth/revoke-by-pattern", h.key, map[string]any{"client_id_pattern": "*"}); rv.obj()["revoked_count"] != 0.0 {
		t.Fatalf("A's pattern counted B's tokens: %s", rv.raw)
	}
	h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, map[string]any{"mode": "emergency"}).want(200, "", "")
	h.do("POST", "/api/v1/admin/users", h.key, map[string]any{"email": "b-user@example.com"}).want(201, "", "") // emails are per tenant

	// B is intact.
	if !h.active(bravo, bTok) || !h.active(bravo, bAppTok) {
		t.Fatal("tenant B's tokens were revoked by tenant A")
	}
	if got := h.do("GET", pb+"/api/v1/agents/"+ba["id"].(string), h.bravoKey, nil); got.obj()["active"] != true || got.str("name") != "b-agent" || got.obj()["dpop_jkt"] != nil {
		t.Fatalf("tenant B's agent changed: %s", got.raw)
	}
	stored, _ := h.env.Store.GetClient(t.Context(), bravo, ba["client_id"].(string))
	if stored.Version != 1 {
		t.Fatalf("tenant B's agent was written (version %d)", stored.Version)
	}
	if got := h.do("GET", pb+"/api/v1/users/"+uid, h.bravoKey, nil); got.str("email") != "b-user@example.com" {
		t.Fatalf("tenant B's user changed: %s", got.raw)
	}
	if got := h.do("GET", pb+"/api/v1/admin/apps/"+bApp.str("id"), h.bravoKey, nil); got.str("name") != "b-app" {
		t.Fatalf("tenant B's app changed: %s", got.raw)
	}
	h.do("GET", pb+"/api/v1/agents", bKey.str("key"), nil).want(200, "", "")
	if got := h.do("GET", pb+"/api/v1/admin/may-act/"+gid, h.bravoKey, nil); got.obj()["revoked_at"] != nil {
		t.Fatalf("tenant B's grant revoked: %s", got.raw)
	}
	if kids := h.jwksKids(pb + "/.well-known/jwks.json"); strings.Join(kids, ",") != strings.Join(bKids, ",") {
		t.Fatalf("tenant B's JWKS changed: %v → %v", bKids, kids)
	}
	if tn, _ := h.env.Store.GetTenant(t.Context(), bravo); len(tn.RevokedPatterns)+len(tn.RevokedKIDs) != 0 {
		t.Fatalf("tenant B's revocations: %+v", tn)
	}
}

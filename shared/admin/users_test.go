package admin_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestUsers(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v1/admin/users", h.key, map[string]any{"email": "Alice@Example.com", "name": "Alice", "password": "correct horse", "email_verified": true})
	r.want(201, "", "")
	u := r.obj()
	if !regexp.MustCompile(`^usr_[0-9A-Za-z_-]{21}$`).MatchString(r.str("id")) || u["email"] != "Alice@Example.com" || u["email_verified"] != true || u["has_password"] != true {
		t.Fatalf("user: %s", r.raw)
	}
	if strings.Contains(r.raw, "correct horse") || strings.Contains(r.raw, "argon2") || u["password"] != nil || u["password_hash"] != nil {
		t.Fatalf("password leaked: %s", r.raw)
	}
	stored, err := h.env.Store.GetUser(t.Context(), root, r.str("id"))
	if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || strings.Contains(stored.PasswordHash, "correct horse") {
		t.Fatalf("stored hash: %q %v", stored.PasswordHash, err)
	}
	ev := h.lastEvent(root, "user.created")
	if ev.TargetID != r.str("id") || strings.Contains(string(mustJSON(ev)), "correct horse") {
		t.Fatalf("event: %+v", ev)
	}
	id := r.str("id")
	h.clock.Advance(time.Millisecond)
	bob := h.user(h.key, "", "bob@example.com")

	createErrs := []struct {
		name    string
		body    any
		status  int
		code    string
		mention string
	}{
		{"duplicate email, other case", map[string]any{"email": "alice@EXAMPLE.com"}, 409, "conflict", "email"},
		{"missing email", map[string]any{"name": "x"}, 400, "invalid_request", "email"},
		{"email of wrong type", map[string]any{"email": 5}, 400, "invalid_request", "email"},
		{"not an email", map[string]any{"email": "not-an-email"}, 400, "invalid_request", "email"},
		{"display-name form", map[string]any{"email": "Alice <a@example.com>"}, 400, "invalid_request", "email"},
		{"empty password", map[string]any{"email": "p@example.com", "password": ""}, 400, "invalid_request", "password"},
		{"email_verified of wrong type", map[string]any{"email": "v@example.com", "email_verified": "yes"}, 400, "invalid_request", "email_verified"},
		{"not JSON", "{", 400, "invalid_request", ""},
	}
	for _, c := range createErrs {
		t.Run("create: "+c.name, func(t *testing.T) {
			h.t = t
			h.do("POST", "/api/v1/admin/users", h.key, c.body).want(c.status, c.code, c.mention)
		})
	}
	h.t = t

	got := h.do("GET", "/api/v1/users/"+id, h.key, nil)
	got.want(200, "", "")
	if got.str("email") != "Alice@Example.com" || got.obj()["password_hash"] != nil {
		t.Fatalf("get: %s", got.raw)
	}
	h.do("GET", "/api/v1/users/usr_nope", h.key, nil).want(404, "not_found", "user")

	list := h.do("GET", "/api/v1/users", h.key, nil)
	if users := list.list("data"); len(users) != 2 || users[0]["id"] != bob["id"] || list.obj()["total"] != 2.0 {
		t.Fatalf("list: %s", list.raw)
	}
	byEmail := h.do("GET", "/api/v1/users?email=ALICE@example.com", h.key, nil)
	if users := byEmail.list("data"); len(users) != 1 || users[0]["id"] != id {
		t.Fatalf("by email: %s", byEmail.raw)
	}
	if none := h.do("GET", "/api/v1/users?email=nobody@example.com", h.key, nil); len(none.list("data")) != 0 || none.obj()["total"] != 0.0 {
		t.Fatalf("unknown email: %s", none.raw)
	}
	page := h.do("GET", "/api/v1/users?limit=1", h.key, nil)
	next := page.str("next_cursor")
	if len(page.list("data")) != 1 || next == "" {
		t.Fatalf("page: %s", page.raw)
	}
	if rest := h.do("GET", "/api/v1/users?limit=1&cursor="+next, h.key, nil); rest.list("data")[0]["id"] != id {
		t.Fatalf("second page: %s", rest.raw)
	}
	h.do("GET", "/api/v1/users?limit=500", h.key, nil).want(400, "invalid_request", "limit")
	h.do("GET", "/api/v1/users?cursor=bogus", h.key, nil).want(400, "invalid_request", "cursor")

	upd := h.do("PATCH", "/api/v1/users/"+id, h.key, map[string]any{"name": "Alice B", "email": "alice@new.example", "metadata": map[string]any{"tier": "pro"}})
	upd.want(200, "", "")
	if upd.str("name") != "Alice B" || upd.str("email") != "alice@new.example" || upd.obj()["metadata"].(map[string]any)["tier"] != "pro" {
		t.Fatalf("update: %s", upd.raw)
	}
	h.lastEvent(root, "user.updated")
	h.do("POST", "/api/v1/admin/users", h.key, map[string]any{"email": "alice@example.com"}).want(201, "", "") // the old email is free
	updErrs := []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"email of another user", "/api/v1/users/" + id, map[string]any{"email": "BOB@example.com"}, 409, "conflict"},
		{"empty email", "/api/v1/users/" + id, map[string]any{"email": ""}, 400, "invalid_request"},
		{"wrong type", "/api/v1/users/" + id, map[string]any{"name": []int{1}}, 400, "invalid_request"},
		{"unknown user", "/api/v1/users/usr_nope", map[string]any{"name": "x"}, 404, "not_found"},
	}
	for _, c := range updErrs {
		t.Run("update: "+c.name, func(t *testing.T) {
			h.t = t
			h.do("PATCH", c.path, h.key, c.body).want(c.status, c.code, "")
		})
	}
	h.t = t

	// Delete cascades to the user's agents.
	agent := h.agent(h.key, "", map[string]any{"created_by": id})
	jti := h.token(root, agent["client_id"].(string), agent["id"].(string), "", "")
	h.do("DELETE", "/api/v1/users/"+id, h.key, nil).want(204, "", "")
	if h.active(root, jti) {
		t.Fatal("token of a deleted user's agent is active")
	}
	if a := h.do("GET", "/api/v1/agents/"+agent["id"].(string), h.key, nil); a.obj()["active"] != false {
		t.Fatalf("agent of a deleted user: %s", a.raw)
	}
	h.lastEvent(root, "user.deleted")
	h.do("GET", "/api/v1/users/"+id, h.key, nil).want(404, "not_found", "user")
	h.do("DELETE", "/api/v1/users/"+id, h.key, nil).want(404, "not_found", "user")
	h.do("POST", "/api/v1/agents", h.key, map[string]any{"name": "late", "created_by": id}).want(400, "invalid_request", "created_by")
}

func TestRevokeUserAgents(t *testing.T) {
	h := newHarness(t)
	u := h.user(h.key, "", "owner@example.com")
	uid := u["id"].(string)
	a1 := h.agent(h.key, "", map[string]any{"created_by": uid})
	a2 := h.agent(h.key, "", map[string]any{"user_id": uid})
	other := h.agent(h.key, "", nil)
	j1 := h.token(root, a1["client_id"].(string), a1["id"].(string), "", "")
	j2 := h.token(root, a2["client_id"].(string), a2["id"].(string), "", "")
	jo := h.token(root, other["client_id"].(string), other["id"].(string), "", "")

	listed := h.do("GET", "/api/v1/users/"+uid+"/agents", h.key, nil)
	listed.want(200, "", "")
	if len(listed.list("data")) != 2 || listed.obj()["total"] != 2.0 || listed.str("filter") != "all" {
		t.Fatalf("user agents: %s", listed.raw)
	}
	if created := h.do("GET", "/api/v1/users/"+uid+"/agents?filter=created&limit=1&offset=1", h.key, nil); len(created.list("data")) != 1 || created.list("data")[0]["id"] != a1["id"] || created.str("filter") != "created" {
		t.Fatalf("paged: %s", created.raw)
	}
	if authorized := h.do("GET", "/api/v1/users/"+uid+"/agents?filter=authorized", h.key, nil); len(authorized.list("data")) != 0 {
		t.Fatalf("authorized: %s", authorized.raw)
	}

	// Only the listed agents.
	part := h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, map[string]any{"agent_ids": []string{a2["client_id"].(string)}, "reason": "one"})
	part.want(200, "", "")
	if fmt.Sprint(part.obj()["revoked_agent_ids"]) != fmt.Sprint([]any{a2["id"]}) || h.active(root, j2) || !h.active(root, j1) {
		t.Fatalf("partial: %s", part.raw)
	}
	// Every agent of the user.
	r := h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, map[string]any{"reason": "cancelled"})
	r.want(200, "", "")
	body := r.obj()
	ids := body["revoked_agent_ids"].([]any)
	if len(ids) != 1 || ids[0] != a1["id"] || body["revoked_consent_count"] != 0.0 || !strings.HasPrefix(r.str("audit_event_id"), "aud_") || len(body) != 3 {
		t.Fatalf("revoke-agents: %s", r.raw)
	}
	if h.active(root, j1) || !h.active(root, jo) {
		t.Fatal("cascade missed the user's token or hit a bystander")
	}
	ev := h.events(root)[r.str("audit_event_id")]
	if ev.Event != "user.agents_revoked" || ev.ActorID != uid || ev.Metadata["reason"] != "cancelled" || fmt.Sprint(ev.Metadata["revoked_count"]) != "1" {
		t.Fatalf("event: %+v", ev)
	}
	// An agent created after the cascade works.
	h.clock.Advance(time.Millisecond)
	later := h.agent(h.key, "", map[string]any{"created_by": uid})
	if !h.active(root, h.token(root, later["client_id"].(string), later["id"].(string), "", "")) {
		t.Fatal("agent created after the cascade is revoked")
	}
	// An unknown user is not an error.
	unknown := h.do("POST", "/api/v1/users/usr_alice_id/revoke-agents", h.key, map[string]any{"reason": "cancelled"})
	unknown.want(200, "", "")
	if len(unknown.obj()["revoked_agent_ids"].([]any)) != 0 || !h.active(root, jo) {
		t.Fatalf("unknown user: %s", unknown.raw)
	}
	h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, nil).want(200, "", "") // no body at all

	errs := []struct {
		name, path string
		body       any
		status     int
		code       string
		mention    string
	}{
		{"agent id that is no id", "/api/v1/users/" + uid + "/revoke-agents", map[string]any{"agent_ids": []string{other["id"].(string), "a b"}}, 400, "invalid_request", "agent_ids[1]"},
		{"agent_ids of wrong type", "/api/v1/users/" + uid + "/revoke-agents", map[string]any{"agent_ids": "x"}, 400, "invalid_request", "agent_ids"},
		{"reason of wrong type", "/api/v1/users/" + uid + "/revoke-agents", map[string]any{"reason": 1}, 400, "invalid_request", "reason"},
		{"list agents of unknown user", "/api/v1/users/usr_nope/agents", nil, 404, "not_found", "user"},
		{"bad filter", "/api/v1/users/" + uid + "/agents?filter=some", nil, 400, "invalid_request", "filter"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			method := "POST"
			if strings.Contains(c.path, "/agents") && !strings.Contains(c.path, "revoke") {
				method = "GET"
			}
			h.do(method, c.path, h.key, c.body).want(c.status, c.code, c.mention)
		})
	}
}

// A user with 250 agents (more than one transaction holds): one call, and
// every token of every agent is inactive through the activity decision.
func TestRevokeAgentsOfAUserWith250Agents(t *testing.T) {
	h := newHarness(t)
	uid := h.user(h.key, "", "many@example.com")["id"].(string)
	var jtis, agentIDs []string
	for i := range 250 {
		a := h.agent(h.key, "", map[string]any{"name": fmt.Sprintf("agent-%03d", i), "created_by": uid})
		agentIDs = append(agentIDs, a["id"].(string))
		jtis = append(jtis, h.token(root, a["client_id"].(string), a["id"].(string), "", ""))
	}
	r := h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, map[string]any{"reason": "offboarded"})
	r.want(200, "", "")
	if got := r.obj()["revoked_agent_ids"].([]any); len(got) != 250 {
		t.Fatalf("%d agents revoked", len(got))
	}
	for _, jti := range jtis {
		if h.active(root, jti) {
			t.Fatalf("token %s still active", jti)
		}
	}
	list := h.do("GET", "/api/v1/agents?active=true&created_by_user_id="+uid, h.key, nil)
	if list.obj()["total"] != 0.0 {
		t.Fatalf("agents still active: %s", list.raw)
	}
	if ev := h.events(root)[r.str("audit_event_id")]; fmt.Sprint(ev.Metadata["revoked_count"]) != "250" {
		t.Fatalf("event: %+v", ev.Metadata["revoked_count"])
	}
}

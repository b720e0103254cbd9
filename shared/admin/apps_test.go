package admin_test

import (
	"regexp"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
)

func TestApps(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v1/admin/apps", h.key, map[string]any{"name": "My Shop!", "integration_mode": "proxy", "redirect_uris": []string{"https://shop.example/cb"}})
	r.want(201, "", "")
	app := r.obj()
	if !regexp.MustCompile(`^app_[0-9A-Za-z_-]{21}$`).MatchString(r.str("id")) || !regexp.MustCompile(`^shark_app_[0-9A-Za-z_-]{21}$`).MatchString(r.str("client_id")) ||
		!secretPattern.MatchString(r.str("client_secret")) || app["slug"] != "my-shop" || app["integration_mode"] != "proxy" || app["name"] != "My Shop!" {
		t.Fatalf("app: %s", r.raw)
	}
	id, cid := r.str("id"), r.str("client_id")
	h.lastEvent(root, "app.created")

	list := h.do("GET", "/api/v1/admin/apps", h.key, nil)
	if apps := list.list("data"); len(apps) != 1 || apps[0]["id"] != id || apps[0]["client_secret"] != nil {
		t.Fatalf("list: %s", list.raw)
	}
	for _, key := range []string{id, cid} {
		if g := h.do("GET", "/api/v1/admin/apps/"+key, h.key, nil); g.str("id") != id || g.obj()["client_secret"] != nil {
			t.Fatalf("get %s: %s", key, g.raw)
		}
	}
	upd := h.do("PATCH", "/api/v1/admin/apps/"+id, h.key, map[string]any{"name": "Renamed", "redirect_uris": []string{"myapp://cb"}})
	upd.want(200, "", "")
	if upd.str("name") != "Renamed" || upd.obj()["slug"] != "my-shop" {
		t.Fatalf("update: %s", upd.raw)
	}
	h.lastEvent(root, "app.updated")
	rot := h.do("POST", "/api/v1/admin/apps/"+id+"/rotate-secret", h.key, nil)
	rot.want(200, "", "")
	stored, _ := h.env.Store.GetClient(t.Context(), root, cid)
	if !ids.Matches(rot.str("client_secret"), stored.SecretHash) || ids.Matches(r.str("client_secret"), stored.SecretHash) {
		t.Fatal("secret not rotated")
	}
	h.lastEvent(root, "app.secret_rotated")
	// An app is not an agent, and an agent is not an app.
	agent := h.agent(h.key, "", nil)
	errs := []struct {
		name, method, path string
		body               any
		status             int
		code, mention      string
	}{
		{"missing name", "POST", "/api/v1/admin/apps", map[string]any{"integration_mode": "custom"}, 400, "invalid_request", "name"},
		{"name of wrong type", "POST", "/api/v1/admin/apps", map[string]any{"name": true}, 400, "invalid_request", "name"},
		{"bad integration mode", "POST", "/api/v1/admin/apps", map[string]any{"name": "x", "integration_mode": "Not A Mode!"}, 400, "invalid_request", "integration_mode"},
		{"relative redirect", "POST", "/api/v1/admin/apps", map[string]any{"name": "x", "redirect_uris": []string{"/cb"}}, 400, "invalid_request", "redirect_uris[0]"},
		{"redirect with fragment", "POST", "/api/v1/admin/apps", map[string]any{"name": "x", "redirect_uris": []string{"https://a.example/#x"}}, 400, "invalid_request", "redirect_uris[0]"},
		{"get unknown", "GET", "/api/v1/admin/apps/app_nope", nil, 404, "not_found", "application"},
		{"get an agent", "GET", "/api/v1/admin/apps/" + agent["id"].(string), nil, 404, "not_found", "application"},
		{"patch unknown", "PATCH", "/api/v1/admin/apps/app_nope", map[string]any{"name": "x"}, 404, "not_found", "application"},
		{"patch wrong type", "PATCH", "/api/v1/admin/apps/" + id, map[string]any{"redirect_uris": "x"}, 400, "invalid_request", "redirect_uris"},
		{"rotate unknown", "POST", "/api/v1/admin/apps/app_nope/rotate-secret", nil, 404, "not_found", "application"},
		{"delete unknown", "DELETE", "/api/v1/admin/apps/app_nope", nil, 404, "not_found", "application"},
		{"delete an agent", "DELETE", "/api/v1/admin/apps/" + agent["id"].(string), nil, 404, "not_found", "application"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do(c.method, c.path, h.key, c.body).want(c.status, c.code, c.mention)
		})
	}
	h.t = t
	jti := h.token(root, cid, "", "", "")
	h.do("DELETE", "/api/v1/admin/apps/"+id, h.key, nil).want(204, "", "")
	h.do("GET", "/api/v1/admin/apps/"+id, h.key, nil).want(404, "not_found", "")
	if h.active(root, jti) {
		t.Fatal("token of a deleted app is active")
	}
	h.lastEvent(root, "app.deleted")
}

package admin_test

import (
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/password"
)

// POST /api/v1/users/{id}/password sets a user's sign-in password (what the
// authorize function checks), audited without the password.
func TestSetUserPassword(t *testing.T) {
	h := newHarness(t)
	u := h.user(h.key, "", "alice@example.com")
	id := u["id"].(string)
	if u["has_password"] != false {
		t.Fatalf("user: %v", u)
	}
	r := h.do("POST", "/api/v1/users/"+id+"/password", h.key, map[string]any{"password": "correct horse battery"})
	r.want(200, "", "")
	if r.obj()["has_password"] != true || strings.Contains(r.raw, "correct horse") || strings.Contains(r.raw, "argon2") {
		t.Fatalf("answer: %s", r.raw)
	}
	stored, err := h.env.Store.GetUser(t.Context(), root, id)
	if err != nil || !password.Check("correct horse battery", stored.PasswordHash) || password.Check("wrong", stored.PasswordHash) {
		t.Fatalf("stored hash: %v", err)
	}
	ev := h.lastEvent(root, "user.password_set")
	if ev.TargetID != id || strings.Contains(string(mustJSON(ev)), "correct horse") || strings.Contains(string(mustJSON(ev)), "argon2") {
		t.Fatalf("event: %+v", ev)
	}

	for _, c := range []struct {
		name    string
		path    string
		key     string
		body    any
		status  int
		code    string
		mention string
	}{
		{"unknown user", "/api/v1/users/usr_nope/password", h.key, map[string]any{"password": "x"}, 404, "not_found", "user"},
		{"no password", "/api/v1/users/" + id + "/password", h.key, map[string]any{}, 400, "invalid_request", "password"},
		{"empty password", "/api/v1/users/" + id + "/password", h.key, map[string]any{"password": ""}, 400, "invalid_request", "password"},
		{"password too long", "/api/v1/users/" + id + "/password", h.key, map[string]any{"password": strings.Repeat("x", 1025)}, 400, "invalid_request", "password"},
		{"password of wrong type", "/api/v1/users/" + id + "/password", h.key, map[string]any{"password": 5}, 400, "invalid_request", "password"},
		{"no key", "/api/v1/users/" + id + "/password", "", map[string]any{"password": "x"}, 401, "unauthorized", ""},
		{"another tenant's user", "/t/bravo/api/v1/users/" + id + "/password", h.bravoKey, map[string]any{"password": "x"}, 404, "not_found", "user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do("POST", c.path, c.key, c.body).want(c.status, c.code, c.mention)
		})
	}
	h.t = t
	if after, _ := h.env.Store.GetUser(t.Context(), root, id); !password.Check("correct horse battery", after.PasswordHash) {
		t.Fatal("a refused call changed the password")
	}
}

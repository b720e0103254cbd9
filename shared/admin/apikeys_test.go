package admin_test

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAPIKeys(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "ci"})
	r.want(201, "", "")
	k := r.obj()
	secret := r.str("key")
	if !strings.HasPrefix(r.str("id"), "key_") || !strings.HasPrefix(secret, "sk_live_") || len(secret) != len("sk_live_")+43 ||
		k["key_prefix"] != secret[:12] || k["key_suffix"] != secret[len(secret)-4:] || k["expires_at"] != nil || k["revoked_at"] != nil ||
		len(k["scopes"].([]any)) != 1 || k["scopes"].([]any)[0] != "*" {
		t.Fatalf("key: %s", r.raw)
	}
	if ev := h.lastEvent(root, "api_key.created"); ev.TargetID != r.str("id") || strings.Contains(string(mustJSON(ev)), secret) {
		t.Fatalf("event: %+v", ev)
	}
	// The new key works.
	h.do("GET", "/api/v1/api-keys", secret, nil).want(200, "", "")
	list := h.do("GET", "/api/v1/api-keys", h.key, nil)
	if keys := list.list("data"); len(keys) != 2 || strings.Contains(list.raw, secret) || strings.Contains(list.raw, "hash") {
		t.Fatalf("list: %s", list.raw)
	}
	if g := h.do("GET", "/api/v1/api-keys/"+r.str("id"), h.key, nil); g.str("name") != "ci" || g.obj()["key"] != nil {
		t.Fatalf("get: %s", g.raw)
	}

	rot := h.do("POST", "/api/v1/api-keys/"+r.str("id")+"/rotate", h.key, nil)
	rot.want(201, "", "")
	if rot.str("id") == r.str("id") || !strings.HasPrefix(rot.str("key"), "sk_live_") || rot.str("name") != "ci" {
		t.Fatalf("rotate: %s", rot.raw)
	}
	h.do("GET", "/api/v1/api-keys", secret, nil).want(401, "unauthorized", "revoked")
	h.do("GET", "/api/v1/api-keys", rot.str("key"), nil).want(200, "", "")
	h.lastEvent(root, "api_key.rotated")

	// Revoke: 200 with revoked_at; the key stops working at once.
	rev := h.do("DELETE", "/api/v1/api-keys/"+rot.str("id"), h.key, nil)
	rev.want(200, "", "")
	if rev.obj()["revoked_at"] == nil || rev.obj()["active"] != false {
		t.Fatalf("revoke: %s", rev.raw)
	}
	h.do("GET", "/api/v1/api-keys", rot.str("key"), nil).want(401, "unauthorized", "")
	h.lastEvent(root, "api_key.revoked")
	// The last "*" key cannot go; a limited key does not count.
	h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "limited", "scopes": []string{"introspect"}}).want(201, "", "")
	first := h.do("GET", "/api/v1/api-keys", h.key, nil).list("data")
	var firstID string
	for _, x := range first {
		if x["active"] == true && x["name"] == "first admin key" {
			firstID = x["id"].(string)
		}
	}
	h.do("DELETE", "/api/v1/api-keys/"+firstID, h.key, nil).want(409, "last_admin_key", "")
	h.do("GET", "/api/v1/api-keys", h.key, nil).want(200, "", "")

	errs := []struct {
		name, method, path string
		body               any
		status             int
		code, mention      string
	}{
		{"missing name", "POST", "/api/v1/api-keys", map[string]any{"scopes": []string{"*"}}, 400, "invalid_request", "name"},
		{"scopes of wrong type", "POST", "/api/v1/api-keys", map[string]any{"name": "x", "scopes": "*"}, 400, "invalid_request", "scopes"},
		{"empty scopes", "POST", "/api/v1/api-keys", map[string]any{"name": "x", "scopes": []string{}}, 400, "invalid_request", "scopes"},
		{"expiry in the past", "POST", "/api/v1/api-keys", map[string]any{"name": "x", "expires_at": h.clock.Now().Add(-time.Hour).Format(time.RFC3339)}, 400, "invalid_request", "expires_at"},
		{"expiry not a time", "POST", "/api/v1/api-keys", map[string]any{"name": "x", "expires_at": "tomorrow"}, 400, "invalid_request", "expires_at"},
		{"get unknown", "GET", "/api/v1/api-keys/key_nope", nil, 404, "not_found", "API key"},
		{"revoke unknown", "DELETE", "/api/v1/api-keys/key_nope", nil, 404, "not_found", "API key"},
		{"rotate unknown", "POST", "/api/v1/api-keys/key_nope/rotate", nil, 404, "not_found", "API key"},
		{"rotate a revoked key", "POST", "/api/v1/api-keys/" + rot.str("id") + "/rotate", nil, 409, "conflict", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do(c.method, c.path, h.key, c.body).want(c.status, c.code, c.mention)
		})
	}
}

// Two admins revoke the last two "*" keys at once: exactly one succeeds.
func TestLastAdminKeyRace(t *testing.T) {
	h := newHarness(t)
	second := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "second"})
	second.want(201, "", "")
	var firstID string
	for _, x := range h.do("GET", "/api/v1/api-keys", h.key, nil).list("data") {
		if x["id"] != second.str("id") {
			firstID = x["id"].(string)
		}
	}
	targets := []string{firstID, second.str("id")}
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.doQuiet("DELETE", "/api/v1/api-keys/"+targets[i], []string{h.key, second.str("key")}[i])
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		} else if s != 409 && s != 401 {
			t.Fatalf("statuses %v", statuses)
		}
	}
	if ok != 1 {
		t.Fatalf("%d revocations succeeded: %v", ok, statuses)
	}
}

package admin_test

import (
	"strings"
	"testing"
)

func TestResourceServers(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v1/resource-servers", h.key, map[string]any{"name": "mcp", "resources": []string{"https://mcp.example.com"}})
	r.want(201, "", "")
	rs := r.obj()
	secret := r.str("client_secret")
	if !strings.HasPrefix(r.str("id"), "rs_") || !strings.HasPrefix(r.str("client_id"), "shark_rs_") || len(secret) != 64 ||
		rs["token_endpoint_auth_method"] != "client_secret_basic" || rs["active"] != true || len(rs["resources"].([]any)) != 1 {
		t.Fatalf("create: %s", r.raw)
	}
	id := r.str("id")
	ev := h.lastEvent(root, "resource_server.created")
	if ev.TargetID != id || strings.Contains(string(mustJSON(ev)), secret) {
		t.Fatalf("created event: %+v", ev)
	}
	// The secret is shown once: never in a read, a list or an event.
	g := h.do("GET", "/api/v1/resource-servers/"+id, h.key, nil)
	g.want(200, "", "")
	if strings.Contains(g.raw, secret) || strings.Contains(g.raw, "hash") || g.str("client_id") != r.str("client_id") {
		t.Fatalf("get: %s", g.raw)
	}
	h.do("GET", "/api/v1/resource-servers/"+r.str("client_id"), h.key, nil).want(200, "", "")
	l := h.do("GET", "/api/v1/resource-servers", h.key, nil)
	if d := l.list("data"); len(d) != 1 || d[0]["id"] != id || strings.Contains(l.raw, secret) {
		t.Fatalf("list: %s", l.raw)
	}
	// Never an agent or an application.
	agent := h.agent(h.key, "", nil)
	if l := h.do("GET", "/api/v1/agents", h.key, nil); strings.Contains(l.raw, id) {
		t.Fatalf("listed as an agent: %s", l.raw)
	}
	h.do("GET", "/api/v1/agents/"+id, h.key, nil).want(404, "not_found", "agent")
	h.do("GET", "/api/v1/admin/apps/"+id, h.key, nil).want(404, "not_found", "application")
	h.do("GET", "/api/v1/resource-servers/"+agent["id"].(string), h.key, nil).want(404, "not_found", "resource server")
	h.do("DELETE", "/api/v1/resource-servers/"+agent["id"].(string), h.key, nil).want(404, "not_found", "resource server")

	u := h.do("PATCH", "/api/v1/resource-servers/"+id, h.key, map[string]any{"name": "mcp 2", "resources": []string{"https://mcp.example.com", "https://api.example.com"}})
	u.want(200, "", "")
	if u.str("name") != "mcp 2" || len(u.obj()["resources"].([]any)) != 2 {
		t.Fatalf("update: %s", u.raw)
	}
	h.lastEvent(root, "resource_server.updated")

	rot := h.do("POST", "/api/v1/resource-servers/"+id+"/rotate-secret", h.key, nil)
	rot.want(200, "", "")
	if s := rot.str("client_secret"); len(s) != 64 || s == secret {
		t.Fatalf("rotate: %s", rot.raw)
	}
	if ev := h.lastEvent(root, "resource_server.secret_rotated"); ev.ID != rot.str("audit_event_id") || strings.Contains(string(mustJSON(ev)), rot.str("client_secret")) {
		t.Fatalf("rotated event: %+v", ev)
	}

	// private_key_jwt: keys instead of a secret, checked like other keys.
	k := h.do("POST", "/api/v1/resource-servers", h.key, map[string]any{"name": "api", "resources": []string{"https://api.example.com"},
		"jwks": map[string]any{"keys": []any{ecJWK(t)}}})
	k.want(201, "", "")
	if k.obj()["client_secret"] != nil || k.str("token_endpoint_auth_method") != "private_key_jwt" {
		t.Fatalf("jwks create: %s", k.raw)
	}
	h.do("POST", "/api/v1/resource-servers/"+k.str("id")+"/rotate-secret", h.key, nil).want(400, "invalid_request", "no secret")
	uri := h.do("POST", "/api/v1/resource-servers", h.key, map[string]any{"name": "remote", "resources": []string{"https://api.example.com"},
		"jwks_uri": "https://keys.example.com/jwks.json"})
	uri.want(201, "", "")
	if uri.str("jwks_uri") != "https://keys.example.com/jwks.json" || uri.obj()["client_secret"] != nil {
		t.Fatalf("jwks_uri create: %s", uri.raw)
	}

	del := h.do("DELETE", "/api/v1/resource-servers/"+id, h.key, nil)
	del.want(204, "", "")
	h.lastEvent(root, "resource_server.deleted")
	h.do("GET", "/api/v1/resource-servers/"+id, h.key, nil).want(404, "not_found", "resource server")
	h.do("DELETE", "/api/v1/resource-servers/"+id, h.key, nil).want(404, "not_found", "resource server")

	// Another tenant sees none of it.
	h.do("GET", "/t/bravo/api/v1/resource-servers/"+k.str("id"), h.bravoKey, nil).want(404, "not_found", "resource server")
	if l := h.do("GET", "/t/bravo/api/v1/resource-servers", h.bravoKey, nil); len(l.list("data")) != 0 {
		t.Fatalf("bravo lists: %s", l.raw)
	}
}

func TestResourceServerInput(t *testing.T) {
	h := newHarness(t)
	weak := map[string]any{"kty": "RSA", "n": "sXch", "e": "AQAB"}
	withD := ecJWK(t)
	withD["d"] = "AAAA"
	ok := []string{"https://mcp.example.com"}
	for _, tc := range []struct {
		name    string
		body    map[string]any
		code    string
		mention string
	}{
		{"no name", map[string]any{"resources": ok}, "invalid_request", "name"},
		{"no resources", map[string]any{"name": "x"}, "invalid_request", "resources"},
		{"empty resources", map[string]any{"name": "x", "resources": []string{}}, "invalid_request", "resources"},
		{"not a URL", map[string]any{"name": "x", "resources": []string{"mcp"}}, "invalid_request", "resources[0]"},
		{"unknown member", map[string]any{"name": "x", "resources": ok, "grant_types": []string{"client_credentials"}}, "invalid_request", "grant_types"},
		{"bad method", map[string]any{"name": "x", "resources": ok, "token_endpoint_auth_method": "none"}, "invalid_request", "token_endpoint_auth_method"},
		{"private_key_jwt without keys", map[string]any{"name": "x", "resources": ok, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_request", "jwks"},
		{"keys with a secret method", map[string]any{"name": "x", "resources": ok, "token_endpoint_auth_method": "client_secret_basic", "jwks": map[string]any{"keys": []any{ecJWK(t)}}}, "invalid_request", "jwks"},
		{"private key", map[string]any{"name": "x", "resources": ok, "jwks": map[string]any{"keys": []any{withD}}}, "invalid_jwk", "d"},
		{"weak key", map[string]any{"name": "x", "resources": ok, "jwks": map[string]any{"keys": []any{weak}}}, "invalid_jwk", "jwks"},
		{"http jwks_uri", map[string]any{"name": "x", "resources": ok, "jwks_uri": "http://keys.example.com"}, "invalid_request", "jwks_uri"},
		{"both", map[string]any{"name": "x", "resources": ok, "jwks_uri": "https://keys.example.com", "jwks": map[string]any{"keys": []any{ecJWK(t)}}}, "invalid_request", "exclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.do("POST", "/api/v1/resource-servers", h.key, tc.body).want(400, tc.code, tc.mention)
		})
	}
	if l := h.do("GET", "/api/v1/resource-servers", h.key, nil); len(l.list("data")) != 0 {
		t.Fatalf("a refused create wrote: %s", l.raw)
	}
	// A tenant that restricts its audiences admits only those as resources.
	h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"audiences": []string{"https://mcp.bravo.example"}}).want(200, "", "")
	h.do("POST", "/t/bravo/api/v1/resource-servers", h.bravoKey, map[string]any{"name": "x", "resources": []string{"https://other.example"}}).
		want(400, "invalid_request", "audiences")
	made := h.do("POST", "/t/bravo/api/v1/resource-servers", h.bravoKey, map[string]any{"name": "x", "resources": []string{"https://mcp.bravo.example"}})
	made.want(201, "", "")
	h.do("PATCH", "/t/bravo/api/v1/resource-servers/"+made.str("id"), h.bravoKey, map[string]any{"resources": []string{"https://other.example"}}).
		want(400, "invalid_request", "audiences")
	h.do("PATCH", "/t/bravo/api/v1/resource-servers/"+made.str("id"), h.bravoKey, map[string]any{"token_endpoint_auth_method": "private_key_jwt"}).
		want(400, "invalid_request", "token_endpoint_auth_method")
}

package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
)

// The register function as the local runner builds it: tenant resolution,
// no-store, CORS for browser-based clients, JSON 404/405.
func TestRegisterFunction(t *testing.T) {
	s := start(t, t.TempDir())
	h := app.Register(s.env)
	call := func(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://localhost:8080"+path, strings.NewReader(body))
		r.RemoteAddr = "127.0.0.1:5000"
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	cases := []struct {
		name   string
		run    func() *httptest.ResponseRecorder
		status int
		check  func(w *httptest.ResponseRecorder) bool
	}{
		{"register on the root tenant", func() *httptest.ResponseRecorder {
			return call("POST", "/oauth/register", `{"client_name":"a","scope":"mcp:read"}`, "Origin", "https://inspector.example")
		}, 201, func(w *httptest.ResponseRecorder) bool {
			var doc map[string]any
			json.Unmarshal(w.Body.Bytes(), &doc)
			uri, _ := doc["registration_client_uri"].(string)
			return w.Header().Get("Cache-Control") == "no-store" && w.Header().Get("Access-Control-Allow-Origin") == "*" &&
				strings.HasPrefix(uri, "http://localhost:8080/oauth/register/shark_dcr_")
		}},
		{"preflight", func() *httptest.ResponseRecorder {
			return call("OPTIONS", "/oauth/register", "", "Origin", "https://inspector.example", "Access-Control-Request-Method", "POST",
				"Access-Control-Request-Headers", "content-type")
		}, 204, func(w *httptest.ResponseRecorder) bool {
			return strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "POST") &&
				strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Content-Type")
		}},
		{"unknown path tenant", func() *httptest.ResponseRecorder {
			return call("POST", "/t/nope/oauth/register", `{"client_name":"a"}`)
		}, 404, func(w *httptest.ResponseRecorder) bool { return strings.Contains(w.Body.String(), "unknown tenant") }},
		{"wrong method", func() *httptest.ResponseRecorder { return call("PATCH", "/oauth/register", "") }, 405,
			func(w *httptest.ResponseRecorder) bool { return w.Header().Get("Allow") == "POST" }},
		{"management without token", func() *httptest.ResponseRecorder { return call("GET", "/oauth/register/shark_dcr_x", "") }, 401,
			func(w *httptest.ResponseRecorder) bool { return strings.Contains(w.Body.String(), `"invalid_token"`) }},
		{"body over 1 MiB", func() *httptest.ResponseRecorder {
			return call("POST", "/oauth/register", `{"client_name":"`+strings.Repeat("x", 1<<20)+`"}`)
		}, 413, func(w *httptest.ResponseRecorder) bool {
			return strings.HasPrefix(w.Header().Get("Content-Type"), "application/json")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.run()
			if w.Code != c.status || !c.check(w) {
				t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
			}
		})
	}
}

// Discovery advertises the registration endpoint.
func TestMetadataAdvertisesRegistration(t *testing.T) {
	s := start(t, t.TempDir())
	r := httptest.NewRequest("GET", "http://localhost:8080/.well-known/oauth-authorization-server", nil)
	w := httptest.NewRecorder()
	s.jwks.ServeHTTP(w, r)
	var md map[string]any
	json.Unmarshal(w.Body.Bytes(), &md)
	if w.Code != http.StatusOK || md["registration_endpoint"] != "http://localhost:8080/oauth/register" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

// The admin function serves the initial access token routes with the tenant
// admin key; a minted token admits a registration on a gated tenant.
func TestInitialAccessTokensThroughTheAdminFunction(t *testing.T) {
	s := start(t, t.TempDir())
	reg := app.Register(s.env)
	do := func(h http.Handler, method, path, body, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://localhost:8080"+path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if auth != "" {
			r.Header.Set("Authorization", "Bearer "+auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := do(s.admin, "PATCH", "/platform/v1/tenants/default", `{"dcr_policy":"initial_access_token"}`, s.boot.PlatformKey); w.Code != 200 {
		t.Fatalf("gate the tenant: %d %s", w.Code, w.Body)
	}
	s.env.Tenants.Forget()
	refused := []struct {
		name, auth string
		status     int
	}{
		{"no key", "", 401},
		{"platform key", s.boot.PlatformKey, 401},
		{"wrong admin key", "sk_live_" + strings.Repeat("x", 43), 401},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			if w := do(s.admin, "POST", "/api/v1/admin/initial-access-tokens", `{}`, c.auth); w.Code != c.status {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
	if w := do(reg, "POST", "/oauth/register", `{"client_name":"anon"}`, ""); w.Code != 401 {
		t.Fatalf("anonymous registration on a gated tenant: %d %s", w.Code, w.Body)
	}
	w := do(s.admin, "POST", "/api/v1/admin/initial-access-tokens", `{"single_use":true}`, s.boot.AdminKey)
	if w.Code != 201 || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("mint: %d %s", w.Code, w.Body)
	}
	var k struct{ ID, Token string }
	json.Unmarshal(w.Body.Bytes(), &k)
	if w := do(reg, "POST", "/oauth/register", `{"client_name":"gated"}`, k.Token); w.Code != 201 {
		t.Fatalf("registration with the token: %d %s", w.Code, w.Body)
	}
	if w := do(reg, "POST", "/oauth/register", `{"client_name":"again"}`, k.Token); w.Code != 401 {
		t.Fatalf("single-use token reused: %d %s", w.Code, w.Body)
	}
	if w := do(s.admin, "GET", "/api/v1/admin/initial-access-tokens", "", s.boot.AdminKey); w.Code != 200 || !strings.Contains(w.Body.String(), `"uses":1`) {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	if w := do(s.admin, "PUT", "/api/v1/admin/initial-access-tokens", "", s.boot.AdminKey); w.Code != 405 {
		t.Fatalf("wrong method: %d %s", w.Code, w.Body)
	}
}

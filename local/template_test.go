package local

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// deployedFunctions are the functions template.yaml deploys.
var deployedFunctions = []string{"jwks", "admin", "token", "register", "audit", "authorize"}

// TestTemplateRoutes loads the real template.yaml: every route must name a
// known function, every known function must have a route, and the runner
// must accept them all.
func TestTemplateRoutes(t *testing.T) {
	checkTemplate(t, filepath.Join("..", "template.yaml"), deployedFunctions)
}

func checkTemplate(t *testing.T, path string, functions []string) {
	t.Helper()
	routes, err := LoadRoutes(path)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	handlers := map[string]http.Handler{}
	for _, f := range functions {
		known[f] = true
		handlers[f] = http.NotFoundHandler()
	}
	for _, r := range routes {
		if !known[r.Function] {
			t.Errorf("route %q names function %q, which is not one of %q", r.Key(), r.Function, functions)
		}
	}
	if t.Failed() {
		return
	}
	h, err := NewHandler(routes, handlers)
	if err != nil {
		t.Fatal(err)
	}

	// The WIRE.md paths these functions own reach them.
	owner := map[string]string{
		"GET /.well-known/jwks.json":                         "jwks",
		"GET /.well-known/oauth-authorization-server":        "jwks",
		"GET /.well-known/oauth-authorization-server/t/acme": "jwks",
		"GET /.well-known/openid-configuration":              "jwks",
		"GET /t/acme/.well-known/jwks.json":                  "jwks",
		"GET /t/acme/.well-known/oauth-authorization-server": "jwks",
		"GET /t/acme/.well-known/openid-configuration":       "jwks",
		"GET /healthz":                           "admin",
		"POST /platform/v1/tenants":              "admin",
		"GET /platform/v1/tenants":               "admin",
		"PATCH /platform/v1/tenants/acme":        "admin",
		"POST /platform/v1/tenants/acme/disable": "admin",
		"GET /":                                  "admin",
		"GET /dashboard/app.js":                  "admin",
		"GET /oauth/authorize":                   "authorize",
		"POST /oauth/authorize":                  "authorize",
		"POST /oauth/logout":                     "authorize",
		"GET /t/acme/oauth/authorize":            "authorize",
		"POST /t/acme/oauth/authorize":           "authorize",
		"POST /t/acme/oauth/logout":              "authorize",
		"POST /t/acme/oauth/token":               "token",
	}
	rt := h.(*Server).router
	for req, want := range owner {
		method, path, _ := strings.Cut(req, " ")
		c, _, ok := rt.match(method, path)
		if !ok || c.Function != want {
			t.Errorf("%s is served by %q (matched %v), want %q", req, c.Function, ok, want)
		}
	}
}

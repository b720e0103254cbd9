package app_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
)

// The authorize function as the local runner builds it: tenant resolution,
// HTML pages with their own headers, the flat JSON 404/405 of the stack.
func TestAuthorizeFunction(t *testing.T) {
	s := start(t, t.TempDir())
	h := app.Authorize(s.env)
	call := func(method, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://localhost:8080"+path, nil)
		r.RemoteAddr = "127.0.0.1:5000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		name, method, path string
		status             int
		contains, ctype    string
	}{
		{"unknown client on the root tenant", "GET", "/oauth/authorize?client_id=nope&response_type=code", 400, "not known", "text/html"},
		{"no client_id", "GET", "/oauth/authorize", 400, "no client_id", "text/html"},
		{"sign-out without a session", "POST", "/oauth/logout", 200, "signed out", "text/html"},
		{"unknown path tenant", "GET", "/t/nope/oauth/authorize?client_id=x", 404, "unknown tenant", "application/json"},
		{"wrong method", "DELETE", "/oauth/authorize", 405, "method_not_allowed", "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := call(tc.method, tc.path)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.contains) || !strings.HasPrefix(w.Header().Get("Content-Type"), tc.ctype) ||
				w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
			}
			if tc.ctype == "text/html" && (!strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
				w.Header().Get("X-Frame-Options") != "DENY") {
				t.Fatalf("page headers %v", w.Header())
			}
		})
	}
	if _, ok := app.Functions["authorize"]; !ok {
		t.Fatal("the authorize function is not in app.Functions")
	}
}

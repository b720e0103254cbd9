package register

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/tenant"
)

// TestWithoutTenant: every registration route (RFC 7591/7592, in the RFC
// 6749 shape) and every initial access token admin route (flat shape)
// mounted outside the tenant resolver answers one 500 with the fixed text
// before anything is authenticated or read (no store here).
func TestWithoutTenant(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	oauthMux, adminMux := http.NewServeMux(), http.NewServeMux()
	(&Handler{}).Register(oauthMux)
	(&Tokens{Authenticate: func(*http.Request, tenant.ID) (string, error) {
		t.Error("the admin key was checked without a tenant")
		return "key_1", nil
	}}).Register(adminMux)
	for _, tc := range []struct {
		route string
		mux   *http.ServeMux
		code  string
		text  string
	}{
		{"POST /oauth/register", oauthMux, "server_error", "error_description"},
		{"GET /oauth/register/c1", oauthMux, "server_error", "error_description"},
		{"PUT /oauth/register/c1", oauthMux, "server_error", "error_description"},
		{"DELETE /oauth/register/c1", oauthMux, "server_error", "error_description"},
		{"POST /oauth/register/c1/secret", oauthMux, "server_error", "error_description"},
		{"DELETE /oauth/register/c1/registration-token", oauthMux, "server_error", "error_description"},
		{"POST " + IATPath, adminMux, "internal_error", "message"},
		{"GET " + IATPath, adminMux, "internal_error", "message"},
		{"GET " + IATPath + "/x", adminMux, "internal_error", "message"},
		{"DELETE " + IATPath + "/x", adminMux, "internal_error", "message"},
	} {
		t.Run(tc.route, func(t *testing.T) {
			log.Reset()
			method, path, _ := strings.Cut(tc.route, " ")
			r := httptest.NewRequestWithContext(t.Context(), method, "http://localhost:8080"+path, strings.NewReader(`{"redirect_uris":["https://a.example/cb"],"name":"n"}`))
			r.Header.Set("Authorization", "Bearer sk_live_somekey")
			r.Header.Set("Content-Type", "application/json")
			if _, pattern := tc.mux.Handler(r); pattern == "" {
				t.Fatalf("no route for %s", tc.route)
			}
			w := httptest.NewRecorder()
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("the handler ran without a tenant: %v", p)
					}
				}()
				tc.mux.ServeHTTP(w, r)
			}()
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %q: %v", w.Code, w.Body, err)
			}
			if w.Code != 500 || len(body) != 2 || body["error"] != tc.code || body[tc.text] != "internal error" {
				t.Fatalf("%d %v, want 500 %s", w.Code, body, tc.code)
			}
			// Answered once, by the adapter: one logged failure, whose cause is the missing tenant.
			if n := strings.Count(log.String(), "request failed"); n != 1 || !strings.Contains(log.String(), tenant.ErrNoTenant.Error()) {
				t.Fatalf("want one failure logged with cause %q, got %d: %s", tenant.ErrNoTenant, n, &log)
			}
		})
	}
}

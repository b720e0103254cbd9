package token

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

// TestWithoutTenant: the token, revocation and introspection endpoints
// mounted outside the tenant resolver answer one 500 server_error (RFC 6749
// shape) with the fixed text, from the adapter (the logged cause is
// tenant.ErrNoTenant), before the client is authenticated or anything read.
func TestWithoutTenant(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	mux := http.NewServeMux()
	(&Handler{}).Register(mux)
	for _, path := range []string{"/oauth/token", "/oauth/revoke", "/oauth/introspect"} {
		t.Run(path, func(t *testing.T) {
			log.Reset()
			form := "grant_type=client_credentials&client_id=c1&client_secret=s&token=x"
			r := httptest.NewRequestWithContext(t.Context(), "POST", "http://localhost:8080"+path, strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if _, pattern := mux.Handler(r); pattern == "" {
				t.Fatalf("no route for %s", path)
			}
			w := httptest.NewRecorder()
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("the handler ran without a tenant: %v", p)
					}
				}()
				mux.ServeHTTP(w, r)
			}()
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %q: %v", w.Code, w.Body, err)
			}
			if w.Code != 500 || len(body) != 2 || body["error"] != "server_error" || body["error_description"] != "internal error" {
				t.Fatalf("%d %v, want 500 server_error", w.Code, body)
			}
			if n := strings.Count(log.String(), "request failed"); n != 1 || !strings.Contains(log.String(), tenant.ErrNoTenant.Error()) {
				t.Fatalf("want one failure logged with cause %q, got %d: %s", tenant.ErrNoTenant, n, &log)
			}
		})
	}
}

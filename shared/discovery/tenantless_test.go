package discovery

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

// TestWithoutTenant: the /.well-known documents mounted outside the tenant
// resolver answer one 500 internal_error with the fixed text, from the
// adapter (the logged cause is tenant.ErrNoTenant), before anything is read.
func TestWithoutTenant(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	mux := http.NewServeMux()
	(&Handler{}).Register(mux)
	for _, path := range []string{"/.well-known/jwks.json", "/.well-known/oauth-authorization-server"} {
		t.Run(path, func(t *testing.T) {
			log.Reset()
			r := httptest.NewRequestWithContext(t.Context(), "GET", "http://localhost:8080"+path, nil)
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
			if w.Code != 500 || len(body) != 2 || body["error"] != "internal_error" || body["message"] != "internal error" {
				t.Fatalf("%d %v, want 500 internal_error", w.Code, body)
			}
			if n := strings.Count(log.String(), "request failed"); n != 1 || !strings.Contains(log.String(), tenant.ErrNoTenant.Error()) {
				t.Fatalf("want one failure logged with cause %q, got %d: %s", tenant.ErrNoTenant, n, &log)
			}
		})
	}
}

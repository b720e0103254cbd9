package audit_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestAuditWithoutTenant: every audit route mounted outside the tenant
// resolver answers one 500 internal_error with the fixed text before the
// admin key is checked or anything is read (the handler has no store here).
func TestAuditWithoutTenant(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	mux := http.NewServeMux()
	(&audit.Handler{Authenticate: func(*http.Request, tenant.ID) (string, error) {
		t.Error("the admin key was checked without a tenant")
		return "key_1", nil
	}}).Register(mux)
	for _, route := range []string{
		"GET /api/v1/audit-logs", "GET /api/v1/audit-logs/x", "POST /api/v1/audit-logs/export",
		"POST /api/v1/admin/audit-logs/purge", "GET /api/v1/users/x/audit-logs",
	} {
		t.Run(route, func(t *testing.T) {
			log.Reset()
			method, path, _ := strings.Cut(route, " ")
			r := httptest.NewRequestWithContext(t.Context(), method, "http://localhost:8080"+path, strings.NewReader(`{"before":"2020-01-01T00:00:00Z"}`))
			r.Header.Set("Authorization", "Bearer sk_live_somekey")
			r.Header.Set("Content-Type", "application/json")
			if _, pattern := mux.Handler(r); pattern == "" {
				t.Fatalf("no audit route for %s", route)
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
			if w.Code != 500 || len(body) != 2 || body["error"] != "internal_error" || body["message"] != "internal error" {
				t.Fatalf("%d %v, want 500 internal_error", w.Code, body)
			}
			// Answered once, by the adapter: one logged failure, whose cause is the missing tenant.
			if n := strings.Count(log.String(), "request failed"); n != 1 || !strings.Contains(log.String(), tenant.ErrNoTenant.Error()) {
				t.Fatalf("want one failure logged with cause %q, got %d: %s", tenant.ErrNoTenant, n, &log)
			}
		})
	}
}

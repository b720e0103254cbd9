package admin_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/tenant"
)

// adminRoutes are every route of the tenant admin API (admin.API.Register).
var adminRoutes = []string{
	"POST /api/v1/agents", "GET /api/v1/agents", "GET /api/v1/agents/x", "PATCH /api/v1/agents/x", "DELETE /api/v1/agents/x",
	"GET /api/v1/agents/x/tokens", "POST /api/v1/agents/x/tokens/revoke-all", "POST /api/v1/agents/x/rotate-secret",
	"POST /api/v1/agents/x/rotate-dpop-key", "GET /api/v1/agents/x/audit", "GET /api/v1/agents/x/policies", "POST /api/v1/agents/x/policies",
	"POST /api/v1/admin/oauth/revoke-by-pattern",
	"POST /api/v1/api-keys", "GET /api/v1/api-keys", "GET /api/v1/api-keys/x", "DELETE /api/v1/api-keys/x", "POST /api/v1/api-keys/x/rotate",
	"POST /api/v1/admin/apps", "GET /api/v1/admin/apps", "GET /api/v1/admin/apps/x", "PATCH /api/v1/admin/apps/x",
	"DELETE /api/v1/admin/apps/x", "POST /api/v1/admin/apps/x/rotate-secret",
	"POST /api/v1/admin/may-act", "GET /api/v1/admin/may-act", "GET /api/v1/admin/may-act/x", "DELETE /api/v1/admin/may-act/x",
	"GET /api/v1/admin/signing-keys", "POST /api/v1/admin/signing-keys/rotate",
	"POST /api/v1/admin/users", "POST /api/v1/users", "GET /api/v1/users", "GET /api/v1/users/x", "PATCH /api/v1/users/x",
	"DELETE /api/v1/users/x", "POST /api/v1/users/x/revoke-agents", "GET /api/v1/users/x/agents",
}

// TestAdminWithoutTenant: every admin route mounted outside the tenant
// resolver answers one 500 internal_error with the fixed text, from the
// adapter (the logged cause is tenant.ErrNoTenant), before the key is
// checked or anything is read. The API has no store here: the store would
// refuse the zero tenant too, but with another cause.
func TestAdminWithoutTenant(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	mux := http.NewServeMux()
	(&admin.API{}).Register(mux)
	for _, route := range adminRoutes {
		t.Run(route, func(t *testing.T) {
			log.Reset()
			method, path, _ := strings.Cut(route, " ")
			r := httptest.NewRequestWithContext(t.Context(), method, "http://localhost:8080"+path+"?limit=1", strings.NewReader(`{}`))
			r.Header.Set("Authorization", "Bearer sk_live_somekey")
			r.Header.Set("Content-Type", "application/json")
			if _, pattern := mux.Handler(r); pattern == "" {
				t.Fatalf("no admin route for %s", route)
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

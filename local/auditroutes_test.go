package local

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestAuditRoutesBeatTheAdminAPI checks the template's audit routes against
// the admin function's catch-all /api/v1 routes: the audit paths go to
// audit, everything else under /api/v1 to admin, at the root and under
// /t/{tenant}.
func TestAuditRoutesBeatTheAdminAPI(t *testing.T) {
	routes, err := LoadRoutes(filepath.Join("..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Route{{"admin", "ANY", "/api/v1/{proxy+}"}, {"admin", "ANY", "/t/{tenant}/api/v1/{proxy+}"}} {
		if !slices.Contains(routes, r) {
			t.Fatalf("the template lacks the admin route %q", r.Key())
		}
	}
	rt, err := newRouter(routes)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/api/v1/audit-logs", "audit"},
		{"GET", "/api/v1/audit-logs/aud_x", "audit"},
		{"POST", "/api/v1/audit-logs/export", "audit"},
		{"POST", "/api/v1/admin/audit-logs/purge", "audit"},
		{"GET", "/t/acme/api/v1/audit-logs", "audit"},
		{"GET", "/t/acme/api/v1/audit-logs/aud_x", "audit"},
		{"POST", "/t/acme/api/v1/admin/audit-logs/purge", "audit"},
		{"GET", "/api/v1/users/usr_1/audit-logs", "audit"},
		{"GET", "/t/acme/api/v1/users/usr_1/audit-logs", "audit"},
		{"GET", "/api/v1/users/usr_1/agents", "admin"},
		{"GET", "/api/v1/agents", "admin"},
		{"GET", "/api/v1/agents/agent_1/audit", "admin"}, // the agent's trail is served by the admin API
		{"POST", "/t/acme/api/v1/agents/agent_1/policies", "admin"},
		{"POST", "/api/v1/admin/apps", "admin"},
		{"GET", "/api/v1/audit-logsx", "admin"},
		{"GET", "/api/v1/admin/audit-logs", "admin"}, // no such audit route: the admin API's 404
		{"GET", "/t/acme/api/v1/users/u1", "admin"},
		{"GET", "/platform/v1/tenants", "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got, _, ok := rt.match(tt.method, tt.path)
			if !ok || got.Function != tt.want {
				t.Fatalf("matched %q (function %q, %v), want function %q", got.Key(), got.Function, ok, tt.want)
			}
		})
	}
}

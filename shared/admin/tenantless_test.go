package admin_test

import (
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/tenant/tenanttest"
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
	"GET /api/v1/admin/signing-keys", "POST /api/v1/admin/signing-keys/rotate", "GET /api/v1/admin/tenant",
	"POST /api/v1/agents/x/tokens/y/revoke",
	"POST /api/v1/admin/users", "POST /api/v1/users", "GET /api/v1/users", "GET /api/v1/users/x", "PATCH /api/v1/users/x",
	"DELETE /api/v1/users/x", "POST /api/v1/users/x/revoke-agents", "GET /api/v1/users/x/agents",
	"POST /api/v1/resource-servers", "GET /api/v1/resource-servers", "GET /api/v1/resource-servers/x",
	"PATCH /api/v1/resource-servers/x", "DELETE /api/v1/resource-servers/x", "POST /api/v1/resource-servers/x/rotate-secret",
}

// TestAdminWithoutTenant: every admin route mounted outside the tenant
// resolver is answered by the adapter (tenanttest), before the key is
// checked or anything is read. The API has no store here: the store would
// refuse the zero tenant too, but with another cause.
func TestAdminWithoutTenant(t *testing.T) {
	mux := http.NewServeMux()
	(&admin.API{}).Register(mux)
	var reqs []tenanttest.Request
	for _, route := range adminRoutes {
		reqs = append(reqs, tenanttest.JSON(route+"?limit=1", `{}`))
	}
	tenanttest.RefusesWithoutTenant(t, mux, tenanttest.Flat, reqs...)
}

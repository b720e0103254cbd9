package audit_test

import (
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/sharkauth/serverless/shared/tenant/tenanttest"
)

// TestAuditWithoutTenant: every audit route mounted outside the tenant
// resolver answers one 500 internal_error with the fixed text before the
// admin key is checked or anything is read (the handler has no store here).
func TestAuditWithoutTenant(t *testing.T) {
	mux := http.NewServeMux()
	(&audit.Handler{Authenticate: func(*http.Request, tenant.ID) (string, error) {
		t.Error("the admin key was checked without a tenant")
		return "key_1", nil
	}}).Register(mux)
	var reqs []tenanttest.Request
	for _, route := range []string{
		"GET /api/v1/audit-logs", "GET /api/v1/audit-logs/x", "POST /api/v1/audit-logs/export",
		"POST /api/v1/admin/audit-logs/purge", "GET /api/v1/users/x/audit-logs",
	} {
		reqs = append(reqs, tenanttest.JSON(route, `{"before":"2020-01-01T00:00:00Z"}`))
	}
	tenanttest.RefusesWithoutTenant(t, mux, tenanttest.Flat, reqs...)
}

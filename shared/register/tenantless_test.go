package register

import (
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/sharkauth/serverless/shared/tenant/tenanttest"
)

// TestWithoutTenant: every registration route (RFC 7591/7592, in the RFC
// 6749 shape) and every initial access token admin route (flat shape)
// mounted outside the tenant resolver answers one 500 with the fixed text
// before anything is authenticated or read (no store here).
func TestWithoutTenant(t *testing.T) {
	oauthMux, adminMux := http.NewServeMux(), http.NewServeMux()
	(&Handler{}).Register(oauthMux)
	(&Tokens{Authenticate: func(*http.Request, tenant.ID) (string, error) {
		t.Error("the admin key was checked without a tenant")
		return "key_1", nil
	}}).Register(adminMux)
	body := `{"redirect_uris":["https://a.example/cb"],"name":"n"}`
	var oauthReqs, adminReqs []tenanttest.Request
	for _, route := range []string{"POST /oauth/register", "GET /oauth/register/c1", "PUT /oauth/register/c1", "DELETE /oauth/register/c1",
		"POST /oauth/register/c1/secret", "DELETE /oauth/register/c1/registration-token"} {
		oauthReqs = append(oauthReqs, tenanttest.JSON(route, body))
	}
	for _, route := range []string{"POST " + IATPath, "GET " + IATPath, "GET " + IATPath + "/x", "DELETE " + IATPath + "/x"} {
		adminReqs = append(adminReqs, tenanttest.JSON(route, body))
	}
	tenanttest.RefusesWithoutTenant(t, oauthMux, tenanttest.OAuth, oauthReqs...)
	tenanttest.RefusesWithoutTenant(t, adminMux, tenanttest.Flat, adminReqs...)
}

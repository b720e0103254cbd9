package token

import (
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/tenant/tenanttest"
)

// TestWithoutTenant: the token, revocation and introspection endpoints
// mounted outside the tenant resolver answer one 500 server_error (RFC 6749
// shape) with the fixed text, from the adapter (the logged cause is
// tenant.ErrNoTenant), before the client is authenticated or anything read.
func TestWithoutTenant(t *testing.T) {
	mux := http.NewServeMux()
	(&Handler{}).Register(mux)
	form := "grant_type=client_credentials&client_id=c1&client_secret=s&token=x"
	tenanttest.RefusesWithoutTenant(t, mux, tenanttest.OAuth,
		tenanttest.Form("POST /oauth/token", form), tenanttest.Form("POST /oauth/revoke", form), tenanttest.Form("POST /oauth/introspect", form))
}

package discovery

import (
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/tenant/tenanttest"
)

// TestWithoutTenant: the /.well-known documents mounted outside the tenant
// resolver answer one 500 internal_error with the fixed text, from the
// adapter (the logged cause is tenant.ErrNoTenant), before anything is read.
func TestWithoutTenant(t *testing.T) {
	mux := http.NewServeMux()
	(&Handler{}).Register(mux)
	tenanttest.RefusesWithoutTenant(t, mux, tenanttest.Flat,
		tenanttest.Request{Route: "GET /.well-known/jwks.json"}, tenanttest.Request{Route: "GET /.well-known/oauth-authorization-server"})
}

package discovery

import (
	"net/http"
	"net/http/httptest"
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

// TestOpenIDConfigurationOnlyWithAuthorize: the openid-configuration name
// is served only where an authorization endpoint exists (MCP clients look
// there); a token-only deployment answers 404 for it.
func TestOpenIDConfigurationOnlyWithAuthorize(t *testing.T) {
	for _, tc := range []struct {
		features Features
		want     bool
	}{{Features{Token: true}, false}, {Features{Token: true, Authorize: true}, true}} {
		mux := http.NewServeMux()
		(&Handler{Features: tc.features}).Register(mux)
		_, pattern := mux.Handler(httptest.NewRequest("GET", "/.well-known/openid-configuration", nil))
		if got := pattern != ""; got != tc.want {
			t.Errorf("features %+v: openid-configuration served = %v, want %v", tc.features, got, tc.want)
		}
	}
}

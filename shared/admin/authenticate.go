package admin

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Authenticator returns the tenant admin authentication of this API (WIRE
// §2, authenticateAdmin) as a function, for admin routes that live in other
// packages (register.Tokens, the audit function): given the request and its
// tenant, it returns the key id, or the *httpx.Error to answer.
func Authenticator(s *store.Store) func(*http.Request, tenant.ID) (string, error) {
	return func(r *http.Request, t tenant.ID) (string, error) { return authenticateAdmin(s, r, t) }
}

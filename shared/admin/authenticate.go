package admin

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/store"
)

// Authenticator returns the tenant admin authentication of this API (WIRE
// §2, requireAdminKey) as a function, for admin routes that live in other
// packages (register.Tokens): it returns the key id, or the *httpx.Error to
// answer.
func Authenticator(s *store.Store) func(*http.Request) (string, error) {
	return func(r *http.Request) (string, error) {
		var id string
		err := requireAdminKey(s, func(_ http.ResponseWriter, r *http.Request) error {
			id = adminKeyID(r.Context())
			return nil
		})(nil, r)
		return id, err
	}
}

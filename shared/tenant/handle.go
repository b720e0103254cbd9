package tenant

import (
	"errors"
	"net/http"
)

// ErrNoTenant is the error of a request that reached a tenant's handler
// without a tenant in its context: a wiring fault (a route mounted outside
// the resolver), answered as an internal error by the function's error
// writer, never a default tenant.
var ErrNoTenant = errors.New("tenant: no tenant in the request context")

// HandlerFunc is a handler of a tenant's route: it receives the request's
// resolved tenant and returns its error for the function's error writer.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, t Tenant) error

// Handle adapts h to a handler that returns its error, to mount with the
// function's error writer (httpx.Handle for the flat shape, oauth.Handle for
// RFC 6749's). It is the one place that takes the tenant from the context: a
// request without one is ErrNoTenant and h is not called.
func Handle(h HandlerFunc) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, ok := From(r.Context())
		if !ok {
			return ErrNoTenant
		}
		return h(w, r, t)
	}
}

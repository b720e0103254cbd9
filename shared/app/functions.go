package app

import (
	"errors"
	"net/http"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/discovery"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Functions maps each function name to its constructor; the local runner
// serves exactly these, on the routes template.yaml gives them.
var Functions = map[string]func(*Env) http.Handler{
	"jwks":  Jwks,
	"admin": Admin,
}

// Jwks builds the jwks function: /.well-known documents of every tenant.
func Jwks(e *Env) http.Handler {
	mux := http.NewServeMux()
	(&discovery.Handler{Store: e.Store, Now: e.Now, DocsURL: e.Config.DocsURL}).Register(mux)
	return httpx.Stack(e.tenanted(routes(mux)))
}

// Admin builds the admin function: the platform API and the health check.
func Admin(e *Env) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	(&admin.Platform{Store: e.Store, Keys: e.Sealer, Tenants: e.Tenants}).Register(mux)
	return httpx.Stack(routes(mux))
}

// tenanted resolves the request's tenant before h runs; unknown and disabled
// tenants get the 404 of WIRE §1.
func (e *Env) tenanted(h http.Handler) http.Handler {
	return e.Tenants.Middleware(h, func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, tenant.ErrUnknown) {
			httpx.WriteError(w, r, httpx.ErrUnknownTenant)
			return
		}
		httpx.WriteError(w, r, httpx.Internal(err))
	})
}

// routes answers requests no route of mux matches with a JSON 404, instead of
// the mux's plain-text page.
func routes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			httpx.WriteError(w, r, httpx.NotFound("no route for "+r.Method+" "+r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

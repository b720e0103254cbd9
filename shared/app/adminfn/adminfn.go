// Package adminfn is the admin function's constructor. Its bootstrap
// (functions/admin) links only this.
package adminfn

import (
	"net/http"
	"strings"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/dashboard"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/register"
)

// New builds the admin function: the tenants' admin API (/api/v1, behind
// the tenant resolver), the platform API and the health check (untenanted).
// Nothing it answers may be cached.
func New(e *core.Env) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	(&admin.Platform{Store: e.Store, Keys: e.Sealer, Tenants: e.Tenants,
		DefaultAuditRetentionDays: e.Config.AuditRetentionDays}).Register(mux)
	// The dashboard (static, untenanted: its pages call the tenant's /api/v1).
	mux.Handle("GET /{$}", dashboard.Handler())
	mux.Handle("GET /dashboard/", dashboard.Handler())
	api := http.NewServeMux()
	(&admin.API{Store: e.Store, Keys: e.Sealer, Tenants: e.Tenants}).Register(api)
	(&register.Tokens{Store: e.Store, Now: e.Now, Authenticate: admin.Authenticator(e.Store)}).Register(api)
	tenantAPI, platform := e.Tenanted(core.Routes(api, httpx.WriteError)), core.Routes(mux, httpx.WriteError)
	return httpx.Named("admin", httpx.Stack(httpx.NoStore(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isTenantAPI(r.URL.Path) {
			tenantAPI.ServeHTTP(w, r)
			return
		}
		platform.ServeHTTP(w, r)
	})), httpx.WriteError))
}

// isTenantAPI reports whether a path is a tenant's admin API: /api/... at the
// root (the root or a host tenant) or /t/{tenant}/....
func isTenantAPI(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/t/")
}

// Package auditfn is the audit function's constructor. Its bootstrap
// (functions/audit) links only this.
package auditfn

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
)

// New builds the audit function: a tenant's audit trail (WIRE §8) for its
// admin keys, checked by the admin API's own key check. Nothing it answers
// may be cached.
func New(e *core.Env) http.Handler {
	mux := http.NewServeMux()
	(&audit.Handler{Store: e.Store, Authenticate: admin.Authenticator(e.Store)}).Register(mux)
	return httpx.Named("audit", httpx.Stack(httpx.NoStore(e.Tenanted(core.Routes(mux, httpx.WriteError))), httpx.WriteError))
}

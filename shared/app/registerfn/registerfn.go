// Package registerfn is the register function's constructor. Its bootstrap
// (functions/register) links only this.
package registerfn

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/register"
)

// New builds the register function: dynamic client registration
// (RFC 7591) and its management (RFC 7592). Nothing it answers may be cached.
func New(e *core.Env) http.Handler {
	mux := http.NewServeMux()
	(&register.Handler{Store: e.Store, Now: e.Now, Fetcher: core.NewFetcher(e)}).Register(mux)
	return httpx.Named("register", httpx.Stack(core.RegistrationCORS(httpx.NoStore(e.TenantedOAuth(core.Routes(mux, oauth.WriteError)))), oauth.WriteError))
}

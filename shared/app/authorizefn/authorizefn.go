// Package authorizefn is the authorize function's constructor. Its bootstrap
// (functions/authorize) links only this.
package authorizefn

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/authorize"
	"github.com/sharkauth/serverless/shared/cimd"
	"github.com/sharkauth/serverless/shared/httpx"
)

// New builds the authorize function: the authorization endpoint of every
// tenant (/oauth/authorize, its login and consent pages) and /oauth/logout.
// Its pages are HTML and set their own no-store and CSP headers; errors of
// the stack around them (unknown tenant, no route) keep the flat JSON shape.
func New(e *core.Env) http.Handler {
	mux := http.NewServeMux()
	(&authorize.Handler{Store: e.Store, Codes: e.Store, Now: e.Now,
		CIMD: &cimd.Resolver{Fetcher: core.NewFetcher(e), Now: e.Now}}).Register(mux)
	return httpx.Named("authorize", httpx.Stack(httpx.NoStore(e.Tenanted(core.Routes(mux, httpx.WriteError))), httpx.WriteError))
}

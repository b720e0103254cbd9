// Package jwksfn is the jwks function's constructor: /.well-known documents
// of every tenant. Its bootstrap (functions/jwks) links only this.
package jwksfn

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/discovery"
	"github.com/sharkauth/serverless/shared/httpx"
)

// New builds the jwks function: /.well-known documents of every tenant,
// open to cross-origin reads (browser-based MCP clients fetch them).
func New(e *core.Env) http.Handler {
	mux := http.NewServeMux()
	(&discovery.Handler{Store: e.Store, Now: e.Now, DocsURL: e.Config.DocsURL, Features: Features}).Register(mux)
	return httpx.Named("jwks", httpx.Stack(core.PublicCORS(e.Tenanted(core.Routes(mux, httpx.WriteError))), httpx.WriteError))
}

// Features are the parts of the product every deployment serves
// (template.yaml's functions; local.TestTemplateRoutes keeps them in step).
var Features = discovery.Features{Token: true, Register: true, Authorize: true, CIMD: true}

// Package tokenfn is the token function's constructor. Its bootstrap
// (functions/token) links only this.
package tokenfn

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/cimd"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/register"
	"github.com/sharkauth/serverless/shared/token"
)

// New builds the token function: /oauth/token, /oauth/revoke and
// /oauth/introspect of every tenant. Server DPoP nonces (off unless a tenant
// turns them on) use the deployment's shared nonce key from the store.
// Metadata document clients (CIMD) are resolved as the authorize function
// resolves them, to exchange their codes and refresh.
func New(e *core.Env) http.Handler {
	mux := http.NewServeMux()
	(&token.Handler{Store: e.Store, Keys: e.Keys, Now: e.Now, RemoteKeys: RemoteKeys(e),
		CIMD: &cimd.Resolver{Fetcher: core.NewFetcher(e), Now: e.Now}}).Register(mux)
	return httpx.Named("token", httpx.Stack(httpx.NoStore(e.TenantedOAuth(core.Routes(mux, oauth.WriteError))), oauth.WriteError))
}

// RemoteKeys is the key source of private_key_jwt clients registered with
// a jwks_uri, for the token function's oauth.Authenticator
// (token.Handler.RemoteKeys).
func RemoteKeys(e *core.Env) func(context.Context, string, string) (json.RawMessage, error) {
	return register.KeySource{Fetcher: core.NewFetcher(e)}.Keys
}

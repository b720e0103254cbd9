package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/authorize"
	"github.com/sharkauth/serverless/shared/cimd"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/dashboard"
	"github.com/sharkauth/serverless/shared/discovery"
	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/register"
	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/sharkauth/serverless/shared/token"
)

// Functions maps each function name to its constructor; the local runner
// serves exactly these, on the routes template.yaml gives them.
var Functions = map[string]func(*Env) http.Handler{
	"jwks":      Jwks,
	"admin":     Admin,
	"token":     Token,
	"register":  Register,
	"audit":     Audit,
	"authorize": Authorize,
}

// Jwks builds the jwks function: /.well-known documents of every tenant,
// open to cross-origin reads (browser-based MCP clients fetch them).
func Jwks(e *Env) http.Handler {
	mux := http.NewServeMux()
	(&discovery.Handler{Store: e.Store, Now: e.Now, DocsURL: e.Config.DocsURL, Features: features}).Register(mux)
	return httpx.Named("jwks", httpx.Stack(publicCORS(e.tenanted(routes(mux, httpx.WriteError))), httpx.WriteError))
}

// features are the parts of the product every deployment serves
// (template.yaml's functions; local.TestTemplateRoutes keeps them in step).
var features = discovery.Features{Token: true, Register: true, Authorize: true, CIMD: true}

// Token builds the token function: /oauth/token, /oauth/revoke and
// /oauth/introspect of every tenant. Server DPoP nonces (off unless a tenant
// turns them on) use the deployment's shared nonce key from the store.
// Metadata document clients (CIMD) are resolved as the authorize function
// resolves them, to exchange their codes and refresh.
func Token(e *Env) http.Handler {
	mux := http.NewServeMux()
	(&token.Handler{Store: e.Store, Keys: e.Keys, Now: e.Now, RemoteKeys: RemoteKeys(e),
		CIMD: &cimd.Resolver{Fetcher: newFetcher(e), Now: e.Now}}).Register(mux)
	return httpx.Named("token", httpx.Stack(httpx.NoStore(e.tenantedOAuth(routes(mux, oauth.WriteError))), oauth.WriteError))
}

// Register builds the register function: dynamic client registration
// (RFC 7591) and its management (RFC 7592). Nothing it answers may be cached.
func Register(e *Env) http.Handler {
	mux := http.NewServeMux()
	(&register.Handler{Store: e.Store, Now: e.Now, Fetcher: newFetcher(e)}).Register(mux)
	return httpx.Named("register", httpx.Stack(registrationCORS(httpx.NoStore(e.tenantedOAuth(routes(mux, oauth.WriteError)))), oauth.WriteError))
}

// newFetcher is the SSRF-safe fetcher of client-controlled URLs (jwks_uri,
// client metadata documents). A local deployment (embedded store, or the
// local runner's bootstraps: FetchLoopback) may fetch from loopback, where
// its clients run; no deployment fetches from any other private address.
func newFetcher(e *Env) *fetch.Fetcher {
	return &fetch.Fetcher{AllowLoopback: e.Config.Store == config.StoreEmbedded || e.Config.FetchLoopback, Now: e.Now}
}

// RemoteKeys is the key source of private_key_jwt clients registered with
// a jwks_uri, for the token function's oauth.Authenticator
// (token.Handler.RemoteKeys).
func RemoteKeys(e *Env) func(context.Context, string, string) (json.RawMessage, error) {
	return register.KeySource{Fetcher: newFetcher(e)}.Keys
}

// Admin builds the admin function: the tenants' admin API (/api/v1, behind
// the tenant resolver), the platform API and the health check (untenanted).
// Nothing it answers may be cached.
func Admin(e *Env) http.Handler {
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
	tenantAPI, platform := e.tenanted(routes(api, httpx.WriteError)), routes(mux, httpx.WriteError)
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

// Audit builds the audit function: a tenant's audit trail (WIRE §8) for its
// admin keys, checked by the admin API's own key check. Nothing it answers
// may be cached.
func Audit(e *Env) http.Handler {
	mux := http.NewServeMux()
	(&audit.Handler{Store: e.Store, Authenticate: admin.Authenticator(e.Store)}).Register(mux)
	return httpx.Named("audit", httpx.Stack(httpx.NoStore(e.tenanted(routes(mux, httpx.WriteError))), httpx.WriteError))
}

// Authorize builds the authorize function: the authorization endpoint of
// every tenant (/oauth/authorize, its login and consent pages) and
// /oauth/logout. Its pages are HTML and set their own no-store and CSP
// headers; errors of the stack around them (unknown tenant, no route) keep
// the flat JSON shape.
func Authorize(e *Env) http.Handler {
	mux := http.NewServeMux()
	(&authorize.Handler{Store: e.Store, Codes: e.Store, Now: e.Now,
		CIMD: &cimd.Resolver{Fetcher: newFetcher(e), Now: e.Now}}).Register(mux)
	return httpx.Named("authorize", httpx.Stack(httpx.NoStore(e.tenanted(routes(mux, httpx.WriteError))), httpx.WriteError))
}

// tenanted resolves the request's tenant before h runs; unknown and disabled
// tenants get the 404 of WIRE §1.
func (e *Env) tenanted(h http.Handler) http.Handler {
	return e.Tenants.Middleware(logTenant(h), func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, tenant.ErrUnknown) {
			httpx.WriteError(w, r, httpx.ErrUnknownTenant)
			return
		}
		httpx.WriteError(w, r, httpx.Internal(err))
	})
}

// logTenant records the resolved tenant for the access log line and the
// per-tenant metrics.
func logTenant(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t, ok := tenant.From(r.Context()); ok {
			httpx.SetTenant(r.Context(), t.ID.String())
		}
		h.ServeHTTP(w, r)
	})
}

// tenantedOAuth is tenanted for the OAuth functions (token, register): an
// unknown tenant is the flat 404 of every route (WIRE §1), and a failure to
// resolve the tenant (a throttled or timed-out table read: 503) is in the
// RFC 6749 shape of their other errors (WIRE §3).
func (e *Env) tenantedOAuth(h http.Handler) http.Handler {
	return e.Tenants.Middleware(logTenant(h), func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, tenant.ErrUnknown) {
			httpx.WriteError(w, r, httpx.ErrUnknownTenant)
			return
		}
		oauth.WriteError(w, r, oauth.Internal(err))
	})
}

// methods are those routes() tries when a request's method matches no route.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// routes answers what no route of mux serves in JSON instead of the mux's
// plain-text pages: 405 with Allow when the path has routes for other
// methods, else 404, both written by write (the function's error shape). The
// mux never redirects: paths reach it canonical (httpx.Stack refuses the rest).
func routes(mux *http.ServeMux, write httpx.ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			write(w, r, httpx.NotFound("no route for "+r.Method+" "+r.URL.Path))
			return
		}
		if slices.Contains(allow, http.MethodGet) && !slices.Contains(allow, http.MethodHead) {
			allow = append(allow, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		write(w, r, &httpx.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: r.Method + " is not allowed here; allowed: " + strings.Join(allow, ", ")})
	})
}

// publicCORS lets any origin read h's public documents (no credentials are
// involved) and answers CORS preflights. Only the jwks function uses it.
func publicCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
				w.Header().Set("Access-Control-Allow-Headers", hs)
			}
			w.Header().Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// registrationCORS lets browser-based MCP clients (the MCP Inspector)
// register and manage their registration from any origin. No cookie or
// ambient credential is involved: the registration access token travels in
// the Authorization header, which a page can send only when it holds it.
func registrationCORS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

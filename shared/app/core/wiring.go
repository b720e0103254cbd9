package core

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/tenant"
)

// NewFetcher is the SSRF-safe fetcher of client-controlled URLs (jwks_uri,
// client metadata documents). A local deployment (embedded store, or the
// local runner's bootstraps: FetchLoopback) may fetch from loopback, where
// its clients run; no deployment fetches from any other private address.
func NewFetcher(e *Env) *fetch.Fetcher {
	return &fetch.Fetcher{AllowLoopback: e.Config.Store == config.StoreEmbedded || e.Config.FetchLoopback, Now: e.Now}
}

// Tenanted resolves the request's tenant before h runs; unknown and disabled
// tenants get the 404 of WIRE §1.
func (e *Env) Tenanted(h http.Handler) http.Handler {
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

// TenantedOAuth is Tenanted for the OAuth functions (token, register): an
// unknown tenant is the flat 404 of every route (WIRE §1), and a failure to
// resolve the tenant (a throttled or timed-out table read: 503) is in the
// RFC 6749 shape of their other errors (WIRE §3).
func (e *Env) TenantedOAuth(h http.Handler) http.Handler {
	return e.Tenants.Middleware(logTenant(h), func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, tenant.ErrUnknown) {
			httpx.WriteError(w, r, httpx.ErrUnknownTenant)
			return
		}
		oauth.WriteError(w, r, oauth.Internal(err))
	})
}

// methods are those Routes tries when a request's method matches no route.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Routes answers what no route of mux serves in JSON instead of the mux's
// plain-text pages: 405 with Allow when the path has routes for other
// methods, else 404, both written by write (the function's error shape). The
// mux never redirects: paths reach it canonical (httpx.Stack refuses the rest).
func Routes(mux *http.ServeMux, write httpx.ErrorWriter) http.Handler {
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

// PublicCORS lets any origin read h's public documents (no credentials are
// involved) and answers CORS preflights. Only the jwks function uses it.
func PublicCORS(h http.Handler) http.Handler {
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

// RegistrationCORS lets browser-based MCP clients (the MCP Inspector)
// register and manage their registration from any origin. No cookie or
// ambient credential is involved: the registration access token travels in
// the Authorization header, which a page can send only when it holds it.
func RegistrationCORS(h http.Handler) http.Handler {
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

package resource

import (
	"log/slog"
	"net/http"
	"slices"
)

// Verify checks the credentials of r and returns the verified claims, or
// an *Error describing the refusal (write it with WriteError). scopes are
// required in addition to Config.Scopes.
func (v *Verifier) Verify(r *http.Request, scopes ...string) (*Claims, error) {
	c, e := v.verify(r, scopes)
	if e != nil {
		return nil, e
	}
	return c, nil
}

func (v *Verifier) verify(r *http.Request, scopes []string) (*Claims, *Error) {
	scheme, token, e := parseAuthorization(r.Header.Values("Authorization"))
	if e != nil {
		return nil, e
	}
	claims, e := v.verifyToken(r.Context(), scheme, token)
	if e != nil {
		return nil, e
	}
	switch {
	case scheme == SchemeBearer && claims.Bound():
		// RFC 9449 §7.2: a DPoP-bound token must not be accepted as Bearer.
		return nil, errToken(SchemeBearer, "a DPoP-bound token must be presented with the DPoP scheme")
	case scheme == SchemeBearer && v.cfg.RequireDPoP:
		return nil, errToken(SchemeDPoP, "this resource requires a DPoP-bound token")
	case scheme == SchemeDPoP && !claims.Bound():
		return nil, errToken(SchemeDPoP, "the access token is not DPoP-bound")
	case scheme == SchemeDPoP:
		if e := v.verifyProof(r, token, claims.JKT); e != nil {
			return nil, e
		}
	}
	if v.feed != nil {
		if e := v.feed.check(claims, claims.KeyID); e != nil {
			return nil, e
		}
	}
	if v.introspector != nil {
		active, err := v.introspector.active(r.Context(), token, claims.Expiry)
		if err != nil {
			return nil, errUnavailable("the token could not be introspected").with(err)
		}
		if !active {
			return nil, errToken(scheme, "the access token is not active")
		}
	}
	need := append(slices.Clone(v.cfg.Scopes), scopes...)
	for _, s := range need {
		if !claims.HasScope(s) {
			return nil, errScope(scheme, need)
		}
	}
	return claims, nil
}

// Middleware requires a valid token with Config.Scopes before next, and
// puts the claims in the request context (ClaimsFrom).
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return v.RequireScopes()(next)
}

// RequireScopes returns middleware like Middleware that also requires
// scopes. It panics when a scope is not an RFC 6749 scope-token (a
// programming error, caught at start-up).
func (v *Verifier) RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scopes = slices.Clone(scopes)
	for _, s := range scopes {
		if !validScopeToken(s) {
			panic("resource: invalid scope " + s)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, e := v.verify(r, scopes)
			if e != nil {
				v.logRefusal(r, e)
				v.WriteError(w, e)
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
		})
	}
}

// logRefusal logs the refusal without credentials: the code, the fixed
// description, and for 503 the cause.
func (v *Verifier) logRefusal(r *http.Request, e *Error) {
	attrs := []any{slog.Int("status", e.Status), slog.String("error", e.Code),
		slog.String("description", e.Description), slog.String("method", r.Method), slog.String("path", r.URL.Path)}
	if e.Status == http.StatusServiceUnavailable {
		if e.cause != nil {
			attrs = append(attrs, slog.String("cause", e.cause.Error()))
		}
		v.log.WarnContext(r.Context(), "resource: request refused", attrs...)
		return
	}
	v.log.DebugContext(r.Context(), "resource: request refused", attrs...)
}

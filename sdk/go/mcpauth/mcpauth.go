// Package mcpauth plugs the resource package into the official Go MCP SDK
// (github.com/modelcontextprotocol/go-sdk): an MCP server protected by a
// SharkAuth tenant in one line,
//
//	http.Handle("/mcp", mcpauth.Require(verifier)(mcp.NewStreamableHTTPHandler(getServer, nil)))
//
// Require verifies every request with the resource.Verifier (signature,
// issuer, audience, expiry, scopes, DPoP proof for a bound token,
// introspection when configured) and answers a refusal as the resource
// package does: 401 or 403 with RFC 6750 / RFC 9449 challenges that carry
// the error code and the resource_metadata pointer (RFC 9728 §5.1), from
// which an MCP client discovers the authorization server. An accepted
// request reaches the handler through the go-sdk's auth.RequireBearerToken,
// so the go-sdk sees its auth.TokenInfo: tool handlers read it from
// req.Extra.TokenInfo (Claims turns it back into the verified claims) and
// the streamable transport binds each session to the caller (TokenInfo.UserID).
//
// TokenVerifier is the lower-level piece for servers that call
// auth.RequireBearerToken themselves (Bearer tokens only: the go-sdk's
// middleware accepts no other scheme, and a DPoP-bound token presented as
// Bearer is refused, RFC 9449 §7.2).
package mcpauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/sharkauth/serverless/sdk/go/resource"
)

// verifierJudgesExpiry is the go-sdk middleware's clock skew under Require.
const verifierJudgesExpiry = 365 * 24 * time.Hour

// claimsKey is the TokenInfo.Extra member that holds the *resource.Claims.
const claimsKey = "sharkauth.claims"

// Require returns middleware that admits only requests carrying a token the
// verifier accepts with its Config.Scopes and scopes, and hands them to next
// with the go-sdk's TokenInfo in the context. It panics when a scope is not
// an RFC 6749 scope-token (a programming error, caught at start-up).
func Require(v *resource.Verifier, scopes ...string) func(http.Handler) http.Handler {
	verified := v.RequireScopes(scopes...)
	// The claims were checked above; the go-sdk middleware only carries them
	// into its TokenInfo (its own checks on scope and expiry then agree).
	fromContext := func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		c, ok := resource.ClaimsFrom(ctx)
		if !ok {
			return nil, fmt.Errorf("%w: no verified claims", auth.ErrInvalidToken)
		}
		return tokenInfo(c), nil
	}
	// The verifier judged expiry with its own clock and leeway (Config.Now,
	// Config.Leeway); the go-sdk's second look with time.Now must not
	// overrule it, hence the wide skew.
	carry := auth.RequireBearerToken(fromContext, &auth.RequireBearerTokenOptions{
		ResourceMetadataURL: v.MetadataURL(), ClockSkew: verifierJudgesExpiry})
	return func(next http.Handler) http.Handler {
		inner := carry(next)
		return verified(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, ok := resource.ClaimsFrom(r.Context()); ok && c.Scheme != resource.SchemeBearer {
				// The go-sdk middleware reads only "Bearer <token>"; a DPoP
				// request (already verified, proof included) is shown to it
				// in that form.
				_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", resource.SchemeBearer+" "+strings.TrimLeft(token, " "))
			}
			inner.ServeHTTP(w, r)
		}))
	}
}

// TokenVerifier returns an auth.TokenVerifier for auth.RequireBearerToken:
// the request is verified by v with its Config.Scopes and scopes. A refusal
// unwraps to auth.ErrInvalidToken (401), or auth.ErrOAuth for a malformed
// request (400); insufficient scope is left to RequireBearerTokenOptions.Scopes
// (403) when the token is otherwise valid. Pair it with
// RequireBearerTokenOptions{ResourceMetadataURL: v.MetadataURL()} so that a
// 401 points at the protected-resource metadata.
func TokenVerifier(v *resource.Verifier, scopes ...string) auth.TokenVerifier {
	return func(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		c, err := v.Verify(r, scopes...)
		if err != nil {
			var e *resource.Error
			if errors.As(err, &e) {
				switch {
				case e.Code == resource.CodeInsufficientScope:
					// Verified but short of a scope: the go-sdk middleware
					// answers 403 when its Scopes option lists them.
					return nil, fmt.Errorf("%w: %s", auth.ErrInvalidToken, e.Description)
				case e.Status == http.StatusBadRequest:
					return nil, fmt.Errorf("%w: %s", auth.ErrOAuth, e.Description)
				case e.Status == http.StatusServiceUnavailable:
					return nil, errors.New("mcpauth: " + e.Description)
				}
				return nil, fmt.Errorf("%w: %s", auth.ErrInvalidToken, e.Description)
			}
			return nil, err
		}
		return tokenInfo(c), nil
	}
}

// tokenInfo is the go-sdk's view of verified claims. UserID binds a
// streamable session to the subject and the client together, so neither
// another user nor another client of the same user can take it over.
func tokenInfo(c *resource.Claims) *auth.TokenInfo {
	return &auth.TokenInfo{
		Scopes:     c.Scopes(),
		Expiration: c.Expiry,
		UserID:     c.Subject + " " + c.ClientID,
		Extra:      map[string]any{claimsKey: c},
	}
}

// Claims returns the verified claims behind a TokenInfo made by Require or
// TokenVerifier (in a tool handler: mcpauth.Claims(req.Extra.TokenInfo)).
func Claims(ti *auth.TokenInfo) (*resource.Claims, bool) {
	if ti == nil {
		return nil, false
	}
	c, ok := ti.Extra[claimsKey].(*resource.Claims)
	return c, ok && c != nil
}

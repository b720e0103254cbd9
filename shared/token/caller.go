package token

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// caller is who calls revoke or introspect: the tenant's admin (an admin key
// with scope *), an admin key with scope introspect (which may only read
// token state), a resource server (which may only read the state of the
// tokens meant for one of its resources) or a client, which may only touch
// its own tokens.
type caller struct {
	adminKeyID string
	// readOnly: an admin key with scope introspect and not *.
	readOnly bool
	client   *store.Client
}

// IntrospectScope is the admin key scope that allows introspection of any
// token of the tenant, and nothing else.
const IntrospectScope = store.ScopeIntrospect

// resourceServer reports whether the caller is a resource server.
func (c caller) resourceServer() bool {
	return c.client != nil && c.client.Kind == store.KindResourceServer
}

// mayRevoke reports whether the caller may revoke at all: not a read-only
// key, not a resource server (it reads token state, RFC 7662; revoking
// others' tokens is the tenant admin's).
func (c caller) mayRevoke() bool { return !c.readOnly && !c.resourceServer() }

// sees reports whether the caller may learn the state of token rec: the
// admin and an introspect key see every token of the tenant, a resource
// server those whose aud names one of its resources, a client its own.
func (c caller) sees(rec store.TokenRecord) bool {
	switch {
	case c.client == nil:
		return true
	case c.resourceServer():
		return slices.ContainsFunc(rec.Audience, func(aud string) bool { return slices.Contains(c.client.Audiences, aud) })
	}
	return c.client.ClientID == rec.ClientID
}

func (c caller) actor() audit.Actor {
	if c.client != nil {
		return audit.Actor{Type: "client", ID: c.client.ClientID}
	}
	return audit.Actor{Type: "admin_key", ID: c.adminKeyID}
}

// owns reports whether the caller may revoke a token of clientID (a
// caller that may not revoke at all is refused before: mayRevoke).
func (c caller) owns(clientID string) bool {
	return c.client == nil || c.client.ClientID == clientID
}

// adminBearer returns the admin key of an `Authorization: Bearer sk_live_...`
// header ("" for any other header).
func adminBearer(r *http.Request) string {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(key, ids.AdminKeyPrefix) {
		return ""
	}
	return key
}

// authenticateCaller authenticates revoke/introspect callers (WIRE §5.4): an
// admin key of this tenant, or client authentication (secret methods: these
// endpoints record no assertion jti). No caller is 401 invalid_client.
// A public client (auth method none) is identified by its client_id only
// where public is set (revocation of its own tokens, RFC 7009 §2.1).
func (h *Handler) authenticateCaller(ctx context.Context, r *http.Request, f oauth.Form, t tenant.Tenant, public bool) (caller, error) {
	if key := adminBearer(r); key != "" {
		if f.Has("client_secret") || f.Has("client_assertion") {
			return caller{}, oauth.New(oauth.InvalidRequest, "more than one caller authentication")
		}
		// A refused key gets the RFC 6750 challenge of the scheme it tried.
		refused := oauth.New(oauth.InvalidClient, "invalid API key").
			WithHeader("WWW-Authenticate", `Bearer realm="`+t.Issuer+`", error="invalid_token"`)
		k, err := h.Store.APIKeyByHash(ctx, t.ID, ids.Hash(key))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return caller{}, refused
		case err != nil:
			return caller{}, oauth.Internal(err)
		}
		readOnly := false
		switch k.Check(key, h.Now()) {
		case store.KeyValid:
		case store.KeyNotAdmin:
			if !slices.Contains(k.Scopes, IntrospectScope) {
				return caller{}, oauth.New(oauth.AccessDenied, "the API key lacks scope * (or introspect, to introspect)")
			}
			readOnly = true
		default: // a mismatched, revoked or expired key says no more than an unknown one
			return caller{}, refused
		}
		return caller{adminKeyID: k.ID, readOnly: readOnly}, nil
	}
	c, err := h.auth.Authenticate(ctx, r, f, t, oauth.Options{Public: public, Assertions: true})
	if len(c.Marks) > 0 {
		// A client assertion is single-use (RFC 7523 §3): used once here
		// when it authenticates, spent when refused after its signature.
		if err != nil {
			return caller{}, h.spend(ctx, t, c.Marks, err)
		}
		if uerr := h.Store.UseMarks(ctx, t.ID, c.Marks); errors.Is(uerr, store.ErrReplay) {
			return caller{}, oauth.New(oauth.InvalidClient, "the client assertion was used already")
		} else if uerr != nil {
			return caller{}, oauth.Internal(uerr)
		}
	}
	if err != nil {
		return caller{}, err
	}
	return caller{client: &c.Client}, nil
}

package token

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// caller is who calls revoke or introspect: the tenant's admin (an admin key
// with scope *) or a client, which may only touch its own tokens.
type caller struct {
	adminKeyID string
	client     *store.Client
}

func (c caller) actor() audit.Actor {
	if c.client != nil {
		return audit.Actor{Type: "client", ID: c.client.ClientID}
	}
	return audit.Actor{Type: "admin_key", ID: c.adminKeyID}
}

// owns reports whether the caller may see or revoke a token of clientID.
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
		switch k.Check(key, h.Now()) {
		case store.KeyValid:
		case store.KeyNotAdmin:
			return caller{}, oauth.New(oauth.AccessDenied, "the API key lacks scope *")
		default: // a mismatched, revoked or expired key says no more than an unknown one
			return caller{}, refused
		}
		return caller{adminKeyID: k.ID}, nil
	}
	c, err := h.auth.Authenticate(ctx, r, f, t, oauth.Options{Public: public})
	if err != nil {
		return caller{}, err
	}
	return caller{client: &c.Client}, nil
}

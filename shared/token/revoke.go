package token

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sharkauth/serverless/shared/accesstoken"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// revoke is POST /oauth/revoke (RFC 7009, WIRE §5.4): 200 with an empty
// body for any token, unknown, invalid or expired ones included; a client
// may revoke only its own tokens. The revocation and its
// oauth.token_revoked event are one store write. A refresh token revokes
// its whole family (RFC 7009 §2.1: the access tokens of its grant too).
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	h.init()
	ctx := r.Context()
	f, err := oauth.ParseForm(r)
	if err != nil {
		return err
	}
	who, err := h.authenticateCaller(ctx, r, f, t, true)
	if err != nil {
		return err
	}
	switch {
	case who.readOnly:
		return oauth.New(oauth.AccessDenied, "the API key lacks scope *: scope introspect only introspects")
	case who.resourceServer():
		// A resource server reads token state; it revokes nothing (RFC 7009
		// §2.2.1: the client is not authorized to revoke the token).
		return oauth.New(oauth.UnauthorizedClient, "a resource server may not revoke tokens")
	}
	raw := f.Get("token")
	if raw == "" {
		return oauth.New(oauth.InvalidRequest, "token is required")
	}
	done := func() error {
		oauth.NoStore(w.Header())
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if strings.HasPrefix(raw, refreshPrefix) {
		return h.revokeRefresh(w, r, t, who, raw, f.Get("token_type_hint"), done)
	}
	p, err := h.ring.Verify(ctx, t.ID, t.Issuer, raw)
	if errors.Is(err, accesstoken.ErrInvalid) {
		return done() // not one of our live tokens: nothing to revoke
	}
	if err != nil {
		return oauth.Internal(err)
	}
	jti := p.Claims.ID
	if who.client != nil && !who.owns(p.Claims.ClientID) {
		return oauth.New(oauth.UnauthorizedClient, "the token was not issued to this client")
	}
	// Whoever calls, a token without a record or already revoked changes
	// nothing and writes no event.
	rec, err := h.Store.GetToken(ctx, t.ID, jti)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return done()
	case err != nil:
		return oauth.Internal(err)
	case who.client != nil && !who.owns(rec.ClientID):
		return oauth.New(oauth.UnauthorizedClient, "the token was not issued to this client")
	case !rec.RevokedAt.IsZero():
		return done()
	}
	ev := audit.New(r, h.Now().UTC(), audit.TokenRevoked, who.actor(), audit.Target{Type: "token", ID: jti},
		map[string]any{"client_id": p.Claims.ClientID, "token_type_hint": f.Get("token_type_hint")})
	if err := h.Store.RevokeToken(ctx, t.ID, jti, ev); err != nil && !errors.Is(err, store.ErrNotFound) {
		return oauth.Internal(err)
	}
	return done()
}

// revokeRefresh revokes the family of a refresh token of the caller's.
func (h *Handler) revokeRefresh(w http.ResponseWriter, r *http.Request, t tenant.Tenant, who caller, raw, hint string, done func() error) error {
	ctx := r.Context()
	rt, err := h.Store.RefreshByHash(ctx, t.ID, ids.Hash(raw))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return done()
	case err != nil:
		return oauth.Internal(err)
	case !who.owns(rt.ClientID):
		return oauth.New(oauth.UnauthorizedClient, "the token was not issued to this client")
	}
	if _, err := h.Store.GetFamilyRevocation(ctx, t.ID, rt.FamilyID); err == nil {
		return done()
	}
	ev := audit.New(r, h.Now().UTC(), audit.TokenRevoked, who.actor(), audit.Target{Type: "token_family", ID: rt.FamilyID},
		map[string]any{"client_id": rt.ClientID, "token_type_hint": hint})
	if err := h.Store.RevokeFamily(ctx, t.ID, rt.FamilyID, "revoked", ev); err != nil {
		return oauth.Internal(err)
	}
	return done()
}

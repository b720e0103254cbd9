package token

import (
	"errors"
	"net/http"

	"github.com/sharkauth/serverless/shared/accesstoken"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/tenant"
)

// introspection is the RFC 7662 answer for an active token; aud is a string
// for one audience, an array otherwise, like the token's own claim.
type introspection struct {
	Active    bool                      `json:"active"`
	Scope     string                    `json:"scope"`
	ClientID  string                    `json:"client_id"`
	Subject   string                    `json:"sub"`
	Audience  accesstoken.Audience      `json:"aud"`
	Issuer    string                    `json:"iss"`
	Expiry    int64                     `json:"exp"`
	IssuedAt  int64                     `json:"iat"`
	NotBefore int64                     `json:"nbf"`
	JTI       string                    `json:"jti"`
	TokenType oauth.TokenType           `json:"token_type"`
	Cnf       *accesstoken.Confirmation `json:"cnf,omitempty"`
	Act       *accesstoken.Actor        `json:"act,omitempty"`
	AgentID   string                    `json:"agent_id,omitempty"`
}

var inactive = map[string]bool{"active": false}

// introspect is POST /oauth/introspect (RFC 7662, WIRE §5.4). Whether a
// token is active is decided ONLY by the store's TokenActivity (all five
// revocation layers, revoked signing keys, expiry); the signature check
// just finds the jti. Anything not active, and any token the caller may not
// see (caller.sees: another client's, or for a resource server one whose aud
// names none of its resources), is exactly {"active":false}.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	h.init()
	ctx := r.Context()
	f, err := oauth.ParseForm(r)
	if err != nil {
		return err
	}
	who, err := h.authenticateCaller(ctx, r, f, t, false)
	if err != nil {
		return err
	}
	raw := f.Get("token")
	if raw == "" {
		return oauth.New(oauth.InvalidRequest, "token is required")
	}
	p, err := h.ring.Verify(ctx, t.ID, t.Issuer, raw)
	if errors.Is(err, accesstoken.ErrInvalid) {
		oauth.WriteJSON(w, http.StatusOK, inactive)
		return nil
	}
	if err != nil {
		return oauth.Internal(err)
	}
	act, err := h.Store.TokenActivity(ctx, t.ID, p.Claims.ID)
	if err != nil {
		return oauth.Internal(err)
	}
	rec := act.Token
	if !act.Active || rec.JTI != p.Claims.ID || !who.sees(rec) {
		oauth.WriteJSON(w, http.StatusOK, inactive)
		return nil
	}
	out := introspection{
		Active: true, Scope: rec.Scope, ClientID: rec.ClientID, Subject: rec.Subject, Audience: rec.Audience,
		Issuer: p.Claims.Issuer, Expiry: rec.ExpiresAt.Unix(), IssuedAt: rec.IssuedAt.Unix(), NotBefore: p.Claims.NotBefore,
		JTI: rec.JTI, TokenType: oauth.TokenBearer, Act: p.Claims.Act, AgentID: rec.AgentID,
	}
	if rec.JKT != "" {
		out.TokenType = oauth.TokenDPoP
		out.Cnf = &accesstoken.Confirmation{JKT: rec.JKT}
	}
	oauth.WriteJSON(w, http.StatusOK, out)
	return nil
}

package token

import (
	"context"

	"github.com/sharkauth/serverless/shared/oauth"
)

// grant is one grant type the token endpoint serves. It validates its own
// parameters and decides the token's subject and ceilings; it cannot skip
// the shared phases (the dispatcher runs them around decide). Its other
// fields are what it declares to the dispatcher.
type grant struct {
	typ oauth.GrantType
	// admit is the grant's client-authentication rule, run as soon as the
	// client is identified, before anything else is verified: nil
	// (confidentialOnly) refuses public clients. A grant that serves public
	// clients (authorization_code, whose PKCE stands in for the secret)
	// sets publicClients.
	admit func(c oauth.Authenticated, gt oauth.GrantType) error
	// unlisted: a client not registered for the grant type still reaches
	// decide (q.listed is false), which must refuse it unless something
	// else authorizes it (token exchange's live may-act grants). Otherwise
	// the dispatcher refuses it unauthorized_client.
	unlisted bool
	decide   func(h *Handler, ctx context.Context, q *request) (decision, error)
}

// grants are the grant types the token endpoint serves, in the order the
// metadata lists them: the one list that the dispatcher dispatches on and
// that discovery advertises (GrantTypes). A new grant is one entry here.
var grants = []grant{
	{typ: oauth.GrantClientCredentials, decide: clientCredentials},
	{typ: oauth.GrantTokenExchange, unlisted: true, decide: func(h *Handler, ctx context.Context, q *request) (decision, error) {
		return tokenExchange{h: h}.decide(ctx, q)
	}},
	{typ: oauth.GrantAuthorizationCode, admit: publicClients, decide: authorizationCode},
	// A refresh token is the authorization: a client not listing the
	// grant still refreshes what it was issued (offline_access). Public
	// clients refresh too: their refresh tokens rotate on every use and
	// are bound to their DPoP key when they had one (OAuth 2.1 §4.3.1).
	{typ: oauth.GrantRefreshToken, admit: publicClients, unlisted: true, decide: refreshToken},
}

// GrantTypes are the grant types the token endpoint serves
// (grant_types_supported of the metadata).
func GrantTypes() []oauth.GrantType {
	out := make([]oauth.GrantType, len(grants))
	for i, g := range grants {
		out[i] = g.typ
	}
	return out
}

// grantOf finds the grant serving gt.
func grantOf(gt oauth.GrantType) (grant, bool) {
	for _, g := range grants {
		if g.typ == gt {
			return g, true
		}
	}
	return grant{}, false
}

// admits runs the grant's client-authentication rule.
func (g grant) admits(c oauth.Authenticated) error {
	if g.admit == nil {
		return confidentialOnly(c, g.typ)
	}
	return g.admit(c, g.typ)
}

// confidentialOnly admits authenticated clients only: a public client
// (auth method none) is identified, never authenticated.
func confidentialOnly(c oauth.Authenticated, gt oauth.GrantType) error {
	if c.Method == oauth.AuthNone {
		return oauth.New(oauth.UnauthorizedClient, "a public client may not use grant type "+string(gt))
	}
	return nil
}

// publicClients admits public clients as well as authenticated ones, for a
// grant whose request proves the client otherwise (PKCE).
func publicClients(oauth.Authenticated, oauth.GrantType) error { return nil }

package token

import (
	"context"
	"errors"
	"strings"

	"github.com/sharkauth/serverless/shared/cimd"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// CIMD resolves a client_id that is an https URL with a path to its
// fetched and checked metadata document (shared/cimd).
type CIMD interface {
	Resolve(ctx context.Context, clientID string) (cimd.Client, error)
}

// described is the Authenticator's view of a metadata document client: a
// client of the code and refresh grants, never stored (the document, cached
// per its HTTP headers, is the registration). Its scope is the document's,
// or none listed: the code's scope is the ceiling either way.
func (h *Handler) described(ctx context.Context, clientID string) (store.Client, bool, error) {
	if h.CIMD == nil || !cimd.IsCIMD(clientID) {
		return store.Client{}, false, nil
	}
	d, err := h.CIMD.Resolve(ctx, clientID)
	if err != nil {
		var refused *cimd.Error
		if errors.As(err, &refused) {
			return store.Client{}, true, oauth.New(oauth.InvalidClient, "the client metadata document could not be used")
		}
		return store.Client{}, true, oauth.Internal(err)
	}
	return store.Client{
		ClientID: d.ClientID, Name: d.Name, AuthMethod: d.AuthMethod, JWKSURI: d.JWKSURI, Active: true,
		GrantTypes:   []string{string(oauth.GrantAuthorizationCode), string(oauth.GrantRefreshToken)},
		Scopes:       strings.Fields(d.Scope),
		RedirectURIs: d.RedirectURIs,
	}, true, nil
}

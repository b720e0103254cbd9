package token

import (
	"context"
	"errors"

	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// CIMD resolves a client_id that is an https URL with a path to the client
// its fetched and checked metadata document describes (*cimd.Resolver).
// ok is false for any other client_id; a document that cannot be used is
// an *oauth.Error. An interface, so that the token package does not link
// the registration parser shared/cimd uses.
type CIMD interface {
	Described(ctx context.Context, clientID string) (c store.Client, ok bool, err error)
}

// described is the Authenticator's view of a metadata document client.
func (h *Handler) described(ctx context.Context, clientID string) (store.Client, bool, error) {
	if h.CIMD == nil {
		return store.Client{}, false, nil
	}
	c, ok, err := h.CIMD.Described(ctx, clientID)
	if err != nil {
		var refused *oauth.Error
		if errors.As(err, &refused) {
			return store.Client{}, true, refused
		}
		return store.Client{}, true, oauth.Internal(err)
	}
	return c, ok, nil
}

package cimd

import (
	"context"
	"errors"
	"strings"

	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// Described is the client a metadata document describes, as the token
// endpoint sees it: a client of the code and refresh grants, never stored
// (the document, cached per its HTTP headers, is the registration). Its
// scope is the document's, or none listed: the code's scope is the ceiling
// either way. ok is false for a client_id that is no document URL; a
// document that cannot be used is an invalid_client *oauth.Error.
func (r *Resolver) Described(ctx context.Context, clientID string) (c store.Client, ok bool, err error) {
	if !IsCIMD(clientID) {
		return store.Client{}, false, nil
	}
	d, err := r.Resolve(ctx, clientID)
	if err != nil {
		var refused *Error
		if errors.As(err, &refused) {
			return store.Client{}, true, oauth.New(oauth.InvalidClient, "the client metadata document could not be used")
		}
		return store.Client{}, true, err
	}
	return StoreClient(d), true, nil
}

// StoreClient is the never-stored client record of a resolved document.
func StoreClient(d Client) store.Client {
	return store.Client{
		ClientID: d.ClientID, Name: d.Name, AuthMethod: d.AuthMethod, JWKSURI: d.JWKSURI, Active: true,
		GrantTypes:   []string{string(oauth.GrantAuthorizationCode), string(oauth.GrantRefreshToken)},
		Scopes:       strings.Fields(d.Scope),
		RedirectURIs: d.RedirectURIs,
	}
}

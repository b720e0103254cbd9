package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sharkauth/serverless/shared/tenant"
)

// KindResourceServer is a resource server (an MCP server, an API): a client
// record only so that the client authentication of shared/oauth
// authenticates its credential. It holds its resources in Audiences, is
// never issued a token (it has no grant types, and the token endpoint
// refuses the kind), is never an agent or an application, and a client-id
// pattern revocation does not deactivate it (ClientsMatching skips it).
const KindResourceServer ClientKind = "resource_server"

// ScopeIntrospect is the admin key scope that allows introspection of any
// token of the tenant and nothing else (an APIKey with it and without "*"
// is KeyNotAdmin: the token function admits it at introspection only).
const ScopeIntrospect = "introspect"

// ErrNotResourceServer is a resource server write whose client is of another kind.
var ErrNotResourceServer = errors.New("store: not a resource server")

// checkResourceServer is what every stored resource server holds to.
func checkResourceServer(c Client) error {
	switch {
	case c.Kind != KindResourceServer:
		return fmt.Errorf("%w: kind %q", ErrNotResourceServer, c.Kind)
	case len(c.GrantTypes) > 0:
		return errors.New("store: a resource server has no grant types")
	case len(c.Audiences) == 0:
		return errors.New("store: a resource server without resources")
	}
	return nil
}

// CreateResourceServer stores a new resource server with its audit event,
// in one transaction. A taken client_id or id is ErrConflict.
func (s *Store) CreateResourceServer(ctx context.Context, t tenant.ID, c Client, ev AuditEvent) error {
	if err := checkResourceServer(c); err != nil {
		return err
	}
	if c.CreatedBy != "" {
		return errors.New("store: a resource server has no creating user")
	}
	return s.CreateClient(ctx, t, c, ev)
}

// GetResourceServer reads a resource server by its id (rs_...) or its
// client_id; a client of another kind is ErrNotFound.
func (s *Store) GetResourceServer(ctx context.Context, t tenant.ID, id string) (Client, error) {
	c, err := s.GetClientByID(ctx, t, id)
	if errors.Is(err, ErrNotFound) {
		c, err = s.GetClient(ctx, t, id)
	}
	if err != nil {
		return Client{}, err
	}
	if c.Kind != KindResourceServer {
		return Client{}, ErrNotFound
	}
	return c, nil
}

// ListResourceServers returns every resource server of a tenant, newest first.
func (s *Store) ListResourceServers(ctx context.Context, t tenant.ID) ([]Client, error) {
	all, err := s.AllClients(ctx, t)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c Client) bool { return c.Kind != KindResourceServer }), nil
}

// ChangeResourceServer applies mutate to the resource server id (or
// client_id) and writes it with the event ev(c) in one transaction
// conditioned on the version read (ChangeClient). A client of another kind
// is ErrNotFound; mutate cannot change the kind or give it grant types.
func (s *Store) ChangeResourceServer(ctx context.Context, t tenant.ID, id string, mutate func(*Client) error, ev func(Client) AuditEvent) (Client, error) {
	cur, err := s.GetResourceServer(ctx, t, id)
	if err != nil {
		return Client{}, err
	}
	return s.ChangeClient(ctx, t, cur.ClientID, func(c *Client) error {
		if c.Kind != KindResourceServer {
			return ErrNotFound
		}
		if err := mutate(c); err != nil {
			return err
		}
		return checkResourceServer(*c)
	}, ev)
}

// DeleteResourceServer removes the resource server id (or client_id) with
// its audit event. A client of another kind, or one already gone, is
// ErrNotFound; one changed since it was read is ErrConflict.
func (s *Store) DeleteResourceServer(ctx context.Context, t tenant.ID, id string, ev AuditEvent) error {
	c, err := s.GetResourceServer(ctx, t, id)
	if err != nil {
		return err
	}
	return s.DeleteClient(ctx, t, c.ClientID, ev)
}

package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// maxPatternAge is how long a pattern revocation is kept on the tenant: longer
// than any token lives, so it outlasts every token it revokes.
const maxPatternAge = 48 * time.Hour

// RevokePattern records a client-id pattern revocation (L4) on the tenant
// record with ev, in one transaction: from ev's time every token issued until
// then to a client whose client_id matches is inactive. Revocations older than
// any token's lifetime are pruned.
func (s *Store) RevokePattern(ctx context.Context, t tenant.ID, pattern string, ev AuditEvent) (PatternRevocation, error) {
	if !ValidPattern(pattern) || pattern == "" {
		return PatternRevocation{}, errors.New("store: malformed pattern")
	}
	p := PatternRevocation{ID: ev.ID, Pattern: pattern, At: ev.CreatedAt}
	_, err := s.UpdateTenant(ctx, t, func(tn *Tenant) error {
		tn.RevokedPatterns = slices.DeleteFunc(slices.Clone(tn.RevokedPatterns), func(o PatternRevocation) bool {
			return o.At.Add(maxPatternAge).Before(p.At)
		})
		tn.RevokedPatterns = append(tn.RevokedPatterns, p)
		return nil
	}, ev)
	return p, err
}

// ClientsMatching returns the tenant's clients whose client_id matches pattern.
func (s *Store) ClientsMatching(ctx context.Context, t tenant.ID, pattern string) ([]Client, error) {
	clients, err := s.AllClients(ctx, t)
	if err != nil {
		return nil, err
	}
	// A resource server holds no tokens: a pattern revocation never deactivates it.
	return slices.DeleteFunc(clients, func(c Client) bool { return c.Kind == KindResourceServer || !MatchPattern(pattern, c.ClientID) }), nil
}

// AllClients reads every client of a tenant, newest first.
func (s *Store) AllClients(ctx context.Context, t tenant.ID) ([]Client, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	return all(ctx, s, Query{Index: GSI1, Partition: clientIndex(sc), Desc: true}, setClientVersion)
}

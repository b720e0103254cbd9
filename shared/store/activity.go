package store

import (
	"context"
	"errors"
	"path"
	"slices"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// ErrClientInactive is a client that may not be issued tokens: deactivated, or
// created by a user whose agents were revoked (L3) since.
var ErrClientInactive = errors.New("store: client inactive")

// Reasons a token is inactive (Activity.Reason).
const (
	ReasonUnknown        = "unknown"         // no such token (or its record expired)
	ReasonExpired        = "expired"         // past exp
	ReasonRevoked        = "revoked"         // L1: revoked by jti
	ReasonClientInactive = "client_inactive" // L2: client deactivated or deleted
	ReasonClientRevoked  = "client_revoked"  // L2: issued before the client's revoke-all
	ReasonDPoPKeyRotated = "dpop_key_rotated"
	ReasonUserRevoked    = "user_revoked"    // L3
	ReasonPatternRevoked = "pattern_revoked" // L4
	ReasonTenantDisabled = "tenant_disabled" // L5
	ReasonKeyRevoked     = "signing_key_revoked"
)

// Activity says whether a token is active now, and if not, why.
type Activity struct {
	Active bool
	Reason string      // "" when active
	Token  TokenRecord // zero when unknown
}

// Revocations is everything the activity decision reads besides the token:
// the token's client (nil when it no longer exists), the cascade marker of
// the client's user (nil when none), and the tenant.
type Revocations struct {
	Client *Client
	User   *UserRevocation
	Tenant Tenant
}

// Decide is the one decision "is this token active at now?" over the five
// revocation layers (DESIGN §5). It makes no table call.
func Decide(rec TokenRecord, rv Revocations, now time.Time) Activity {
	inactive := func(reason string) Activity { return Activity{Reason: reason, Token: rec} }
	c := rv.Client
	switch {
	case rv.Tenant.Disabled:
		return inactive(ReasonTenantDisabled)
	case !now.Before(rec.ExpiresAt):
		return inactive(ReasonExpired)
	case !rec.RevokedAt.IsZero():
		return inactive(ReasonRevoked)
	case c == nil || !c.Active:
		return inactive(ReasonClientInactive)
	case !c.RevokedBefore.IsZero() && !rec.IssuedAt.After(c.RevokedBefore):
		return inactive(ReasonClientRevoked)
	case c.DPoPJKT != "" && rec.JKT != c.DPoPJKT:
		return inactive(ReasonDPoPKeyRotated)
	case userRevoked(*c, rv.User):
		return inactive(ReasonUserRevoked)
	case slices.Contains(rv.Tenant.RevokedKIDs, rec.KID):
		return inactive(ReasonKeyRevoked)
	}
	for _, p := range rv.Tenant.RevokedPatterns {
		if !rec.IssuedAt.After(p.At) && MatchPattern(p.Pattern, rec.ClientID) {
			return inactive(ReasonPatternRevoked)
		}
	}
	return Activity{Active: true, Token: rec}
}

// userRevoked: the client's user was cascade-revoked at or after the client was created.
func userRevoked(c Client, m *UserRevocation) bool {
	return m != nil && c.CreatedBy != "" && m.UserID == c.CreatedBy && !m.At.Before(c.CreatedAt)
}

// MatchPattern reports whether a client_id matches a revocation glob (`*`,
// `?`, `[...]`, as path.Match). A malformed pattern matches nothing.
func MatchPattern(pattern, clientID string) bool {
	ok, err := path.Match(pattern, clientID)
	return err == nil && ok
}

// ValidPattern reports whether pattern is a well-formed glob.
func ValidPattern(pattern string) bool {
	_, err := path.Match(pattern, "")
	return err == nil
}

// CheckIssuable says whether c may be issued a token now: nil, or
// ErrClientInactive when c is inactive or its user (CreatedBy) was
// cascade-revoked at or after c was created. It makes no table call when c
// has no CreatedBy, else one.
func (s *Store) CheckIssuable(ctx context.Context, t tenant.ID, c Client) error {
	if !c.Active {
		return ErrClientInactive
	}
	if c.CreatedBy == "" {
		return nil
	}
	m, err := s.GetUserRevocation(ctx, t, c.CreatedBy)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	case userRevoked(c, &m):
		return ErrClientInactive
	}
	return nil
}

// TokenActivity decides whether the token jti is active now (Decide), reading
// at most four items: the token, its client, its client's user cascade marker
// (when the client has a user) and the tenant. An unknown jti is inactive with
// reason "unknown", not an error.
func (s *Store) TokenActivity(ctx context.Context, t tenant.ID, jti string) (Activity, error) {
	rec, err := s.GetToken(ctx, t, jti)
	if errors.Is(err, ErrNotFound) {
		return Activity{Reason: ReasonUnknown}, nil
	}
	if err != nil {
		return Activity{}, err
	}
	var rv Revocations
	c, err := s.GetClient(ctx, t, rec.ClientID)
	switch {
	case err == nil:
		rv.Client = &c
	case !errors.Is(err, ErrNotFound):
		return Activity{}, err
	}
	if rv.Client != nil && c.CreatedBy != "" {
		m, err := s.GetUserRevocation(ctx, t, c.CreatedBy)
		switch {
		case err == nil:
			rv.User = &m
		case !errors.Is(err, ErrNotFound):
			return Activity{}, err
		}
	}
	tn, err := s.GetTenant(ctx, t)
	switch {
	case errors.Is(err, ErrNotFound):
		tn.Disabled = true // a tenant that no longer exists issues nothing valid
	case err != nil:
		return Activity{}, err
	}
	rv.Tenant = tn
	return Decide(rec, rv, s.Now()), nil
}

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
	ReasonFamilyRevoked  = "family_revoked" // the user's grant family (code or refresh reuse)
)

// Activity says whether a token is active now, and if not, why.
type Activity struct {
	Active bool
	Reason string      // "" when active
	Token  TokenRecord // zero when unknown
	// Party is the client_id of the subject or actor (Token.Delegation)
	// whose revocation decided, "" when it was the token's own client or
	// another layer.
	Party string
}

// Revocations is everything the activity decision reads besides the token:
// the token's client (nil when it no longer exists), the cascade marker of
// the client's user (nil when none), the same for each client of the
// token's Delegation, and the tenant.
type Revocations struct {
	Client *Client
	User   *UserRevocation
	// Delegation holds a Party for each client_id of the token's
	// Delegation; a client_id without one counts as a deleted client.
	Delegation map[string]Party
	Tenant     Tenant
	// Family is the revocation marker of the token's family (nil: none or
	// no family); Subject is the cascade marker of the token's user
	// (TokenRecord.User; nil: none).
	Family  *FamilyRevocation
	Subject *UserRevocation
}

// Party is one client a delegated token was obtained from or through: the
// client (nil when it no longer exists) and its user's cascade marker (nil
// when none).
type Party struct {
	Client *Client
	User   *UserRevocation
}

// Decide is the one decision "is this token active at now?" over the five
// revocation layers (DESIGN §5). It makes no table call. The client layers
// (L2, L3, L4) apply to the token's client and to every client of its
// Delegation (a delegated token dies with its subject and with every actor
// of its chain). A revocation at an instant covers what was issued (or, for
// a user's cascade, created) at that very instant: revocation wins ties.
func Decide(rec TokenRecord, rv Revocations, now time.Time) Activity {
	inactive := func(reason, party string) Activity { return Activity{Reason: reason, Token: rec, Party: party} }
	switch {
	case rv.Tenant.Disabled || revokedBy(rec.IssuedAt, rv.Tenant.RevokedBefore):
		return inactive(ReasonTenantDisabled, "")
	case !now.Before(rec.ExpiresAt):
		return inactive(ReasonExpired, "")
	case !rec.RevokedAt.IsZero():
		return inactive(ReasonRevoked, "")
	case rec.Family != "" && rv.Family != nil:
		return inactive(ReasonFamilyRevoked, "")
	case rec.User != "" && rv.Subject != nil && revokedBy(rec.IssuedAt, rv.Subject.At):
		return inactive(ReasonUserRevoked, "")
	}
	if reason := clientLayers(rec, Party{Client: rv.Client, User: rv.User}, true); reason != "" {
		return inactive(reason, "")
	}
	for _, id := range rec.Delegation {
		if reason := clientLayers(rec, rv.Delegation[id], false); reason != "" {
			return inactive(reason, id)
		}
	}
	if slices.Contains(rv.Tenant.RevokedKIDs, rec.KID) {
		return inactive(ReasonKeyRevoked, "")
	}
	for _, p := range rv.Tenant.RevokedPatterns {
		if !revokedBy(rec.IssuedAt, p.At) {
			continue
		}
		if MatchPattern(p.Pattern, rec.ClientID) {
			return inactive(ReasonPatternRevoked, "")
		}
		for _, id := range rec.Delegation {
			if MatchPattern(p.Pattern, id) {
				return inactive(ReasonPatternRevoked, id)
			}
		}
	}
	return Activity{Active: true, Token: rec}
}

// clientLayers is the reason (or "") one client revokes rec: deleted or
// inactive, a revoke-all or a DPoP key change at or after rec's issue, its
// user's cascade (L3). holder is the token's own client, whose registered
// DPoP key the token must also be bound to.
func clientLayers(rec TokenRecord, p Party, holder bool) string {
	c := p.Client
	switch {
	case c == nil || !c.Active:
		return ReasonClientInactive
	case revokedBy(rec.IssuedAt, c.RevokedBefore):
		return ReasonClientRevoked
	case revokedBy(rec.IssuedAt, c.DPoPKeyRotatedAt), holder && c.DPoPJKT != "" && rec.JKT != c.DPoPJKT:
		return ReasonDPoPKeyRotated
	case userRevoked(*c, p.User):
		return ReasonUserRevoked
	}
	return ""
}

// revokedBy reports whether a revocation at at (zero: none) covers a token
// issued at iat: iat <= at.
func revokedBy(iat, at time.Time) bool { return !at.IsZero() && !iat.After(at) }

// DelegationOf is the Delegation of a token that acting obtains by exchanging
// subj: subj's client and every client subj depends on, once each, without
// acting itself (whose layers apply as the new token's client).
func DelegationOf(subj TokenRecord, acting string) []string {
	var out []string
	for _, id := range append([]string{subj.ClientID}, subj.Delegation...) {
		if id != "" && id != acting && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
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

// TokenActivity decides whether the token jti is active now (Decide). It
// reads the token, its client, that client's user cascade marker (when the
// client has a user) and the tenant: at most four items; a delegated token
// adds one or two per client of its Delegation; a token of a user's grant
// adds its family's marker and its user's cascade marker. An unknown jti is inactive
// with reason "unknown", not an error.
func (s *Store) TokenActivity(ctx context.Context, t tenant.ID, jti string) (Activity, error) {
	rec, err := s.GetToken(ctx, t, jti)
	if errors.Is(err, ErrNotFound) {
		return Activity{Reason: ReasonUnknown}, nil
	}
	if err != nil {
		return Activity{}, err
	}
	out, err := s.TokenActivities(ctx, t, []TokenRecord{rec})
	if err != nil {
		return Activity{}, err
	}
	return out[0], nil
}

// TokenActivities decides each of recs (records this tenant issued, e.g. a
// page of a client's tokens) as TokenActivity does, at one instant, reading
// each client, user marker and the tenant once for all of them.
func (s *Store) TokenActivities(ctx context.Context, t tenant.ID, recs []TokenRecord) ([]Activity, error) {
	r := revocationReader{s: s, t: t, parties: map[string]Party{}, users: map[string]*UserRevocation{}}
	tn, err := s.GetTenant(ctx, t)
	switch {
	case errors.Is(err, ErrNotFound):
		tn.Disabled = true // a tenant that no longer exists issues nothing valid
	case err != nil:
		return nil, err
	}
	now := s.Now()
	out := make([]Activity, len(recs))
	for i, rec := range recs {
		rv := Revocations{Tenant: tn}
		if len(rec.Delegation) > 0 {
			rv.Delegation = make(map[string]Party, len(rec.Delegation))
		}
		for _, id := range append([]string{rec.ClientID}, rec.Delegation...) {
			p, err := r.party(ctx, id)
			if err != nil {
				return nil, err
			}
			if id == rec.ClientID {
				rv.Client, rv.User = p.Client, p.User
			} else {
				rv.Delegation[id] = p
			}
		}
		if err := r.grant(ctx, rec, &rv); err != nil {
			return nil, err
		}
		out[i] = Decide(rec, rv, now)
	}
	return out, nil
}

// revocationReader reads each client and user cascade marker once.
type revocationReader struct {
	s       *Store
	t       tenant.ID
	parties map[string]Party
	users   map[string]*UserRevocation
}

// grant reads the family marker and the user cascade marker of a token
// of a user's grant.
func (r *revocationReader) grant(ctx context.Context, rec TokenRecord, rv *Revocations) error {
	if rec.Family != "" {
		m, err := r.s.GetFamilyRevocation(ctx, r.t, rec.Family)
		switch {
		case err == nil:
			rv.Family = &m
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	if rec.User != "" {
		m, ok := r.users[rec.User]
		if !ok {
			u, err := r.s.GetUserRevocation(ctx, r.t, rec.User)
			switch {
			case err == nil:
				m = &u
			case !errors.Is(err, ErrNotFound):
				return err
			}
			r.users[rec.User] = m
		}
		rv.Subject = m
	}
	return nil
}

func (r *revocationReader) party(ctx context.Context, clientID string) (Party, error) {
	if p, ok := r.parties[clientID]; ok {
		return p, nil
	}
	var p Party
	c, err := r.s.GetClient(ctx, r.t, clientID)
	switch {
	case err == nil:
		p.Client = &c
	case !errors.Is(err, ErrNotFound):
		return Party{}, err
	}
	if p.Client != nil && c.CreatedBy != "" {
		m, ok := r.users[c.CreatedBy]
		if !ok {
			u, err := r.s.GetUserRevocation(ctx, r.t, c.CreatedBy)
			switch {
			case err == nil:
				m = &u
			case !errors.Is(err, ErrNotFound):
				return Party{}, err
			}
			r.users[c.CreatedBy] = m
		}
		p.User = m
	}
	r.parties[clientID] = p
	return p, nil
}

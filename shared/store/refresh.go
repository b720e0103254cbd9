package store

import (
	"context"
	"errors"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// RefreshGrace is how long after its rotation a refresh token may be
// presented again and get the same successor (parallel processes
// refreshing at once). Presented later, it revokes its whole family.
const RefreshGrace = 30 * time.Second

// RefreshToken is a refresh token's record, stored only by the hash of its
// value. Every refresh token and access token of one user's grant (one
// code's use and all its rotations) shares a FamilyID: revoking the family
// (a marker, RevokeFamily) revokes all of them at once.
type RefreshToken struct {
	Hash      []byte   `json:"hash"`
	FamilyID  string   `json:"family_id"`
	ClientID  string   `json:"client_id"`
	UserID    string   `json:"user_id"`
	Scope     string   `json:"scope"`
	Resources []string `json:"resources,omitempty"`
	JKT       string   `json:"jkt,omitempty"` // the DPoP key it is bound to (RFC 9449 §5)
	// AuthTime is when the user authorized the grant (the code's creation):
	// a user cascade at or after it ends the family.
	AuthTime time.Time `json:"auth_time"`
	// UserMark is the version of the user's cascade marker then (0: none;
	// nil: a token stored before it was kept): a rotation checks it did
	// not move (UserUnrevoked) instead of reading the marker.
	UserMark  *int64    `json:"user_mark,omitempty"`
	IssuedAt  time.Time `json:"iat"`
	ExpiresAt time.Time `json:"exp"`
	// UsedAt is when it was rotated (zero: unused). Successor is its
	// successor's value sealed with a key derived from THIS token's value
	// (the token package seals and opens it): only a holder of this token
	// can read it, for a reuse within RefreshGrace.
	UsedAt    time.Time `json:"used_at,omitzero"`
	Successor []byte    `json:"successor,omitempty"`
	Version   int64     `json:"-"`
}

// FamilyRevocation is the marker of a revoked family: every access and
// refresh token of the family is inactive from the moment it is written.
type FamilyRevocation struct {
	FamilyID string    `json:"family_id"`
	At       time.Time `json:"at"`
	Reason   string    `json:"reason,omitempty"`
	EventID  string    `json:"event_id"`
	Version  int64     `json:"-"`
}

// ErrRefreshRotated is a rotation that lost to a concurrent one.
var ErrRefreshRotated = errors.New("store: refresh token rotated concurrently")

func setRefreshVersion(r *RefreshToken, v int64)    { r.Version = v }
func setFamilyVersion(r *FamilyRevocation, v int64) { r.Version = v }
func refreshItem(sc scope, r RefreshToken, exp time.Time) Item {
	return Item{Key: refreshKey(sc, r.Hash), ExpiresAt: expirySeconds(exp), Data: marshal(r)}
}

// RefreshByHash reads the refresh token whose value hashes to hash, used or
// not (the caller decides on UsedAt). Absent or expired is ErrNotFound.
func (s *Store) RefreshByHash(ctx context.Context, t tenant.ID, hash []byte) (RefreshToken, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return RefreshToken{}, err
	}
	if len(hash) == 0 {
		return RefreshToken{}, ErrNotFound
	}
	r, err := get(ctx, s, refreshKey(sc, hash), setRefreshVersion)
	if err == nil && !s.Now().Before(r.ExpiresAt) {
		return RefreshToken{}, ErrNotFound
	}
	return r, err
}

// NewRefresh is the step that stores a family's first refresh token with
// the token of its grant (an authorization code's use).
func NewRefresh(r RefreshToken) IssueStep { return refreshStep{next: r} }

// RotateRefresh is the step that rotates old (as read: its version) into
// next in the token's transaction: old is marked used at usedAt with its
// sealed successor, next is stored. A concurrent rotation of old refuses
// the issue with ErrRefreshRotated.
func RotateRefresh(old RefreshToken, usedAt time.Time, sealedNext []byte, next RefreshToken) IssueStep {
	old.UsedAt, old.Successor = usedAt, sealedNext
	return refreshStep{old: &old, next: next}
}

type refreshStep struct {
	old  *RefreshToken
	next RefreshToken
}

func (st refreshStep) writes(sc scope) ([]write, error) {
	n := st.next
	if len(n.Hash) == 0 || n.FamilyID == "" || n.ClientID == "" || n.ExpiresAt.IsZero() {
		return nil, errors.New("store: refresh token without hash, family, client or expiry")
	}
	var ws []write
	if o := st.old; o != nil {
		if o.Version == 0 || o.UsedAt.IsZero() {
			return nil, errors.New("store: a rotated refresh token must be one read from the store")
		}
		// The used record lives until the grace ends or its own expiry,
		// whichever is later: a reuse after the grace must still find it
		// to revoke the family, so it keeps its expiry.
		ws = append(ws, put(refreshItem(sc, *o, o.ExpiresAt), CondVersion(o.Version)))
	}
	return append(ws, put(refreshItem(sc, n, n.ExpiresAt), CondAbsent)), nil
}

func (st refreshStep) refused(i int) error {
	if st.old != nil && i == 0 {
		return ErrRefreshRotated
	}
	return ErrConflict
}

// RevokeFamily writes a family's revocation marker and its audit event
// (oauth.refresh_reuse_detected, oauth.code_reuse_detected, ...) in one
// transaction: every token of the family is inactive from then on (Decide),
// with no scan. A revoked family stays revoked (a second call keeps the
// first marker and writes its event).
func (s *Store) RevokeFamily(ctx context.Context, t tenant.ID, familyID, reason string, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if familyID == "" || ev.CreatedAt.IsZero() {
		return errors.New("store: family revocation without family or time")
	}
	mark := FamilyRevocation{FamilyID: familyID, At: ev.CreatedAt, Reason: reason, EventID: ev.ID}
	err = s.transact(ctx, []write{put(Item{Key: familyRevokedKey(sc, familyID), Data: marshal(mark)}, CondAbsent), auditWrite(sc, ev),
		feedWrite(sc, s.Now(), FeedEntry{Kind: FeedFamily, Family: familyID})},
		func(int) string { return "family revoked" })
	if errors.Is(err, ErrConflict) {
		// Revoked already: keep the first marker, record this event.
		return s.transact(ctx, []write{auditWrite(sc, ev)}, func(int) string { return "audit event exists" })
	}
	return err
}

// GetFamilyRevocation reads a family's revocation marker (ErrNotFound: live).
func (s *Store) GetFamilyRevocation(ctx context.Context, t tenant.ID, familyID string) (FamilyRevocation, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return FamilyRevocation{}, err
	}
	if familyID == "" {
		return FamilyRevocation{}, ErrNotFound
	}
	return get(ctx, s, familyRevokedKey(sc, familyID), setFamilyVersion)
}

package store

import (
	"context"
	"errors"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

func setGrantVersion(g *MayActGrant, v int64) { g.Version = v }

func grantItem(sc scope, g MayActGrant) Item {
	return Item{Key: mayActKey(sc, g.ID), GSI1PK: mayActFromIndex(sc, g.FromID), GSI1SK: mayActFromSK(g.ToID, g.ID), Data: marshal(g)}
}

// CreateGrant stores a may-act grant with its audit event. A taken id is ErrConflict.
func (s *Store) CreateGrant(ctx context.Context, t tenant.ID, g MayActGrant, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if g.ID == "" || g.FromID == "" || g.ToID == "" {
		return errors.New("store: grant without id, from_id or to_id")
	}
	return s.transact(ctx, []Write{put(grantItem(sc, g), CondAbsent), auditWrite(sc, ev)},
		func(int) string { return "grant " + g.ID + " exists" })
}

// GetGrant reads a may-act grant by id.
func (s *Store) GetGrant(ctx context.Context, t tenant.ID, id string) (MayActGrant, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return MayActGrant{}, err
	}
	if id == "" {
		return MayActGrant{}, ErrNotFound
	}
	return get(ctx, s, mayActKey(sc, id), setGrantVersion)
}

// FindGrants returns the tenant's grants from fromID (any when "") to toID
// (any when ""), revoked ones only when includeRevoked. Grants past their
// expiry are returned too; the caller decides (MayActGrant.ActiveAt).
func (s *Store) FindGrants(ctx context.Context, t tenant.ID, fromID, toID string, includeRevoked bool) ([]MayActGrant, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	q := Query{Partition: mayActPartition(sc)}
	if fromID != "" {
		q = Query{Index: GSI1, Partition: mayActFromIndex(sc, fromID)}
		if toID != "" {
			q.Prefix = toID + "#"
		}
	}
	grants, err := all(ctx, s, q, setGrantVersion)
	if err != nil {
		return nil, err
	}
	out := grants[:0]
	for _, g := range grants {
		if (toID == "" || g.ToID == toID) && (includeRevoked || g.RevokedAt.IsZero()) {
			out = append(out, g)
		}
	}
	return out, nil
}

// ActiveAt reports whether the grant allows acting at now.
func (g MayActGrant) ActiveAt(now time.Time) bool {
	return g.RevokedAt.IsZero() && (g.ExpiresAt.IsZero() || now.Before(g.ExpiresAt))
}

// RevokeGrant marks a grant revoked with its audit event and returns it; a
// revoked grant is returned unchanged.
func (s *Store) RevokeGrant(ctx context.Context, t tenant.ID, id string, ev AuditEvent) (MayActGrant, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return MayActGrant{}, err
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return MayActGrant{}, err
		}
		g, err := s.GetGrant(ctx, t, id)
		if err != nil {
			return MayActGrant{}, err
		}
		if !g.RevokedAt.IsZero() {
			return g, nil
		}
		g.RevokedAt = ev.CreatedAt
		err = s.transact(ctx, []Write{put(grantItem(sc, g), CondVersion(g.Version)), auditWrite(sc, ev)},
			func(int) string { return "grant changed concurrently" })
		if err == nil {
			g.Version++
			return g, nil
		}
		if !isConflict(err) {
			return MayActGrant{}, err
		}
	}
	return MayActGrant{}, contended("grant %s changed concurrently", id)
}

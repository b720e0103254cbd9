package store

import (
	"context"
	"errors"
	"fmt"
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
	return s.transact(ctx, []write{put(grantItem(sc, g), CondAbsent), auditWrite(sc, ev)},
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
		err = s.transact(ctx, []write{put(grantItem(sc, g), CondVersion(g.Version)), auditWrite(sc, ev)},
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

// SetGrants changes the grants of an agent at once (its delegation
// policies): it revokes each grant of revoke, as read (its version), and
// creates each of create, with ev, in one transaction: all of it or none.
// The agent's record, as read (its version), is written too (updated_at = the
// event's time): so two changes of one agent's grants made from the same
// read cannot both land (each would create its grants). A grant or agent
// changed since it was read, or a taken id, is ErrConflict; a lost race is
// the store's transient conflict; the caller may read again and retry.
func (s *Store) SetGrants(ctx context.Context, t tenant.ID, agent Client, revoke, create []MayActGrant, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if agent.ClientID == "" || agent.Version == 0 {
		return errors.New("store: the agent must be one read from the store")
	}
	if len(revoke)+len(create) >= MaxTransactItems-2 {
		return fmt.Errorf("store: at most %d grant changes at once", MaxTransactItems-3)
	}
	agent.UpdatedAt = ev.CreatedAt
	writes := make([]write, 0, len(revoke)+len(create)+2)
	for _, g := range revoke {
		if g.ID == "" || g.Version == 0 {
			return errors.New("store: a grant to revoke must be one read from the store")
		}
		if !g.RevokedAt.IsZero() {
			return fmt.Errorf("%w: grant %s is already revoked", ErrConflict, g.ID)
		}
		g.RevokedAt = ev.CreatedAt
		writes = append(writes, put(grantItem(sc, g), CondVersion(g.Version)))
	}
	for _, g := range create {
		if g.ID == "" || g.FromID == "" || g.ToID == "" {
			return errors.New("store: grant without id, from_id or to_id")
		}
		writes = append(writes, put(grantItem(sc, g), CondAbsent))
	}
	writes = append(writes, put(clientItem(sc, agent), CondVersion(agent.Version)), auditWrite(sc, ev))
	return s.transact(ctx, writes, func(i int) string {
		switch {
		case i < len(revoke):
			return "grant " + revoke[i].ID + " changed concurrently"
		case i < len(revoke)+len(create):
			return "grant " + create[i-len(revoke)].ID + " exists"
		case i == len(writes)-2:
			return "agent " + agent.ClientID + " changed concurrently"
		}
		return "audit event exists"
	})
}

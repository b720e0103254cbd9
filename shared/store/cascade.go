package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// cascadeBatch is how many agents one deactivation transaction changes.
const cascadeBatch = 25

func setUserRevocationVersion(m *UserRevocation, v int64) { m.Version = v }

// RevokeUserAgents writes a user's cascade marker (L3) and its audit event in
// ONE transaction; from then on every agent the user created until ev's time,
// and every token of those agents, is inactive (CheckIssuable, TokenActivity).
// The user may have more agents than a transaction holds: the caller then runs
// FinishUserRevocation, which deactivates the agent records in batches. A
// repeated call moves the marker to the later time.
func (s *Store) RevokeUserAgents(ctx context.Context, t tenant.ID, userID, reason string, ev AuditEvent) (UserRevocation, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return UserRevocation{}, err
	}
	if userID == "" || ev.CreatedAt.IsZero() {
		return UserRevocation{}, errors.New("store: cascade without user or time")
	}
	mark := UserRevocation{UserID: userID, At: ev.CreatedAt, Reason: reason, EventID: ev.ID}
	err = s.transact(ctx, []write{put(Item{Key: userRevokedKey(sc, userID), Data: marshal(mark)}, CondAlways), auditWrite(sc, ev), userFeed(sc, s.Now(), mark)},
		func(int) string { return "audit event exists" })
	if err != nil {
		return UserRevocation{}, err
	}
	return mark, nil
}

// GetUserRevocation reads a user's cascade marker.
func (s *Store) GetUserRevocation(ctx context.Context, t tenant.ID, userID string) (UserRevocation, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return UserRevocation{}, err
	}
	if userID == "" {
		return UserRevocation{}, ErrNotFound
	}
	return get(ctx, s, userRevokedKey(sc, userID), setUserRevocationVersion)
}

// FinishUserRevocation deactivates, in batches, every agent record the user
// created at or before the marker's time, and returns their ids. It is
// idempotent: an agent already deactivated at or after the marker is left as
// it is, so after a crash midway a second call finishes the job. Without a
// marker it does nothing.
func (s *Store) FinishUserRevocation(ctx context.Context, t tenant.ID, userID string) ([]Client, error) {
	mark, err := s.GetUserRevocation(ctx, t, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	agents, err := s.UserAgents(ctx, t, userID)
	if err != nil {
		return nil, err
	}
	var covered []Client
	for _, c := range agents {
		if !c.CreatedAt.After(mark.At) {
			covered = append(covered, c)
		}
	}
	for start := 0; start < len(covered); start += cascadeBatch {
		batch := covered[start:min(start+cascadeBatch, len(covered))]
		if err := s.deactivate(ctx, t, batch, mark.At, AuditEvent{}); err != nil {
			return nil, err
		}
	}
	return covered, nil
}

// deactivate makes each client inactive with every token issued up to at
// revoked (L2), in one transaction with ev when ev has an id. Clients already
// in that state are skipped; a client changed since read is re-read, a few
// times.
func (s *Store) deactivate(ctx context.Context, t tenant.ID, clients []Client, at time.Time, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var writes []write
		var entries []FeedEntry
		now := s.Now()
		for _, c := range clients {
			if !c.Active && !c.RevokedBefore.Before(at) {
				continue
			}
			cur := c
			c.Active = false
			// Deactivation also ends RFC 7592 self-management: a
			// registration access token never works again.
			c.RATHash = nil
			if c.RevokedBefore.Before(at) {
				c.RevokedBefore = at
			}
			c.UpdatedAt = at
			writes = append(writes, put(clientItem(sc, c), CondVersion(c.Version)))
			if e, ok := clientEntry(cur, c, now); ok {
				entries = append(entries, e)
			}
		}
		if len(entries) > 0 {
			// One feed item for the batch (each client's entry in it).
			writes = append(writes, feedWrite(sc, now, entries...))
		}
		if ev.ID != "" {
			writes = append(writes, auditWrite(sc, ev))
		}
		if len(writes) == 0 {
			return nil
		}
		err := s.table.Transact(ctx, writes)
		var canceled *TxCanceled
		lost := errors.As(err, &canceled) || errors.Is(err, ErrTxConflict)
		switch {
		case err == nil:
			return nil
		case !lost:
			return err
		case attempt == attempts-1:
			return contended("clients changed concurrently")
		}
		if err := settle(ctx, attempt+1); err != nil {
			return err
		}
		// Re-read the batch: one of them changed (or was deleted) since read.
		fresh := clients[:0:0]
		for _, c := range clients {
			cur, err := s.GetClient(ctx, t, c.ClientID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			fresh = append(fresh, cur)
		}
		clients = fresh
	}
}

// DeactivateClients makes the given clients (at most a transaction's worth)
// inactive with all their tokens issued until ev's time revoked, and writes ev,
// in one transaction.
func (s *Store) DeactivateClients(ctx context.Context, t tenant.ID, clients []Client, ev AuditEvent) error {
	if len(clients) >= MaxTransactItems-1 {
		return fmt.Errorf("store: at most %d clients in one change", MaxTransactItems-2)
	}
	if ev.ID == "" || ev.CreatedAt.IsZero() {
		return errors.New("store: deactivation without an audit event")
	}
	return s.deactivate(ctx, t, clients, ev.CreatedAt, ev)
}

// UserAgents returns every client a user created, newest first.
func (s *Store) UserAgents(ctx context.Context, t tenant.ID, userID string) ([]Client, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, nil
	}
	clientIDs, err := all[string](ctx, s, Query{Partition: userAgentsPartition(sc, userID)}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Client, 0, len(clientIDs))
	for _, id := range clientIDs {
		c, err := s.GetClient(ctx, t, id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Client) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ClientID, a.ClientID)
	})
	return out, nil
}

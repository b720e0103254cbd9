package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/sharkauth/serverless/shared/tenant"
)

func setClientVersion(c *Client, v int64) { c.Version = v }

func clientItem(sc scope, c Client) Item {
	return Item{
		Key:    clientKey(sc, c.ClientID),
		GSI1PK: clientIndex(sc), GSI1SK: clientIndexSK(c.CreatedAt, c.ClientID),
		Data: marshal(c),
	}
}

// CreateClient stores a new OAuth client (agent, application or registered
// client) with its audit event. A taken client_id or id is ErrConflict.
func (s *Store) CreateClient(ctx context.Context, t tenant.ID, c Client, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	if c.ClientID == "" || c.ID == "" {
		return errors.New("store: client without id or client_id")
	}
	writes := []write{
		put(clientItem(sc, c), CondAbsent),
		put(Item{Key: clientIDKey(sc, c.ID), Data: []byte(c.ClientID)}, CondAbsent),
		auditWrite(sc, ev),
	}
	if c.CreatedBy != "" {
		// The user must exist when the agent is created, and the agent is
		// listed under the user for a cascade (L3).
		writes = append(writes,
			check(userKey(sc, c.CreatedBy), CondExists),
			put(Item{Key: userAgentKey(sc, c.CreatedBy, c.ClientID), Data: marshal(c.ClientID)}, CondAlways))
	}
	err = s.table.Transact(ctx, writes)
	var canceled *TxCanceled
	switch {
	case errors.As(err, &canceled) && canceled.Index == 3:
		return fmt.Errorf("%w: %s", ErrUnknownUser, c.CreatedBy)
	case errors.As(err, &canceled) && canceled.Index == 1:
		return fmt.Errorf("%w: client id %s exists", ErrConflict, c.ID)
	case errors.As(err, &canceled):
		return fmt.Errorf("%w: client %s exists", ErrConflict, c.ClientID)
	case errors.Is(err, ErrTxConflict):
		return err // lost to a concurrent transaction: transient (503), not a conflict
	}
	return err
}

// GetClient reads a client by client_id.
func (s *Store) GetClient(ctx context.Context, t tenant.ID, clientID string) (Client, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return Client{}, err
	}
	return s.getClient(ctx, clientKey(sc, clientID))
}

// GetClientByID reads a client by its id (agent_..., app_...).
func (s *Store) GetClientByID(ctx context.Context, t tenant.ID, id string) (Client, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return Client{}, err
	}
	it, err := s.table.Get(ctx, clientIDKey(sc, id))
	if err != nil {
		return Client{}, err
	}
	return s.getClient(ctx, clientKey(sc, string(it.Data)))
}

// ListClients pages through a tenant's clients, newest first.
func (s *Store) ListClients(ctx context.Context, t tenant.ID, pr PageRequest) (ListPage[Client], error) {
	sc, err := scopeOf(t)
	if err != nil {
		return ListPage[Client]{}, err
	}
	q := Query{Index: GSI1, Partition: clientIndex(sc), Desc: true}
	return list(ctx, s, q, string(sc)+"|clients", pr, setClientVersion)
}

// UpdateClient writes c over the stored client if it is still at c.Version,
// with its audit event. A stale version is ErrConflict; an absent client is
// ErrConflict too (it was deleted since it was read). It writes no
// revocation feed item (it does not read what c replaces): a change that
// revokes (a deactivation, a revoke-all, a DPoP key) goes through
// ChangeClient or DeactivateClients, which do.
func (s *Store) UpdateClient(ctx context.Context, t tenant.ID, c Client, ev AuditEvent) (Client, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return Client{}, err
	}
	err = s.transact(ctx, []write{put(clientItem(sc, c), CondVersion(c.Version)), auditWrite(sc, ev)},
		func(int) string { return "client " + c.ClientID + " changed concurrently" })
	if err != nil {
		return Client{}, err
	}
	c.Version++
	return c, nil
}

// DeleteClient removes a client and its id pointer with its audit event. A
// client changed since it was read is ErrConflict; one deleted since, like
// one already gone, is ErrNotFound (so of two racing deletes, one succeeds
// and the other finds nothing to delete).
func (s *Store) DeleteClient(ctx context.Context, t tenant.ID, clientID string, ev AuditEvent) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	c, err := s.GetClient(ctx, t, clientID)
	if err != nil {
		return err
	}
	now := s.Now()
	writes := []write{
		del(clientKey(sc, clientID), CondVersion(c.Version)),
		del(clientIDKey(sc, c.ID), CondAlways),
		auditWrite(sc, ev),
		feedWrite(sc, now, FeedEntry{Kind: FeedClient, ClientID: clientID, Before: floorSeconds(now), BeforeMS: now.UnixMilli()}),
	}
	if c.CreatedBy != "" {
		writes = append(writes, del(userAgentKey(sc, c.CreatedBy, c.ClientID), CondAlways))
	}
	err = s.transact(ctx, writes, func(int) string { return "client " + clientID + " changed concurrently" })
	if errors.Is(err, ErrConflict) {
		if _, gerr := s.GetClient(ctx, t, clientID); errors.Is(gerr, ErrNotFound) {
			return ErrNotFound
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("delete client: %w", err)
	}
	return nil
}

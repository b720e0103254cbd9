package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// AgentFilter selects agents (clients of kind agent and dcr) for the admin list.
type AgentFilter struct {
	Search    string // case-insensitive substring of name, description, id, client_id or metadata.app_id
	Active    *bool
	CreatedBy string       // a user id
	AppID     string       // metadata.app_id
	Kinds     []ClientKind // none: the agents (ClientKind.IsAgent)
	Limit     int          // 1..MaxPageLimit; 0 means DefaultPageLimit
	Offset    int
}

// ListAgents returns one page (Limit, Offset) of the clients that pass f,
// newest first, and how many pass in all.
func (s *Store) ListAgents(ctx context.Context, t tenant.ID, f AgentFilter) ([]Client, int, error) {
	var (
		clients []Client
		err     error
	)
	if f.CreatedBy != "" {
		clients, err = s.UserAgents(ctx, t, f.CreatedBy)
	} else {
		clients, err = s.AllClients(ctx, t)
	}
	if err != nil {
		return nil, 0, err
	}
	search := strings.ToLower(f.Search)
	matched := clients[:0]
	for _, c := range clients {
		switch {
		case len(f.Kinds) == 0 && !c.Kind.IsAgent(), len(f.Kinds) > 0 && !slices.Contains(f.Kinds, c.Kind):
		case f.Active != nil && c.Active != *f.Active:
		case f.CreatedBy != "" && c.CreatedBy != f.CreatedBy:
		case f.AppID != "" && appID(c) != f.AppID:
		case search != "" && !strings.Contains(strings.ToLower(c.Name+"\x00"+c.Description+"\x00"+c.ID+"\x00"+c.ClientID+"\x00"+appID(c)), search):
		default:
			matched = append(matched, c)
		}
	}
	limit := PageRequest{Limit: f.Limit}.limit()
	total := len(matched)
	start := min(max(f.Offset, 0), total)
	return matched[start:min(start+limit, total)], total, nil
}

// appID is the application an agent names in its metadata ("" when none).
func appID(c Client) string {
	s, _ := c.Metadata["app_id"].(string)
	return s
}

// keepRevocations makes a change of a client unable to revive a token
// (DESIGN §5): its revoked-before times never move back, and a change of its
// DPoP key revokes every token issued until now, whatever key it is bound to
// (a rotation back to an earlier key included).
func keepRevocations(cur Client, next *Client, now time.Time) {
	next.RevokedBefore = later(cur.RevokedBefore, next.RevokedBefore)
	next.DPoPKeyRotatedAt = later(cur.DPoPKeyRotatedAt, next.DPoPKeyRotatedAt)
	if next.DPoPJKT != cur.DPoPJKT {
		next.DPoPKeyRotatedAt = later(next.DPoPKeyRotatedAt, now)
	}
}

// ChangeClient applies mutate to the stored client (by client_id) and writes it
// with the event ev(c) in one transaction conditioned on the version read,
// re-reading a few times when a concurrent change wins. mutate must not change
// the ids or the creator, and cannot undo a revocation (keepRevocations).
func (s *Store) ChangeClient(ctx context.Context, t tenant.ID, clientID string, mutate func(*Client) error, ev func(Client) AuditEvent) (Client, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return Client{}, err
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return Client{}, err
		}
		cur, err := s.GetClient(ctx, t, clientID)
		if err != nil {
			return Client{}, err
		}
		next := cur
		if err := mutate(&next); err != nil {
			return Client{}, err
		}
		if next.ID != cur.ID || next.ClientID != cur.ClientID || next.CreatedBy != cur.CreatedBy {
			return Client{}, fmt.Errorf("store: a client's ids and creator cannot change")
		}
		keepRevocations(cur, &next, s.Now())
		writes := append([]write{put(clientItem(sc, next), CondVersion(cur.Version)), auditWrite(sc, ev(next))}, clientFeed(sc, cur, next, s.Now())...)
		err = s.transact(ctx, writes,
			func(int) string { return "client changed concurrently" })
		if err == nil {
			next.Version = cur.Version + 1
			return next, nil
		}
		if !isConflict(err) {
			return Client{}, err
		}
	}
	return Client{}, contended("client %s changed concurrently", clientID)
}

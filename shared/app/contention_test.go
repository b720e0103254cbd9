package app_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
)

// losingTable loses every write conditioned on a version, or on absence, to
// a concurrent writer: the conditional put fails its condition, the
// transaction is canceled at its first such write. Nothing is written.
type losingTable struct{ store.Table }

func (l losingTable) Put(ctx context.Context, it store.Item, c store.Cond) (int64, error) {
	if c.Kind == store.IfVersion || c.Kind == store.IfAbsent {
		return 0, store.ErrConditionFailed
	}
	return l.Table.Put(ctx, it, c)
}

func (l losingTable) Transact(ctx context.Context, ws []store.Write) error {
	for i, w := range ws {
		if w.Op != store.OpCheck && w.Cond.Kind == store.IfVersion {
			return &store.TxCanceled{Index: i}
		}
	}
	return l.Table.Transact(ctx, ws)
}

// TestContendedWritesAnswer503 makes every update lose to a concurrent one on
// every attempt (issue 20, P6): the store gives up with ErrContended, and the
// route answers 503 temporarily_unavailable with Retry-After in its shape,
// never 500 (the OAuth routes) or 409 (the admin API), and writes nothing.
func TestContendedWritesAnswer503(t *testing.T) {
	s := newFaultStack(t)
	patch := `{"description":"contended"}`
	requests := []faultRequest{
		{name: "register (rate counters)", method: "POST", path: "/oauth/register", body: `{"client_name":"c2"}`},
		{name: "rfc7592 secret rotation", method: "POST", path: "/oauth/register/" + s.dcrClientID + "/secret", key: s.dcrRAT},
		{name: "rfc7592 update", method: "PUT", path: "/oauth/register/" + s.dcrClientID, key: s.dcrRAT,
			body: `{"client_id":"` + s.dcrClientID + `","client_name":"renamed","grant_types":["client_credentials"]}`},
		{name: "revoke", method: "POST", path: "/oauth/revoke", key: s.adminKey, body: url.Values{"token": {s.token}}.Encode()},
		{name: "agent update", method: "PATCH", path: "/api/v1/agents/" + s.agentID, key: s.adminKey, body: patch},
		{name: "agent secret rotation", method: "POST", path: "/api/v1/agents/" + s.agentID + "/rotate-secret", key: s.adminKey},
		{name: "agent delete", method: "DELETE", path: "/api/v1/agents/" + s.agentID, key: s.adminKey},
		{name: "tenant update", method: "PATCH", path: "/platform/v1/tenants/acme", key: s.platformKey, body: `{"name":"Acme 2"}`},
	}
	s.table.Table = losingTable{s.table.Table}
	for _, rq := range requests {
		t.Run(rq.name, func(t *testing.T) {
			s.table.Arm(0)
			a := s.call(rq.method, rq.path, rq.key, rq.body)
			checkUnavailable(t, rq.path, a)
			if w := s.table.Written(); len(w) > 0 {
				t.Errorf("a request that gave up wrote %v", w)
			}
		})
	}
}

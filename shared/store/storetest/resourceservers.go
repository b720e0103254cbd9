package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// resourceServer stores a resource server of tenant id.
func (e *env) resourceServer(t *testing.T, id tenant.ID, name string, resources ...string) store.Client {
	t.Helper()
	now := e.s.Now()
	c := store.Client{ID: ids.New("rs_"), ClientID: ids.New("shark_rs_"), Kind: store.KindResourceServer, Name: name,
		SecretHash: ids.Hash(ids.NewSecret()), AuthMethod: "client_secret_basic", Audiences: resources, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateResourceServer(t.Context(), id, c, rsEvent(now, "resource_server.created", c.ID)); err != nil {
		t.Fatalf("create resource server: %v", err)
	}
	c.Version = 1
	return c
}

// domainResourceServers checks the resource server methods: each write
// lands with its event, a client of another kind is not a resource server,
// a resource server is never an agent and never given grant types, and a
// pattern revocation does not touch it.
func domainResourceServers(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "tenant-a")
	agent := e.client(t, a.id, "an-agent")
	rs := e.resourceServer(t, a.id, "mcp", "https://mcp.example.com")

	t.Run("create writes its event; get by id and client_id; listed alone", func(t *testing.T) {
		if _, err := e.s.GetAuditEvent(ctx, a.id, mustEventFor(t, e, a.id, rs.ID).ID); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{rs.ID, rs.ClientID} {
			got, err := e.s.GetResourceServer(ctx, a.id, key)
			if err != nil || got.ClientID != rs.ClientID || got.Audiences[0] != "https://mcp.example.com" {
				t.Fatalf("get %s: %+v %v", key, got, err)
			}
		}
		list, err := e.s.ListResourceServers(ctx, a.id)
		if err != nil || len(list) != 1 || list[0].ID != rs.ID {
			t.Fatalf("list: %+v %v", list, err)
		}
		agents, _, err := e.s.ListAgents(ctx, a.id, store.AgentFilter{})
		if err != nil || len(agents) != 1 || agents[0].ID != agent.ID {
			t.Fatalf("a resource server is listed as an agent: %+v %v", agents, err)
		}
	})
	t.Run("a client of another kind is no resource server", func(t *testing.T) {
		_, err := e.s.GetResourceServer(ctx, a.id, agent.ID)
		wantErr(t, "get an agent", err, store.ErrNotFound)
		_, err = e.s.ChangeResourceServer(ctx, a.id, agent.ClientID, func(c *store.Client) error { c.Name = "x"; return nil },
			func(store.Client) store.AuditEvent { return rsEvent(e.s.Now(), "resource_server.updated", agent.ID) })
		wantErr(t, "change an agent", err, store.ErrNotFound)
		wantErr(t, "delete an agent", e.s.DeleteResourceServer(ctx, a.id, agent.ID, rsEvent(e.s.Now(), "resource_server.deleted", agent.ID)), store.ErrNotFound)
		if got, err := e.s.GetClient(ctx, a.id, agent.ClientID); err != nil || got.Name != "an-agent" {
			t.Fatalf("the agent changed: %+v %v", got, err)
		}
		bad := rs
		bad.ID, bad.ClientID, bad.Kind = ids.New("rs_"), ids.New("shark_rs_"), store.KindAgent
		wantErr(t, "create of another kind", e.s.CreateResourceServer(ctx, a.id, bad, rsEvent(e.s.Now(), "resource_server.created", bad.ID)), store.ErrNotResourceServer)
		bad.Kind, bad.GrantTypes = store.KindResourceServer, []string{"client_credentials"}
		if err := e.s.CreateResourceServer(ctx, a.id, bad, rsEvent(e.s.Now(), "resource_server.created", bad.ID)); err == nil {
			t.Fatal("a resource server with grant types was stored")
		}
		if _, err := e.s.GetClient(ctx, a.id, bad.ClientID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused create wrote the client: %v", err)
		}
	})
	t.Run("change keeps the kind and writes its event", func(t *testing.T) {
		ev := rsEvent(e.s.Now(), "resource_server.updated", rs.ID)
		got, err := e.s.ChangeResourceServer(ctx, a.id, rs.ID, func(c *store.Client) error {
			c.Audiences = append(c.Audiences, "https://api.example.com")
			return nil
		}, func(store.Client) store.AuditEvent { return ev })
		if err != nil || len(got.Audiences) != 2 {
			t.Fatalf("change: %+v %v", got, err)
		}
		if _, err := e.s.GetAuditEvent(ctx, a.id, ev.ID); err != nil {
			t.Fatalf("the change's event: %v", err)
		}
		_, err = e.s.ChangeResourceServer(ctx, a.id, rs.ID, func(c *store.Client) error {
			c.GrantTypes = []string{"client_credentials"}
			return nil
		}, func(store.Client) store.AuditEvent { return rsEvent(e.s.Now(), "resource_server.updated", rs.ID) })
		if err == nil {
			t.Fatal("a resource server was given a grant type")
		}
		if cur, _ := e.s.GetResourceServer(ctx, a.id, rs.ID); len(cur.GrantTypes) != 0 {
			t.Fatalf("grant types written: %v", cur.GrantTypes)
		}
	})
	t.Run("a pattern revocation does not deactivate it", func(t *testing.T) {
		cs, err := e.s.ClientsMatching(ctx, a.id, "*")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Kind == store.KindResourceServer {
				t.Fatalf("ClientsMatching(*) returned the resource server %s", c.ID)
			}
		}
	})
	t.Run("delete writes its event; a second delete is not found", func(t *testing.T) {
		ev := rsEvent(e.s.Now(), "resource_server.deleted", rs.ID)
		if err := e.s.DeleteResourceServer(ctx, a.id, rs.ID, ev); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GetAuditEvent(ctx, a.id, ev.ID); err != nil {
			t.Fatalf("the delete's event: %v", err)
		}
		_, err := e.s.GetResourceServer(ctx, a.id, rs.ClientID)
		wantErr(t, "get after delete", err, store.ErrNotFound)
		wantErr(t, "second delete", e.s.DeleteResourceServer(ctx, a.id, rs.ID, ev), store.ErrNotFound)
	})
}

// mustEventFor finds the (first) audit event whose target is target.
func mustEventFor(t *testing.T, e *env, id tenant.ID, target string) store.AuditEvent {
	t.Helper()
	page, err := e.s.ListAuditEvents(t.Context(), id, store.AuditFilter{TargetID: target}, store.PageRequest{})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("no audit event for %s: %v", target, err)
	}
	return page.Items[0]
}

// rsEvent is an audit event with a readable id (GetAuditEvent parses it).
func rsEvent(at time.Time, name, target string) store.AuditEvent {
	ev := event(at, name, target)
	ev.ID = store.NewAuditID(at, 1)
	return ev
}

// domainUseMarks checks UseMarks: a fresh mark is recorded, a used one is
// ErrReplay and records nothing else, in its tenant only.
func domainUseMarks(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "tenant-a")
	b := e.create(t, "tenant-b")
	until := e.s.Now().Add(time.Minute)
	m1 := store.ReplayMark{Kind: "assertion", Value: "c|1", Until: until}
	m2 := store.ReplayMark{Kind: "assertion", Value: "c|2", Until: until}
	if err := e.s.UseMarks(ctx, a.id, []store.ReplayMark{m1}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "the same mark again", e.s.UseMarks(ctx, a.id, []store.ReplayMark{m1}), store.ErrReplay)
	wantErr(t, "a used mark with a fresh one", e.s.UseMarks(ctx, a.id, []store.ReplayMark{m2, m1}), store.ErrReplay)
	if err := e.s.UseMarks(ctx, a.id, []store.ReplayMark{m2}); err != nil {
		t.Fatalf("the fresh mark of a refused call was recorded: %v", err)
	}
	if err := e.s.UseMarks(ctx, b.id, []store.ReplayMark{m1}); err != nil {
		t.Fatalf("tenant A's mark is used in tenant B: %v", err)
	}
	wantErr(t, "without a tenant", e.s.UseMarks(ctx, tenant.ID{}, []store.ReplayMark{m1}), store.ErrNoTenant)
}

package storetest

import (
	"slices"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// domainGrantSets is SetGrants (an agent's delegation policies): revocations
// and creations land with their event at once, or none of them does; two
// changes made from the same read of the agent cannot both land; and a grant
// of another tenant cannot be revoked through it.
func domainGrantSets(t *testing.T, e *env) {
	ctx := t.Context()
	a, b := e.create(t, "set-a"), e.create(t, "set-b")
	agentA := e.client(t, a.id, "policy holder")
	agent := func(t *testing.T, fx fixture, c store.Client) store.Client {
		t.Helper()
		x, err := e.s.GetClient(ctx, fx.id, c.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	now := e.s.Now()
	g := func(to string) store.MayActGrant {
		return store.MayActGrant{ID: ids.New("mag_"), FromID: "agent_p", ToID: to, MaxHops: 1, Scopes: []string{"mcp:read"}, CreatedAt: now}
	}
	live := func(t *testing.T, fx fixture) []string {
		t.Helper()
		gs, err := e.s.FindGrants(ctx, fx.id, "agent_p", "", false)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range gs {
			out = append(out, x.ToID)
		}
		slices.Sort(out)
		return out
	}
	hasEvent := func(t *testing.T, fx fixture, id string) bool {
		t.Helper()
		evs, err := e.s.AuditEventsOn(ctx, fx.id, now)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(evs, func(ev store.AuditEvent) bool { return ev.ID == id })
	}
	read := func(t *testing.T, fx fixture, id string) store.MayActGrant {
		t.Helper()
		x, err := e.s.GetGrant(ctx, fx.id, id)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}

	first := g("shark_agent_one")
	ev := event(now, "agent.policies_updated", "agent_p")
	if err := e.s.SetGrants(ctx, a.id, agent(t, a, agentA), nil, []store.MayActGrant{first}, ev); err != nil {
		t.Fatal(err)
	}
	if got := live(t, a); !slices.Equal(got, []string{"shark_agent_one"}) || !hasEvent(t, a, ev.ID) {
		t.Fatalf("create: live %v", got)
	}

	// Replace: the old one revoked, two new ones, one event.
	old := read(t, a, first.ID)
	two, three := g("shark_agent_two"), g("shark_agent_three")
	ev = event(now, "agent.policies_updated", "agent_p")
	if err := e.s.SetGrants(ctx, a.id, agent(t, a, agentA), []store.MayActGrant{old}, []store.MayActGrant{two, three}, ev); err != nil {
		t.Fatal(err)
	}
	if got := live(t, a); !slices.Equal(got, []string{"shark_agent_three", "shark_agent_two"}) || !hasEvent(t, a, ev.ID) {
		t.Fatalf("replace: live %v", got)
	}
	if r := read(t, a, first.ID); r.RevokedAt.IsZero() || r.ActiveAt(now) {
		t.Fatalf("replaced grant still live: %+v", r)
	}
	if x := agent(t, a, agentA); !x.UpdatedAt.Equal(ev.CreatedAt) || x.Name != agentA.Name {
		t.Fatalf("the agent record after a set: %+v", x)
	}

	// Nothing is written when any part fails.
	cur := read(t, a, two.ID)
	held := agent(t, a, agentA)
	staleAgent := held
	staleAgent.Version--
	stale := cur
	stale.Version++ // not the version stored
	for _, c := range []struct {
		name           string
		agent          store.Client
		revoke, create []store.MayActGrant
	}{
		{"stale grant version", held, []store.MayActGrant{stale}, []store.MayActGrant{g("shark_agent_four")}},
		{"taken id", held, []store.MayActGrant{cur}, []store.MayActGrant{three}},
		{"already revoked", held, []store.MayActGrant{read(t, a, first.ID)}, []store.MayActGrant{g("shark_agent_four")}},
		// Another change of the agent's grants landed since this one's read.
		{"stale agent version", staleAgent, nil, []store.MayActGrant{g("shark_agent_four")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := event(now, "agent.policies_updated", "agent_p")
			wantErr(t, c.name, e.s.SetGrants(ctx, a.id, c.agent, c.revoke, c.create, ev), store.ErrConflict)
			if got := live(t, a); !slices.Equal(got, []string{"shark_agent_three", "shark_agent_two"}) || hasEvent(t, a, ev.ID) {
				t.Fatalf("a refused set wrote: live %v", got)
			}
		})
	}

	// Tenant B cannot revoke A's grant (read in A) through its own scope.
	ev = event(now, "agent.policies_updated", "agent_p")
	wantErr(t, "another tenant's grant", e.s.SetGrants(ctx, b.id, held, []store.MayActGrant{cur}, nil, ev), store.ErrConflict)
	if r := read(t, a, two.ID); !r.ActiveAt(now) || hasEvent(t, b, ev.ID) || len(live(t, b)) != 0 {
		t.Fatal("tenant B's set reached tenant A")
	}

	// Unreadable input is refused before any write.
	if err := e.s.SetGrants(ctx, a.id, held, []store.MayActGrant{g("x")}, nil, event(now, "x", "x")); err == nil {
		t.Fatal("a grant never read was revoked")
	}
	if err := e.s.SetGrants(ctx, a.id, held, nil, []store.MayActGrant{{ID: "mag_x"}}, event(now, "x", "x")); err == nil {
		t.Fatal("a grant without ends was stored")
	}
	if err := e.s.SetGrants(ctx, a.id, store.Client{ClientID: agentA.ClientID}, nil, []store.MayActGrant{g("y")}, event(now, "x", "x")); err == nil {
		t.Fatal("a set with an agent never read was written")
	}
	if got := live(t, a); !slices.Equal(got, []string{"shark_agent_three", "shark_agent_two"}) {
		t.Fatalf("refused input wrote: %v", got)
	}

	// The same read of the agent serves one change only.
	ev = event(now, "agent.policies_updated", "agent_p")
	if err := e.s.SetGrants(ctx, a.id, held, nil, []store.MayActGrant{g("shark_agent_five")}, ev); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "second change from one read", e.s.SetGrants(ctx, a.id, held, nil, []store.MayActGrant{g("shark_agent_six")}, event(now, "x", "x")), store.ErrConflict)
	if got := live(t, a); !slices.Equal(got, []string{"shark_agent_five", "shark_agent_three", "shark_agent_two"}) {
		t.Fatalf("after two changes from one read: %v", got)
	}
}

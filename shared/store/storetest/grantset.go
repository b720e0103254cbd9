package storetest

import (
	"slices"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// domainGrantSets is SetGrants (an agent's delegation policies): revocations
// and creations land with their event at once, or none of them does, and a
// grant of another tenant cannot be revoked through it.
func domainGrantSets(t *testing.T, e *env) {
	ctx := t.Context()
	a, b := e.create(t, "set-a"), e.create(t, "set-b")
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
	if err := e.s.SetGrants(ctx, a.id, nil, []store.MayActGrant{first}, ev); err != nil {
		t.Fatal(err)
	}
	if got := live(t, a); !slices.Equal(got, []string{"shark_agent_one"}) || !hasEvent(t, a, ev.ID) {
		t.Fatalf("create: live %v", got)
	}

	// Replace: the old one revoked, two new ones, one event.
	old := read(t, a, first.ID)
	two, three := g("shark_agent_two"), g("shark_agent_three")
	ev = event(now, "agent.policies_updated", "agent_p")
	if err := e.s.SetGrants(ctx, a.id, []store.MayActGrant{old}, []store.MayActGrant{two, three}, ev); err != nil {
		t.Fatal(err)
	}
	if got := live(t, a); !slices.Equal(got, []string{"shark_agent_three", "shark_agent_two"}) || !hasEvent(t, a, ev.ID) {
		t.Fatalf("replace: live %v", got)
	}
	if r := read(t, a, first.ID); r.RevokedAt.IsZero() || r.ActiveAt(now) {
		t.Fatalf("replaced grant still live: %+v", r)
	}

	// Nothing is written when any part fails.
	cur := read(t, a, two.ID)
	stale := cur
	stale.Version++ // not the version stored
	for _, c := range []struct {
		name           string
		revoke, create []store.MayActGrant
	}{
		{"stale version", []store.MayActGrant{stale}, []store.MayActGrant{g("shark_agent_four")}},
		{"taken id", []store.MayActGrant{cur}, []store.MayActGrant{three}},
		{"already revoked", []store.MayActGrant{read(t, a, first.ID)}, []store.MayActGrant{g("shark_agent_four")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := event(now, "agent.policies_updated", "agent_p")
			wantErr(t, c.name, e.s.SetGrants(ctx, a.id, c.revoke, c.create, ev), store.ErrConflict)
			if got := live(t, a); !slices.Equal(got, []string{"shark_agent_three", "shark_agent_two"}) || hasEvent(t, a, ev.ID) {
				t.Fatalf("a refused set wrote: live %v", got)
			}
		})
	}

	// Tenant B cannot revoke A's grant (read in A) through its own scope.
	ev = event(now, "agent.policies_updated", "agent_p")
	wantErr(t, "another tenant's grant", e.s.SetGrants(ctx, b.id, []store.MayActGrant{cur}, nil, ev), store.ErrConflict)
	if r := read(t, a, two.ID); !r.ActiveAt(now) || hasEvent(t, b, ev.ID) || len(live(t, b)) != 0 {
		t.Fatal("tenant B's set reached tenant A")
	}

	// Unreadable input is refused before any write.
	if err := e.s.SetGrants(ctx, a.id, []store.MayActGrant{g("x")}, nil, event(now, "x", "x")); err == nil {
		t.Fatal("a grant never read was revoked")
	}
	if err := e.s.SetGrants(ctx, a.id, nil, []store.MayActGrant{{ID: "mag_x"}}, event(now, "x", "x")); err == nil {
		t.Fatal("a grant without ends was stored")
	}
}

package storetest

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
)

// revocationEdges: the agent-wide layer and the user cascade at their edges
// (run within the Revocation tier).
func revocationEdges(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "edges")

	t.Run("deactivating an inactive agent moves its revoke-all time forward", func(t *testing.T) {
		c := e.client(t, fx.id, "twice")
		deactivate(t, e, fx.id, c)
		first, _ := e.s.GetClient(ctx, fx.id, c.ClientID)
		// A container that still saw the agent active issued this after the
		// first deactivation.
		late := e.tokenWith(t, fx.id, c, func(*store.TokenRecord) {})
		e.clock.Advance(time.Millisecond)
		deactivate(t, e, fx.id, c)
		second, _ := e.s.GetClient(ctx, fx.id, c.ClientID)
		if !second.RevokedBefore.After(first.RevokedBefore) {
			t.Fatalf("revoke-all time %v, not moved past %v", second.RevokedBefore, first.RevokedBefore)
		}
		if _, err := e.s.ChangeClient(ctx, fx.id, c.ClientID, func(x *store.Client) error { x.Active = true; return nil },
			func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", x.ClientID) }); err != nil {
			t.Fatal(err)
		}
		if a, err := e.s.TokenActivity(ctx, fx.id, late.JTI); err != nil || a.Active {
			t.Fatalf("re-activation revived a token issued between two deactivations: %+v %v", a, err)
		}
	})

	t.Run("a cascade over exactly the transaction limit of agents finishes in batches", func(t *testing.T) {
		u := e.user(t, fx.id, "limit@example.com")
		for i := range store.MaxTransactItems {
			e.agentOf(t, fx.id, "limit-"+string(rune('a'+i%26)), u.ID)
		}
		cascadeUser(t, e, fx.id, u.ID)
		done, err := e.s.FinishUserRevocation(ctx, fx.id, u.ID)
		if err != nil {
			t.Fatalf("cascade of %d agents: %v", store.MaxTransactItems, err)
		}
		if len(done) != store.MaxTransactItems {
			t.Fatalf("%d agents deactivated, want %d", len(done), store.MaxTransactItems)
		}
		agents, err := e.s.UserAgents(ctx, fx.id, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range agents {
			if c.Active {
				t.Fatalf("agent %s still active after the cascade", c.ClientID)
			}
		}
	})
}

package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
)

// domainCascade revokes a user with 250 agents: one call makes every token of
// every agent inactive at once; the batches then deactivate the records, and
// a crash midway is finished by a retry.
func domainCascade(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	u := e.user(t, fx.id, "many@example.com")
	bystander := e.client(t, fx.id, "bystander")
	keep := e.token(t, fx.id, bystander, time.Hour, "")
	n := e.opts.CascadeAgents
	var tokens []string
	for i := range n {
		c := e.agentOf(t, fx.id, fmt.Sprintf("agent-%03d", i), u.ID)
		tokens = append(tokens, e.token(t, fx.id, c, time.Hour, "").JTI)
	}
	// The marker: one transaction of two writes, whatever the number of agents.
	e.f.Arm(0)
	mark, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "offboarded", event(e.s.Now(), "user.agents_revoked", u.ID))
	if err != nil || e.f.Calls != 1 {
		t.Fatalf("marker: %v after %d calls", err, e.f.Calls)
	}
	for _, jti := range tokens {
		if a, err := e.s.TokenActivity(ctx, fx.id, jti); err != nil || a.Active {
			t.Fatalf("token %s active after the marker: %+v %v", jti, a, err)
		}
	}
	if a, _ := e.s.TokenActivity(ctx, fx.id, keep.JTI); !a.Active {
		t.Fatalf("a bystander's token was revoked: %+v", a)
	}
	// A crash in the middle of the batches, then a retry that finishes.
	// Calls: the marker, the pointer page, n client reads, then one transaction
	// per batch of 25: a batch in the middle fails (the fifth of 250's ten).
	crashAt := (n+24)/25/2 + 1
	e.f.Arm(n + 2 + crashAt)
	if _, err := e.s.FinishUserRevocation(ctx, fx.id, u.ID); !errors.Is(err, tabletest.ErrInjected) {
		t.Fatalf("want the injected crash, got %v", err)
	}
	e.f.Arm(0)
	done, err := e.s.FinishUserRevocation(ctx, fx.id, u.ID)
	if err != nil || len(done) != n {
		t.Fatalf("retry: %d %v", len(done), err)
	}
	agents, err := e.s.UserAgents(ctx, fx.id, u.ID)
	if err != nil || len(agents) != n {
		t.Fatalf("agents: %d %v", len(agents), err)
	}
	for _, c := range agents {
		if c.Active || c.RevokedBefore.Before(mark.At) {
			t.Fatalf("agent %s not deactivated: %+v", c.ID, c)
		}
		if err := e.s.CheckIssuable(ctx, fx.id, c); !errors.Is(err, store.ErrClientInactive) {
			t.Fatalf("agent %s still issuable: %v", c.ID, err)
		}
	}
	// A third run changes nothing (idempotent): reads only, no write.
	e.f.Arm(0)
	if _, err := e.s.FinishUserRevocation(ctx, fx.id, u.ID); err != nil || e.f.Calls != n+2 {
		t.Fatalf("third run: %v after %d calls", err, e.f.Calls)
	}
	evs, _ := e.s.AuditEventsOn(ctx, fx.id, e.s.Now())
	count := 0
	for _, ev := range evs {
		if ev.Event == "user.agents_revoked" {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("%d user.agents_revoked events", count)
	}
}

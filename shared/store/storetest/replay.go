package storetest

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// domainReplay checks SpendMarks (issue 20 P9): a refused request spends its
// verified DPoP proof and client assertion in one call, so IssueToken sees
// them as replays; marks already spent are no error and keep their expiry;
// marks are per tenant; nothing is written when the call fails.
func domainReplay(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "replay-a")
	other := e.create(t, "replay-b")
	c := e.client(t, fx.id, "agent")
	// issue is IssueToken with marks: ErrReplay when one is spent.
	issue := func(in fixture, marks ...store.ReplayMark) error {
		now := e.s.Now()
		rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		return e.s.IssueToken(ctx, in.id, store.Issuance{Token: rec, Marks: marks, Event: event(now, "oauth.token_issued", c.ClientID)})
	}
	now := e.s.Now()
	proof := store.ReplayMark{Kind: "dpop", Value: "jkt|proof-1", Until: now.Add(2 * time.Minute)}
	assertion := store.ReplayMark{Kind: "assertion", Value: "client|jti-1", Until: now.Add(10 * time.Minute)}

	t.Run("spent marks are replays at issue", func(t *testing.T) {
		if err := e.s.SpendMarks(ctx, fx.id, []store.ReplayMark{proof, assertion}); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "spent proof", issue(fx, proof), store.ErrReplay)
		wantErr(t, "spent assertion", issue(fx, assertion), store.ErrReplay)
		if err := issue(other, proof, assertion); err != nil {
			t.Fatalf("another tenant's marks: %v", err)
		}
	})
	t.Run("spending spent marks is no error", func(t *testing.T) {
		fresh := store.ReplayMark{Kind: "dpop", Value: "jkt|proof-2", Until: now.Add(time.Minute)}
		for _, marks := range [][]store.ReplayMark{{proof}, {proof, assertion}, {assertion, fresh}, {fresh, proof}} {
			if err := e.s.SpendMarks(ctx, fx.id, marks); err != nil {
				t.Fatalf("spend %v again: %v", marks, err)
			}
		}
		wantErr(t, "fresh mark spent beside a spent one", issue(fx, fresh), store.ErrReplay)
	})
	t.Run("a later spend never shortens a mark", func(t *testing.T) {
		short := assertion
		short.Until = now.Add(time.Minute)
		if err := e.s.SpendMarks(ctx, fx.id, []store.ReplayMark{short}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(3 * time.Minute)
		wantErr(t, "assertion after the shorter expiry", issue(fx, assertion), store.ErrReplay)
		if err := issue(fx, proof); err != nil {
			t.Fatalf("proof mark past its expiry: %v", err)
		}
	})
	t.Run("nothing, or an invalid mark", func(t *testing.T) {
		if err := e.s.SpendMarks(ctx, fx.id, nil); err != nil {
			t.Fatalf("no marks: %v", err)
		}
		if err := e.s.SpendMarks(ctx, fx.id, []store.ReplayMark{{Kind: "dpop", Value: "v"}}); err == nil {
			t.Fatal("a mark without expiry was accepted")
		}
	})
	t.Run("one call, and nothing written when it fails", func(t *testing.T) {
		m := []store.ReplayMark{{Kind: "dpop", Value: "jkt|proof-3", Until: e.s.Now().Add(time.Minute)},
			{Kind: "assertion", Value: "client|jti-3", Until: e.s.Now().Add(time.Minute)}}
		e.f.Arm(1)
		if err := e.s.SpendMarks(ctx, fx.id, m); err == nil {
			t.Fatal("a failed call was not reported")
		}
		e.f.Arm(0)
		if err := issue(fx, m...); err != nil {
			t.Fatalf("a failed spend wrote marks: %v", err)
		}
		m[0].Value, m[1].Value = "jkt|proof-4", "client|jti-4"
		e.f.Arm(0)
		if err := e.s.SpendMarks(ctx, fx.id, m); err != nil {
			t.Fatal(err)
		}
		if e.f.Calls != 1 {
			t.Fatalf("spending two fresh marks took %d calls, want 1", e.f.Calls)
		}
	})
}

package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// domainIssuance checks IssueToken's plan (store.Issuance): the token, the
// request's replay marks, the grant's steps and the audit event commit in
// one transaction or not at all, and a failing step answers its own error
// whatever its position. Steps are how a code's single use and a refresh
// token's rotation will join the token's transaction; a replay mark is the
// step every engine serves today.
func domainIssuance(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "issuance")
	c := e.client(t, fx.id, "agent")
	type plan struct {
		marks, steps []store.ReplayMark
	}
	issue := func(p plan) (store.Issuance, error) {
		now := e.s.Now()
		is := store.Issuance{
			Token: store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)},
			Marks: p.marks,
			Event: auditEvent(now, store.DefaultAuditShards, "oauth.token_issued", c.ClientID, c.ID),
		}
		for _, s := range p.steps {
			is.Steps = append(is.Steps, s)
		}
		return is, e.s.IssueToken(ctx, fx.id, is)
	}
	written := func(t *testing.T, is store.Issuance) bool {
		t.Helper()
		_, terr := e.s.GetToken(ctx, fx.id, is.Token.JTI)
		_, eerr := e.s.GetAuditEvent(ctx, fx.id, is.Event.ID)
		switch {
		case terr == nil && eerr == nil:
			return true
		case errors.Is(terr, store.ErrNotFound) && errors.Is(eerr, store.ErrNotFound):
			return false
		}
		t.Fatalf("token %v, event %v: one without the other", terr, eerr)
		return false
	}
	now := e.s.Now()
	mark := func(v string) store.ReplayMark {
		return store.ReplayMark{Kind: "code", Value: v, Until: now.Add(time.Hour)}
	}

	t.Run("token, marks, steps and event in one write", func(t *testing.T) {
		is, err := issue(plan{marks: []store.ReplayMark{mark("m1")}, steps: []store.ReplayMark{mark("s1"), mark("s2")}})
		if err != nil || !written(t, is) {
			t.Fatalf("issue: %v", err)
		}
	})
	for _, tc := range []struct {
		name string
		p    plan
	}{
		{"a used step", plan{steps: []store.ReplayMark{mark("s1")}}},
		{"a used step after fresh marks and steps", plan{marks: []store.ReplayMark{mark("m2")}, steps: []store.ReplayMark{mark("s3"), mark("s2")}}},
		{"a used mark before fresh steps", plan{marks: []store.ReplayMark{mark("m1")}, steps: []store.ReplayMark{mark("s4")}}},
	} {
		t.Run(tc.name+" refuses the whole issue", func(t *testing.T) {
			is, err := issue(tc.p)
			wantErr(t, tc.name, err, store.ErrReplay)
			if written(t, is) {
				t.Fatal("a refused issue wrote its token and event")
			}
		})
	}
	t.Run("nothing of a refused issue was consumed", func(t *testing.T) {
		is, err := issue(plan{marks: []store.ReplayMark{mark("m2")}, steps: []store.ReplayMark{mark("s3"), mark("s4")}})
		if err != nil || !written(t, is) {
			t.Fatalf("the fresh values of refused issues: %v", err)
		}
	})
}

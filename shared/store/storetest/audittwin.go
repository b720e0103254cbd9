package storetest

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
)

// domainAuditTwins: the event that creates a thing whose id is the event's
// twin (store.TwinID: a token's oauth.token_issued event and the token's
// jti) is found through that id, as target or involving, like any event with
// a target, for the whole retention (long after the token expired), within
// the filter's times, events and cursor, in one tenant only.
func domainAuditTwins(t *testing.T, e *env) {
	ctx := t.Context()
	e = e.sub()
	fx := e.create(t, "aud-twin")
	other := e.create(t, "aud-twin-b")
	now := e.s.Now().Truncate(time.Millisecond)
	issue := func(at time.Time, actor string) (store.AuditEvent, string) {
		jti, id, evAt := store.NewTokenIDs(at, 8)
		ev := auditEvent(evAt, 8, "oauth.token_issued", actor, jti)
		ev.ID, ev.TargetType = id, "token"
		return ev, jti
	}
	issued, jti := issue(now, "client-a")
	second, jti2 := issue(now, "client-a")
	revoked := auditEvent(now.Add(time.Second), 8, "oauth.token_revoked", "admin", jti)
	revoked.TargetType = "token"
	unrelated := auditEvent(now, 8, "agent.updated", "admin", "agent-1")
	if jti == "" || jti == issued.ID || jti == jti2 {
		t.Fatalf("twin ids: %q %q of %q", jti, jti2, issued.ID)
	}
	if err := e.s.RecordAuditEvents(ctx, fx.id, issued, second, revoked, unrelated); err != nil {
		t.Fatal(err)
	}
	_, neverJTI := issue(now, "client-a") // never recorded
	cases := []struct {
		name string
		f    store.AuditFilter
		want []store.AuditEvent // newest first
	}{
		{"target: the issue event and the later revocation", store.AuditFilter{TargetID: jti}, []store.AuditEvent{revoked, issued}},
		{"involving", store.AuditFilter{Involving: jti}, []store.AuditEvent{revoked, issued}},
		{"target and event name", store.AuditFilter{TargetID: jti, Events: []string{"oauth.token_issued"}}, []store.AuditEvent{issued}},
		{"target and target type", store.AuditFilter{TargetID: jti, TargetType: "agent"}, nil},
		{"target, from after the issue", store.AuditFilter{TargetID: jti, From: now.Add(time.Second)}, []store.AuditEvent{revoked}},
		{"target, to before the revocation", store.AuditFilter{TargetID: jti, To: now}, []store.AuditEvent{issued}},
		{"target, to before the issue", store.AuditFilter{TargetID: jti, To: now.Add(-time.Nanosecond)}, nil},
		{"target and actor", store.AuditFilter{TargetID: jti, ActorID: "client-a"}, []store.AuditEvent{issued}},
		{"the other token", store.AuditFilter{TargetID: jti2}, []store.AuditEvent{second}},
		{"a jti never issued", store.AuditFilter{TargetID: neverJTI}, nil},
		{"an event id is not a target", store.AuditFilter{TargetID: issued.ID}, nil},
	}
	check := func(t *testing.T, s *store.Store, f store.AuditFilter, limit int, want []store.AuditEvent) {
		t.Helper()
		got, _ := walk(t, s, fx.id, f, limit)
		if len(got) != len(want) {
			t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].TargetID != want[i].TargetID || got[i].Event != want[i].Event {
				t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, e.s, tc.f, 1, tc.want)
			check(t, e.s, tc.f, 50, tc.want)
		})
	}
	t.Run("another tenant does not see it", func(t *testing.T) {
		got, _ := walk(t, e.s, other.id, store.AuditFilter{TargetID: jti}, 50)
		if len(got) != 0 {
			t.Fatalf("tenant b: %+v", got)
		}
	})
	t.Run("found for the whole retention, gone after it", func(t *testing.T) {
		e.clock.Advance(30 * 24 * time.Hour) // far past any token's exp
		check(t, e.s, store.AuditFilter{TargetID: jti}, 1, []store.AuditEvent{revoked, issued})
		e.clock.Advance(61 * 24 * time.Hour)
		check(t, e.s, store.AuditFilter{TargetID: jti}, 50, nil)
	})
}

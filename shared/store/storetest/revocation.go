package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// domainRevocation: revocation is never reversible and reaches delegated
// tokens (DESIGN §5). A token obtained by exchange dies with its subject and
// with every actor of its chain (each client layer applied to each); a
// re-enabled tenant and a DPoP key rotated back revive nothing; a
// revocation at an instant covers what was issued (or created) at that very
// instant; and the list read (TokenActivities) decides as TokenActivity does.
func domainRevocation(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")

	// delegated issues a token to actor obtained from subject's token, as the
	// exchange records it.
	delegated := func(t *testing.T, subject, actor store.Client) store.TokenRecord {
		t.Helper()
		subj := e.token(t, fx.id, subject, time.Hour, "")
		return e.tokenWith(t, fx.id, actor, func(r *store.TokenRecord) {
			r.Subject, r.GrantType, r.Delegation = subject.ClientID, "urn:ietf:params:oauth:grant-type:token-exchange", store.DelegationOf(subj, actor.ClientID)
		})
	}
	check := func(t *testing.T, jti, reason string) {
		t.Helper()
		a, err := e.s.TokenActivity(ctx, fx.id, jti)
		if err != nil {
			t.Fatal(err)
		}
		if a.Active != (reason == "") || a.Reason != reason {
			t.Fatalf("activity: active=%v reason=%q party=%q, want reason %q", a.Active, a.Reason, a.Party, reason)
		}
	}

	t.Run("a delegated token dies with its subject and its actors", func(t *testing.T) {
		cases := []struct {
			name   string
			revoke func(t *testing.T, subject, actor, first store.Client)
			reason string
		}{
			{"none", func(*testing.T, store.Client, store.Client, store.Client) {}, ""},
			{"subject deactivated", func(t *testing.T, s, _, _ store.Client) { deactivate(t, e, fx.id, s) }, store.ReasonClientInactive},
			{"subject deleted", func(t *testing.T, s, _, _ store.Client) {
				if err := e.s.DeleteClient(ctx, fx.id, s.ClientID, event(e.s.Now(), "oauth.client_deleted", s.ClientID)); err != nil {
					t.Fatal(err)
				}
			}, store.ReasonClientInactive},
			{"subject revoke-all", func(t *testing.T, s, _, _ store.Client) { revokeAll(t, e, fx.id, s) }, store.ReasonClientRevoked},
			{"subject's user cascade", func(t *testing.T, s, _, _ store.Client) { cascadeUser(t, e, fx.id, s.CreatedBy) }, store.ReasonUserRevoked},
			{"subject's DPoP key rotated", func(t *testing.T, s, _, _ store.Client) { setJKT(t, e, fx.id, s, "subject-new") }, store.ReasonDPoPKeyRotated},
			{"subject by pattern", func(t *testing.T, s, _, _ store.Client) {
				if _, err := e.s.RevokePattern(ctx, fx.id, s.ClientID, event(e.s.Now(), "oauth.tokens_bulk_revoked", "p")); err != nil {
					t.Fatal(err)
				}
			}, store.ReasonPatternRevoked},
			{"actor revoke-all", func(t *testing.T, _, a, _ store.Client) { revokeAll(t, e, fx.id, a) }, store.ReasonClientRevoked},
			{"actor's user cascade", func(t *testing.T, _, a, _ store.Client) { cascadeUser(t, e, fx.id, a.CreatedBy) }, store.ReasonUserRevoked},
			{"an earlier actor of the chain deactivated", func(t *testing.T, _, _, f store.Client) { deactivate(t, e, fx.id, f) }, store.ReasonClientInactive},
			{"an earlier actor's user cascade", func(t *testing.T, _, _, f store.Client) { cascadeUser(t, e, fx.id, f.CreatedBy) }, store.ReasonUserRevoked},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				agent := func(role string) store.Client {
					u := e.user(t, fx.id, role+string(rune('a'+i))+"@delegation.example")
					return e.agentOf(t, fx.id, role, u.ID)
				}
				subject, first, actor := agent("subject"), agent("first"), agent("actor")
				// first obtained a token for subject; actor's token is obtained from first's.
				once := delegated(t, subject, first)
				twice := e.tokenWith(t, fx.id, actor, func(r *store.TokenRecord) {
					r.Subject, r.Delegation = subject.ClientID, store.DelegationOf(once, actor.ClientID)
				})
				check(t, twice.JTI, "")
				c.revoke(t, subject, actor, first)
				check(t, twice.JTI, c.reason)
			})
		}
	})

	t.Run("a delegated token stays active when a revocation predates it", func(t *testing.T) {
		subject, actor := e.client(t, fx.id, "subject-early"), e.client(t, fx.id, "actor-early")
		revokeAll(t, e, fx.id, subject)
		e.clock.Advance(time.Millisecond)
		check(t, delegated(t, subject, actor).JTI, "")
	})

	t.Run("a delegated token costs one or two reads per party", func(t *testing.T) {
		u := e.user(t, fx.id, "reads@delegation.example")
		subject, actor := e.agentOf(t, fx.id, "subject-reads", u.ID), e.agentOf(t, fx.id, "actor-reads", u.ID)
		rec := delegated(t, subject, actor)
		e.f.Arm(0)
		check(t, rec.JTI, "")
		if e.f.Calls > 6 {
			t.Fatalf("%d table calls for a token with one party, want at most 6", e.f.Calls)
		}
	})

	t.Run("re-enabling a tenant revives no token", func(t *testing.T) {
		b := e.create(t, "bravo")
		c := e.client(t, b.id, "b-agent")
		before := e.token(t, b.id, c, time.Hour, "")
		setDisabled := func(disabled bool) store.Tenant {
			tn, err := e.s.UpdateTenant(ctx, b.id, func(tn *store.Tenant) error { tn.Disabled = disabled; return nil }, event(e.s.Now(), "tenant.updated", "bravo"))
			if err != nil {
				t.Fatal(err)
			}
			return tn
		}
		setDisabled(true)
		e.clock.Advance(time.Millisecond)
		tn := setDisabled(false)
		if tn.RevokedBefore.IsZero() {
			t.Fatalf("re-enable recorded no revoked-before time: %+v", tn)
		}
		if a, _ := e.s.TokenActivity(ctx, b.id, before.JTI); a.Active || a.Reason != store.ReasonTenantDisabled {
			t.Fatalf("after re-enable: %+v", a)
		}
		// A change that tries to clear the time keeps it.
		tn, err := e.s.UpdateTenant(ctx, b.id, func(tn *store.Tenant) error { tn.RevokedBefore = time.Time{}; tn.Name = "renamed"; return nil }, event(e.s.Now(), "tenant.updated", "bravo"))
		if err != nil || tn.RevokedBefore.IsZero() {
			t.Fatalf("revoked-before cleared: %+v %v", tn, err)
		}
		if a, _ := e.s.TokenActivity(ctx, b.id, before.JTI); a.Active {
			t.Fatalf("revived by an update: %+v", a)
		}
		e.clock.Advance(time.Millisecond)
		after := e.token(t, b.id, c, time.Hour, "")
		if a, _ := e.s.TokenActivity(ctx, b.id, after.JTI); !a.Active {
			t.Fatalf("a token issued after the re-enable: %+v", a)
		}
	})

	t.Run("rotating back to an earlier DPoP key revives no token", func(t *testing.T) {
		c := e.client(t, fx.id, "rotator")
		bearer := e.token(t, fx.id, c, time.Hour, "")
		setJKT(t, e, fx.id, c, "key-a")
		e.clock.Advance(time.Millisecond)
		check(t, bearer.JTI, store.ReasonDPoPKeyRotated)
		old := e.token(t, fx.id, c, time.Hour, "key-a")
		check(t, old.JTI, "")
		setJKT(t, e, fx.id, c, "key-b")
		e.clock.Advance(time.Millisecond)
		setJKT(t, e, fx.id, c, "key-a")
		e.clock.Advance(time.Millisecond)
		check(t, old.JTI, store.ReasonDPoPKeyRotated)
		check(t, bearer.JTI, store.ReasonDPoPKeyRotated)
		// Neither a change that clears the times nor one that re-activates revives.
		_, err := e.s.ChangeClient(ctx, fx.id, c.ClientID, func(x *store.Client) error {
			x.RevokedBefore, x.DPoPKeyRotatedAt = time.Time{}, time.Time{}
			return nil
		}, func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", x.ClientID) })
		if err != nil {
			t.Fatal(err)
		}
		check(t, old.JTI, store.ReasonDPoPKeyRotated)
		check(t, e.token(t, fx.id, c, time.Hour, "key-a").JTI, "")
	})

	t.Run("a re-activated agent revives no token", func(t *testing.T) {
		c := e.client(t, fx.id, "reactivated")
		rec := e.token(t, fx.id, c, time.Hour, "")
		deactivate(t, e, fx.id, c)
		_, err := e.s.ChangeClient(ctx, fx.id, c.ClientID, func(x *store.Client) error { x.Active = true; return nil },
			func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", x.ClientID) })
		if err != nil {
			t.Fatal(err)
		}
		check(t, rec.JTI, store.ReasonClientRevoked)
	})

	t.Run("at the instant", func(t *testing.T) {
		t.Run("a token issued at the instant of an agent-wide revoke is revoked", func(t *testing.T) {
			c := e.client(t, fx.id, "instant")
			rec := e.tokenWith(t, fx.id, c, func(*store.TokenRecord) {}) // the clock has not moved since
			e.clock.Advance(-time.Millisecond)                           // back to the token's instant
			revokeAll(t, e, fx.id, c)
			e.clock.Advance(time.Millisecond)
			check(t, rec.JTI, store.ReasonClientRevoked)
		})
		t.Run("an agent created at the instant of its user's cascade is revoked", func(t *testing.T) {
			u := e.user(t, fx.id, "instant@example.com")
			now := e.s.Now()
			c := store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_agent_"), Kind: "agent", Name: "instant", SecretHash: ids.Hash(ids.NewSecret()),
				AuthMethod: "client_secret_basic", GrantTypes: []string{"client_credentials"}, Active: true, CreatedBy: u.ID, CreatedAt: now, UpdatedAt: now}
			if err := e.s.CreateClient(ctx, fx.id, c, event(now, "agent.created", c.ClientID)); err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "", event(now, "user.agents_revoked", u.ID)); err != nil {
				t.Fatal(err)
			}
			if err := e.s.CheckIssuable(ctx, fx.id, c); !errors.Is(err, store.ErrClientInactive) {
				t.Fatalf("CheckIssuable: %v, want ErrClientInactive", err)
			}
			rec := e.tokenWith(t, fx.id, c, func(*store.TokenRecord) {})
			check(t, rec.JTI, store.ReasonUserRevoked)
		})
		t.Run("a token issued at the instant of a re-enable is revoked", func(t *testing.T) {
			d := e.create(t, "delta")
			c := e.client(t, d.id, "d-agent")
			if _, err := e.s.UpdateTenant(ctx, d.id, func(tn *store.Tenant) error { tn.Disabled = true; return nil }, event(e.s.Now(), "tenant.updated", "delta")); err != nil {
				t.Fatal(err)
			}
			tn, err := e.s.UpdateTenant(ctx, d.id, func(tn *store.Tenant) error { tn.Disabled = false; return nil }, event(e.s.Now(), "tenant.updated", "delta"))
			if err != nil {
				t.Fatal(err)
			}
			rec := e.tokenWith(t, d.id, c, func(r *store.TokenRecord) { r.IssuedAt = tn.RevokedBefore })
			if a, _ := e.s.TokenActivity(ctx, d.id, rec.JTI); a.Active || a.Reason != store.ReasonTenantDisabled {
				t.Fatalf("at the re-enable's instant: %+v", a)
			}
		})
	})

	t.Run("edges", func(t *testing.T) { revocationEdges(t, e) })

	t.Run("TokenActivities decides each record as TokenActivity does", func(t *testing.T) {
		u := e.user(t, fx.id, "list@example.com")
		subject, actor := e.agentOf(t, fx.id, "list-subject", u.ID), e.client(t, fx.id, "list-actor")
		var recs []store.TokenRecord
		for range 3 {
			recs = append(recs, delegated(t, subject, actor))
		}
		plain := e.token(t, fx.id, actor, time.Hour, "")
		revoked := e.token(t, fx.id, actor, time.Hour, "")
		if err := e.s.RevokeToken(ctx, fx.id, revoked.JTI, event(e.s.Now(), "oauth.token_revoked", revoked.JTI)); err != nil {
			t.Fatal(err)
		}
		revoked.RevokedAt = e.s.Now()
		recs = append(recs, plain, revoked)
		cascadeUser(t, e, fx.id, u.ID)
		e.f.Arm(0)
		got, err := e.s.TokenActivities(ctx, fx.id, recs)
		if err != nil {
			t.Fatal(err)
		}
		// One read per client, one per user marker, one tenant: never one per token.
		if e.f.Calls > 4 {
			t.Fatalf("%d table calls for %d records", e.f.Calls, len(recs))
		}
		want := []string{store.ReasonUserRevoked, store.ReasonUserRevoked, store.ReasonUserRevoked, "", store.ReasonRevoked}
		for i, a := range got {
			one, err := e.s.TokenActivity(ctx, fx.id, recs[i].JTI)
			if err != nil {
				t.Fatal(err)
			}
			if a.Reason != want[i] || one.Reason != want[i] || a.Active != (want[i] == "") || a.Token.JTI != recs[i].JTI {
				t.Fatalf("record %d: list %+v, one %+v, want reason %q", i, a, one, want[i])
			}
		}
		other := e.create(t, "list-other")
		if got, err := e.s.TokenActivities(ctx, other.id, recs[3:4]); err != nil || got[0].Active {
			t.Fatalf("another tenant's view of a record: %+v %v", got, err)
		}
	})
}

// tokenWith issues a token to c now, as e.token does, after mutate.
func (e *env) tokenWith(t *testing.T, id tenant.ID, c store.Client, mutate func(*store.TokenRecord)) store.TokenRecord {
	t.Helper()
	now := e.s.Now()
	rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, AgentID: c.ID, Subject: c.ClientID, Scope: "mcp:read", Audience: []string{"https://api.test"},
		KID: "kid-" + id.String(), GrantType: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	mutate(&rec)
	if err := e.s.IssueToken(t.Context(), id, store.Issuance{Token: rec, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
		t.Fatalf("issue token: %v", err)
	}
	rec.Version = 1
	e.clock.Advance(time.Millisecond)
	return rec
}

func deactivate(t *testing.T, e *env, id tenant.ID, c store.Client) {
	t.Helper()
	cur, err := e.s.GetClient(t.Context(), id, c.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeactivateClients(t.Context(), id, []store.Client{cur}, event(e.s.Now(), "agent.deactivated", c.ClientID)); err != nil {
		t.Fatal(err)
	}
}

func cascadeUser(t *testing.T, e *env, id tenant.ID, userID string) {
	t.Helper()
	if _, err := e.s.RevokeUserAgents(t.Context(), id, userID, "test", event(e.s.Now(), "user.agents_revoked", userID)); err != nil {
		t.Fatal(err)
	}
}

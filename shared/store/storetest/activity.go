package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// domainActivity is the table of the activity decision: one case (at least)
// per revocation layer, each checked through TokenActivity.
func domainActivity(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	cases := []struct {
		name string
		// setup issues a token and then revokes something; it returns the jti to check.
		setup  func(t *testing.T) string
		reason string // "" means active
	}{
		{"active", func(t *testing.T) string { return e.token(t, fx.id, e.client(t, fx.id, "ok"), time.Hour, "").JTI }, ""},
		{"unknown jti", func(*testing.T) string { return "no-such-jti" }, store.ReasonUnknown},
		{"expired", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "exp"), 2*time.Millisecond, "")
			e.clock.Advance(time.Millisecond)
			return rec.JTI
		}, store.ReasonExpired},
		{"L1 revoked by jti", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "l1"), time.Hour, "")
			if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonRevoked},
		{"L1 another token of the client stays active", func(t *testing.T) string {
			c := e.client(t, fx.id, "l1b")
			rec := e.token(t, fx.id, c, time.Hour, "")
			other := e.token(t, fx.id, c, time.Hour, "")
			if err := e.s.RevokeToken(ctx, fx.id, other.JTI, event(e.s.Now(), "oauth.token_revoked", other.JTI)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, ""},
		{"L2 client deactivated", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2")
			rec := e.token(t, fx.id, c, time.Hour, "")
			if err := e.s.DeactivateClients(ctx, fx.id, []store.Client{c}, event(e.s.Now(), "agent.deactivated", c.ClientID)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonClientInactive},
		{"L2 client deleted", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2d")
			rec := e.token(t, fx.id, c, time.Hour, "")
			if err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "oauth.client_deleted", c.ClientID)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonClientInactive},
		{"L2 revoke-all", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2r")
			rec := e.token(t, fx.id, c, time.Hour, "")
			revokeAll(t, e, fx.id, c)
			return rec.JTI
		}, store.ReasonClientRevoked},
		{"L2 token issued after revoke-all is active", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2n")
			e.token(t, fx.id, c, time.Hour, "")
			revokeAll(t, e, fx.id, c)
			e.clock.Advance(time.Millisecond)
			return e.token(t, fx.id, c, time.Hour, "").JTI
		}, ""},
		{"L2 DPoP key rotated away", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2k")
			rec := e.token(t, fx.id, c, time.Hour, "old-jkt")
			setJKT(t, e, fx.id, c, "new-jkt")
			return rec.JTI
		}, store.ReasonDPoPKeyRotated},
		{"L2 token of the registered key is active", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2kk")
			setJKT(t, e, fx.id, c, "new-jkt")
			return e.token(t, fx.id, c, time.Hour, "new-jkt").JTI
		}, ""},
		{"L3 user cascade", func(t *testing.T) string {
			u := e.user(t, fx.id, "l3@example.com")
			rec := e.token(t, fx.id, e.agentOf(t, fx.id, "l3", u.ID), time.Hour, "")
			if _, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "test", event(e.s.Now(), "user.agents_revoked", u.ID)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI // the batches have not run: the marker alone decides
		}, store.ReasonUserRevoked},
		{"L3 agent created after the cascade is active", func(t *testing.T) string {
			u := e.user(t, fx.id, "l3b@example.com")
			if _, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "test", event(e.s.Now(), "user.agents_revoked", u.ID)); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Millisecond)
			return e.token(t, fx.id, e.agentOf(t, fx.id, "l3b", u.ID), time.Hour, "").JTI
		}, ""},
		{"L4 pattern", func(t *testing.T) string {
			c := e.client(t, fx.id, "l4")
			rec := e.token(t, fx.id, c, time.Hour, "")
			if _, err := e.s.RevokePattern(ctx, fx.id, c.ClientID[:len(c.ClientID)-3]+"*", event(e.s.Now(), "oauth.tokens_bulk_revoked", "p")); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonPatternRevoked},
		{"L4 a pattern that does not match", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "l4n"), time.Hour, "")
			if _, err := e.s.RevokePattern(ctx, fx.id, "shark_dcr_*", event(e.s.Now(), "oauth.tokens_bulk_revoked", "p")); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, ""},
		{"emergency-rotated signing key", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "kid"), time.Hour, "")
			if _, err := e.s.RotateSigningKey(ctx, fx.id, store.SigningKey{KID: ids.NanoID(), Mode: store.ModeLocal, PublicDER: []byte("x")}, store.RotateEmergency, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonKeyRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jti := c.setup(t)
			a, err := e.s.TokenActivity(ctx, fx.id, jti)
			if err != nil {
				t.Fatal(err)
			}
			if a.Active != (c.reason == "") || a.Reason != c.reason {
				t.Fatalf("activity: %+v, want reason %q", a, c.reason)
			}
			if a.Active && a.Token.JTI != jti {
				t.Fatalf("active without its record: %+v", a)
			}
		})
	}
	t.Run("L5 tenant disabled", func(t *testing.T) {
		b := e.create(t, "bravo")
		rec := e.token(t, b.id, e.client(t, b.id, "l5"), time.Hour, "")
		if a, _ := e.s.TokenActivity(ctx, b.id, rec.JTI); !a.Active {
			t.Fatalf("before disable: %+v", a)
		}
		if _, err := e.s.UpdateTenant(ctx, b.id, func(tn *store.Tenant) error { tn.Disabled = true; return nil }, event(e.s.Now(), "tenant.updated", "bravo")); err != nil {
			t.Fatal(err)
		}
		if a, _ := e.s.TokenActivity(ctx, b.id, rec.JTI); a.Active || a.Reason != store.ReasonTenantDisabled {
			t.Fatalf("after disable: %+v", a)
		}
		// Tenant A's tokens do not see tenant B's jti.
		if a, _ := e.s.TokenActivity(ctx, fx.id, rec.JTI); a.Reason != store.ReasonUnknown {
			t.Fatalf("tenant A sees B's token: %+v", a)
		}
	})
	t.Run("at most four table calls", func(t *testing.T) {
		u := e.user(t, fx.id, "calls@example.com")
		rec := e.token(t, fx.id, e.agentOf(t, fx.id, "calls", u.ID), time.Hour, "")
		e.f.Arm(0)
		if _, err := e.s.TokenActivity(ctx, fx.id, rec.JTI); err != nil {
			t.Fatal(err)
		}
		if e.f.Calls > 4 {
			t.Fatalf("%d table calls", e.f.Calls)
		}
	})
	t.Run("CheckIssuable", func(t *testing.T) {
		u := e.user(t, fx.id, "issuable@example.com")
		plain := e.client(t, fx.id, "plain")
		owned := e.agentOf(t, fx.id, "owned", u.ID)
		checks := []struct {
			name  string
			c     func() store.Client
			calls int
			want  error
		}{
			{"active, no user: no call", func() store.Client { return plain }, 0, nil},
			{"inactive", func() store.Client { c := plain; c.Active = false; return c }, 0, store.ErrClientInactive},
			{"user without cascade: one call", func() store.Client { return owned }, 1, nil},
			{"user cascaded after creation", func() store.Client {
				if _, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "", event(e.s.Now(), "user.agents_revoked", u.ID)); err != nil {
					t.Fatal(err)
				}
				return owned
			}, 1, store.ErrClientInactive},
			{"agent created after the cascade", func() store.Client {
				e.clock.Advance(time.Millisecond)
				return e.agentOf(t, fx.id, "later", u.ID)
			}, 1, nil},
		}
		for _, c := range checks {
			t.Run(c.name, func(t *testing.T) {
				cl := c.c()
				e.f.Arm(0)
				err := e.s.CheckIssuable(ctx, fx.id, cl)
				if !errors.Is(err, c.want) || (c.want == nil && err != nil) || e.f.Calls != c.calls {
					t.Fatalf("got %v after %d calls, want %v after %d", err, e.f.Calls, c.want, c.calls)
				}
			})
		}
	})
}

func revokeAll(t *testing.T, e *env, id tenant.ID, c store.Client) {
	t.Helper()
	_, err := e.s.ChangeClient(t.Context(), id, c.ClientID, func(x *store.Client) error { x.RevokedBefore = e.s.Now(); return nil },
		func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.tokens_revoked", x.ClientID) })
	if err != nil {
		t.Fatal(err)
	}
}

func setJKT(t *testing.T, e *env, id tenant.ID, c store.Client, jkt string) {
	t.Helper()
	_, err := e.s.ChangeClient(t.Context(), id, c.ClientID, func(x *store.Client) error { x.DPoPJKT = jkt; return nil },
		func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.dpop_key_rotated", x.ClientID) })
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Millisecond) // a rotation revokes what was issued at its instant too
}

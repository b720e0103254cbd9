package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// feedView is what a verifier holding a token's JWT knows of it: jti,
// client_id and the act chain's subs, sub, the issue time in milliseconds
// (the jti's prefix), the header's kid, and fam.
func feedView(rec store.TokenRecord) (jti string, clients []string, sub string, iat int64, kid, fam string) {
	// A delegated token names its subject's client in sub and its actors
	// in act (Delegation is sub's client and the clients sub depends on).
	return rec.JTI, append([]string{rec.ClientID, rec.Subject}, rec.Delegation...), rec.Subject, rec.IssuedAt.UnixMilli(), rec.KID, rec.Family
}

// feedRevokes applies feed entries to a token as a verifier would, from its
// claims alone (the table in store/feed.go). The latest tenant entry
// supersedes earlier ones (a re-enable after a disable).
func feedRevokes(entries []store.FeedEntry, rec store.TokenRecord) bool {
	jti, clients, sub, iat, kid, fam := feedView(rec)
	var tenantState *store.FeedEntry
	for _, e := range entries {
		if e.Kind == store.FeedTenant {
			tenantState = &e
		}
	}
	if tenantState != nil && (tenantState.Disabled || iat <= tenantState.BeforeMS) {
		return true
	}
	for _, e := range entries {
		switch e.Kind {
		case store.FeedToken:
			if e.JTI == jti {
				return true
			}
		case store.FeedClient:
			if slices.Contains(clients, e.ClientID) && iat <= e.BeforeMS {
				return true
			}
		case store.FeedUser:
			if sub == e.Subject && iat <= e.BeforeMS {
				return true
			}
		case store.FeedPattern:
			if iat <= e.BeforeMS && slices.ContainsFunc(clients, func(c string) bool { return store.MatchPattern(e.Pattern, c) }) {
				return true
			}
		case store.FeedKey:
			if e.KID == kid {
				return true
			}
		case store.FeedFamily:
			if fam != "" && e.Family == fam {
				return true
			}
		}
	}
	return false
}

// domainFeed: every revocation layer writes a feed item in its own
// transaction, from which a verifier holding only the token's claims
// reaches Decide's answer; the feed reads incrementally from a cursor
// bound to its tenant, and its items expire once nothing they cover lives.
func domainFeed(t *testing.T, e *env) {
	ctx := t.Context()

	// poll reads every page after cursor.
	poll := func(t *testing.T, id tenant.ID, cursor string) ([]store.FeedEntry, string) {
		t.Helper()
		var out []store.FeedEntry
		for {
			p, err := e.s.Feed(ctx, id, cursor, 0)
			if err != nil {
				t.Fatalf("feed: %v", err)
			}
			out = append(out, p.Entries...)
			cursor = p.Next
			if !p.More {
				return out, cursor
			}
		}
	}
	active := func(t *testing.T, id tenant.ID, rec store.TokenRecord) bool {
		t.Helper()
		a, err := e.s.TokenActivity(ctx, id, rec.JTI)
		if err != nil {
			t.Fatal(err)
		}
		return a.Active
	}

	cases := []struct {
		name string
		// issue makes the token, revoke revokes it by one layer.
		issue  func(t *testing.T, id tenant.ID, c store.Client) store.TokenRecord
		revoke func(t *testing.T, id tenant.ID, c store.Client, rec store.TokenRecord)
	}{
		{"L1 one token", nil, func(t *testing.T, id tenant.ID, _ store.Client, rec store.TokenRecord) {
			if err := e.s.RevokeToken(ctx, id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
				t.Fatal(err)
			}
		}},
		{"L2 revoke-all", nil, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) { revokeAll(t, e, id, c) }},
		{"L2 deactivation", nil, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) { deactivate(t, e, id, c) }},
		{"L2 deletion", nil, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) {
			if err := e.s.DeleteClient(ctx, id, c.ClientID, event(e.s.Now(), "agent.deleted", c.ClientID)); err != nil {
				t.Fatal(err)
			}
		}},
		{"L2 DPoP key rotation", func(t *testing.T, id tenant.ID, c store.Client) store.TokenRecord {
			setJKT(t, e, id, c, "jkt-1")
			return e.token(t, id, c, time.Hour, "jkt-1")
		}, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) { setJKT(t, e, id, c, "jkt-2") }},
		{"L2 delegated: the subject's client revoked", func(t *testing.T, id tenant.ID, c store.Client) store.TokenRecord {
			actor := e.agentOf(t, id, "actor", "")
			subj := e.token(t, id, c, time.Hour, "")
			return e.tokenWith(t, id, actor, func(r *store.TokenRecord) {
				r.Subject, r.Delegation = c.ClientID, store.DelegationOf(subj, actor.ClientID)
			})
		}, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) { revokeAll(t, e, id, c) }},
		{"L3 a user's agents", nil, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) {
			cascadeUser(t, e, id, c.CreatedBy)
			if _, err := e.s.FinishUserRevocation(ctx, id, c.CreatedBy); err != nil {
				t.Fatal(err)
			}
		}},
		{"L3 a user's own grants", func(t *testing.T, id tenant.ID, c store.Client) store.TokenRecord {
			return e.tokenWith(t, id, c, func(r *store.TokenRecord) {
				r.Subject, r.User, r.GrantType = c.CreatedBy, c.CreatedBy, "authorization_code"
			})
		}, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) {
			cascadeUser(t, e, id, c.CreatedBy)
		}},
		{"L4 client-id pattern", nil, func(t *testing.T, id tenant.ID, c store.Client, _ store.TokenRecord) {
			if _, err := e.s.RevokePattern(ctx, id, c.ClientID[:len(c.ClientID)-3]+"*", event(e.s.Now(), "oauth.tokens_bulk_revoked", "p")); err != nil {
				t.Fatal(err)
			}
		}},
		{"L5 tenant disabled", nil, func(t *testing.T, id tenant.ID, _ store.Client, _ store.TokenRecord) {
			if _, err := e.s.UpdateTenant(ctx, id, func(tn *store.Tenant) error { tn.Disabled = true; return nil }, event(e.s.Now(), "tenant.disabled", id.String())); err != nil {
				t.Fatal(err)
			}
		}},
		{"refresh family", func(t *testing.T, id tenant.ID, c store.Client) store.TokenRecord {
			return e.tokenWith(t, id, c, func(r *store.TokenRecord) {
				r.Subject, r.User, r.Family, r.GrantType = c.CreatedBy, c.CreatedBy, ids.New("fam_"), "refresh_token"
			})
		}, func(t *testing.T, id tenant.ID, _ store.Client, rec store.TokenRecord) {
			if err := e.s.RevokeFamily(ctx, id, rec.Family, "refresh_reuse", event(e.s.Now(), "oauth.refresh_reuse_detected", rec.Family)); err != nil {
				t.Fatal(err)
			}
		}},
		{"signing key retired in an emergency", nil, func(t *testing.T, id tenant.ID, _ store.Client, rec store.TokenRecord) {
			fresh := store.SigningKey{KID: "kid-new-" + id.String(), Mode: store.ModeLocal, PublicDER: []byte("new")}
			if _, err := e.s.RotateSigningKey(ctx, id, fresh, store.RotateEmergency, event(e.s.Now(), "signing_key.rotated", "k")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := e.create(t, "feed"+string(rune('a'+i)))
			u := e.user(t, fx.id, "u@feed.test")
			c := e.agentOf(t, fx.id, "agent", u.ID)
			other := e.agentOf(t, fx.id, "bystander", "")
			issue := tc.issue
			if issue == nil {
				issue = func(t *testing.T, id tenant.ID, c store.Client) store.TokenRecord {
					return e.token(t, id, c, time.Hour, "")
				}
			}
			rec := issue(t, fx.id, c)
			bystander := e.token(t, fx.id, other, time.Hour, "")
			seen, cursor := poll(t, fx.id, "")
			if feedRevokes(seen, rec) || !active(t, fx.id, rec) {
				t.Fatalf("before the revocation: feed revokes=%v, active=%v", feedRevokes(seen, rec), active(t, fx.id, rec))
			}
			tc.revoke(t, fx.id, c, rec)
			got, _ := poll(t, fx.id, cursor)
			if len(got) == 0 || !feedRevokes(got, rec) {
				t.Fatalf("feed since the cursor does not revoke the token: %+v", got)
			}
			if active(t, fx.id, rec) {
				t.Fatal("Decide keeps the token active")
			}
			// The feed revokes no more than Decide (the tenant layers
			// revoke the bystander too).
			if feedRevokes(got, bystander) != !active(t, fx.id, bystander) {
				t.Fatalf("bystander: feed revokes=%v, Decide active=%v (%+v)", feedRevokes(got, bystander), active(t, fx.id, bystander), got)
			}
		})
	}

	t.Run("incremental, bound to its tenant, and forgotten after the longest token", func(t *testing.T) {
		a, b := e.create(t, "feedinc"), e.create(t, "feedother")
		c := e.agentOf(t, a.id, "agent", "")
		rec := e.token(t, a.id, c, time.Hour, "")
		if err := e.s.RevokeToken(ctx, a.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
			t.Fatal(err)
		}
		revokeAll(t, e, a.id, c)
		first, cursor := poll(t, a.id, "")
		if len(first) != 2 {
			t.Fatalf("first poll: %+v", first)
		}
		// Within FeedLag the cursor stays behind: served again.
		if again, _ := poll(t, a.id, cursor); len(again) != 2 {
			t.Fatalf("within the lag: %+v", again)
		}
		e.clock.Advance(store.FeedLag + time.Second)
		_, cursor = poll(t, a.id, cursor)
		if again, _ := poll(t, a.id, cursor); len(again) != 0 {
			t.Fatalf("served again after the lag: %+v", again)
		}
		// Paged with a bounded size.
		p, err := e.s.Feed(ctx, a.id, "", 1)
		if err != nil || len(p.Entries) != 1 || !p.More {
			t.Fatalf("page of 1: %+v %v", p, err)
		}
		if _, err := e.s.Feed(ctx, b.id, cursor, 0); !errors.Is(err, store.ErrBadCursor) {
			t.Fatalf("another tenant's cursor: %v", err)
		}
		if other, _ := poll(t, b.id, ""); len(other) != 0 {
			t.Fatalf("another tenant's feed: %+v", other)
		}
		// The token's entry goes with the token; the client's after the
		// retention.
		e.clock.Advance(time.Hour + 2*time.Minute)
		if left, _ := poll(t, a.id, ""); len(left) != 1 || left[0].Kind != store.FeedClient {
			t.Fatalf("after the token expired: %+v", left)
		}
		e.clock.Advance(store.FeedRetention)
		if left, _ := poll(t, a.id, ""); len(left) != 0 {
			t.Fatalf("after the retention: %+v", left)
		}
	})

	t.Run("a page holds at most limit entries but for one batch", func(t *testing.T) {
		fx := e.create(t, "feedbatch")
		var cs []store.Client
		for i := range 6 {
			cs = append(cs, e.agentOf(t, fx.id, "a"+string(rune('0'+i)), ""))
		}
		rec := e.token(t, fx.id, cs[0], time.Hour, "")
		if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Millisecond)
		// One deactivation of six clients: one item of six entries.
		if err := e.s.DeactivateClients(ctx, fx.id, cs, event(e.s.Now(), "agent.deactivated", "six")); err != nil {
			t.Fatal(err)
		}
		p, err := e.s.Feed(ctx, fx.id, "", 4)
		if err != nil || len(p.Entries) != 1 || !p.More {
			t.Fatalf("first page: %+v %v", p, err)
		}
		p, err = e.s.Feed(ctx, fx.id, p.Next, 4)
		if err != nil || len(p.Entries) != 6 || p.More {
			t.Fatalf("the batch's page: %+v %v", p, err)
		}
		for _, c := range cs {
			if !slices.ContainsFunc(p.Entries, func(en store.FeedEntry) bool { return en.Kind == store.FeedClient && en.ClientID == c.ClientID }) {
				t.Fatalf("no entry for %s: %+v", c.ClientID, p.Entries)
			}
		}
	})

	t.Run("a change that revokes nothing writes no item", func(t *testing.T) {
		fx := e.create(t, "feedquiet")
		c := e.agentOf(t, fx.id, "agent", "")
		if _, err := e.s.ChangeClient(ctx, fx.id, c.ClientID, func(x *store.Client) error { x.Name = "renamed"; return nil },
			func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", x.ClientID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error { tn.Name = "renamed"; return nil }, event(e.s.Now(), "tenant.updated", "t")); err != nil {
			t.Fatal(err)
		}
		if got, _ := poll(t, fx.id, ""); len(got) != 0 {
			t.Fatalf("feed: %+v", got)
		}
	})
}

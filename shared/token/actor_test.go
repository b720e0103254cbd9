package token

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestActorWithoutExchangeGrantType (issue 20 parity): an agent registered
// only for client_credentials may still use token exchange as the ACTOR of a
// live may-act grant that names it (by id or client_id): the grant is the
// authorization. Anything else it tries with the exchange grant, including
// self-exchange, stays 400 unauthorized_client.
func TestActorWithoutExchangeGrantType(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	acme := tenant.MustID("acme")
	scopes := []string{"mcp:read", "mcp:write"}
	cc := []string{GrantClientCredentials}
	hs.client("acme", store.Client{ClientID: "boss", Scopes: scopes, Active: true})
	hs.client("acme", store.Client{ClientID: "other-boss", Scopes: scopes, Active: true})
	hs.client("acme", store.Client{ClientID: "cc-actor", Scopes: scopes, Active: true, GrantTypes: cc})
	hs.client("acme", store.Client{ClientID: "cc-by-id", Scopes: scopes, Active: true, GrantTypes: []string{}})
	hs.client("acme", store.Client{ClientID: "cc-expired", Scopes: scopes, Active: true, GrantTypes: cc})
	hs.client("acme", store.Client{ClientID: "cc-revoked", Scopes: scopes, Active: true, GrantTypes: cc})
	grant := func(id, from, to string, mutate func(*store.MayActGrant)) {
		g := store.MayActGrant{ID: id, FromID: from, ToID: to, MaxHops: 1, Scopes: []string{"mcp:read"}, CreatedAt: hs.now}
		if mutate != nil {
			mutate(&g)
		}
		if err := hs.st.CreateGrant(t.Context(), acme, g, ev(hs, "may_act.granted")); err != nil {
			t.Fatal(err)
		}
	}
	grant("mag_cc1", "cc-actor", "boss", nil)
	grant("mag_cc2", "agent_cc-by-id", "boss", nil)
	grant("mag_cc3", "cc-expired", "boss", func(g *store.MayActGrant) { g.ExpiresAt = hs.now.Add(-time.Second) })
	grant("mag_cc4", "cc-revoked", "boss", nil)
	if _, err := hs.st.RevokeGrant(t.Context(), acme, "mag_cc4", ev(hs, "may_act.revoked")); err != nil {
		t.Fatal(err)
	}
	boss := f.issueFor(t, "acme", "boss")
	otherBoss := f.issueFor(t, "acme", "other-boss")
	own := f.issueFor(t, "acme", "cc-actor")

	for _, actor := range []string{"cc-actor", "cc-by-id"} {
		t.Run("actor of a live grant: "+actor, func(t *testing.T) {
			w := hs.do(call{form: exchangeForm(actor, boss), dpop: []string{f.proof()}})
			b := decode(t, w)
			if w.Code != 200 || b["scope"] != "mcp:read" || b["issued_token_type"] != AccessTokenType {
				t.Fatalf("%d %v", w.Code, b)
			}
			c := claimsOf(t, b["access_token"].(string))
			act, _ := c["act"].(map[string]any)
			if c["sub"] != "boss" || c["client_id"] != actor || act["sub"] != actor {
				t.Fatalf("claims %v", c)
			}
		})
	}
	cases := []struct {
		name, client, subject string
		extra                 []string
		status                int
		code                  string
	}{
		{name: "wider than the grant's scopes", client: "cc-actor", subject: boss, extra: []string{"scope", "mcp:write"}, status: 400, code: "invalid_scope"},
		{name: "no grant to this subject", client: "cc-actor", subject: otherBoss, status: 400, code: "unauthorized_client"},
		{name: "self-exchange", client: "cc-actor", subject: own, status: 400, code: "unauthorized_client"},
		{name: "expired grant", client: "cc-expired", subject: boss, status: 400, code: "unauthorized_client"},
		{name: "revoked grant", client: "cc-revoked", subject: boss, status: 400, code: "unauthorized_client"},
		{name: "no grant at all, garbage subject", client: "cconly", subject: "x", status: 400, code: "unauthorized_client"},
		{name: "no grant at all, valid subject", client: "cconly", subject: boss, status: 400, code: "unauthorized_client"},
		{name: "live grant, garbage subject", client: "cc-actor", subject: "x", status: 400, code: "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(call{form: exchangeForm(tc.client, tc.subject, tc.extra...)})
			b := decode(t, w)
			if w.Code != tc.status || b["error"] != tc.code {
				t.Fatalf("%d %v; want %d %s", w.Code, b, tc.status, tc.code)
			}
		})
	}
}

package token

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// The token endpoint's rules, each named, each with the error a client
// relies on.
func TestTokenEndpointRules(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	acme := tenant.MustID("acme")
	scopes := []string{"mcp:read", "mcp:write"}
	hs.client("acme", store.Client{ClientID: "noscopes", Scopes: []string{}, Active: true})
	hs.client("acme", store.Client{ClientID: "nogrants", Scopes: scopes, Active: true, GrantTypes: []string{}})
	user := store.User{ID: "usr_rules", Email: "rules@example.com", CreatedAt: hs.now, UpdatedAt: hs.now}
	if err := hs.st.CreateUser(t.Context(), acme, user, ev(hs, "user.created")); err != nil {
		t.Fatal(err)
	}
	hs.client("acme", store.Client{ClientID: "owned", Scopes: scopes, Active: true, CreatedBy: user.ID})
	hs.now = hs.now.Add(time.Second)
	// Only the cascade's marker is written: the agent record is still active,
	// as it is between the marker and the batches that deactivate it.
	if _, err := hs.st.RevokeUserAgents(t.Context(), acme, user.ID, "cancelled", ev(hs, "user.agents_revoked")); err != nil {
		t.Fatal(err)
	}
	hs.now = hs.now.Add(time.Second)

	t.Run("an empty scope ceiling allows nothing", func(t *testing.T) {
		fm := f.secretF("noscopes")
		fm.Set("scope", "mcp:read")
		w := hs.do(call{form: fm})
		if b := decode(t, w); w.Code != 400 || b["error"] != "invalid_scope" {
			t.Fatalf("%d %v", w.Code, b)
		}
		w = hs.do(call{form: f.secretF("noscopes")})
		if b := decode(t, w); w.Code != 200 || b["scope"] != nil {
			t.Fatalf("without a scope: %d %v", w.Code, b)
		}
	})
	t.Run("a client with a registered DPoP key gets no Bearer token", func(t *testing.T) {
		w := hs.do(call{form: f.secretF("keyed")})
		if b := decode(t, w); w.Code != 400 || b["error"] != "invalid_dpop_proof" {
			t.Fatalf("%d %v", w.Code, b)
		}
	})
	t.Run("an agent whose user was cascade-revoked gets no token", func(t *testing.T) {
		w := hs.do(call{form: f.secretF("owned")})
		if b := decode(t, w); w.Code/100 != 4 || w.Code == 200 {
			t.Fatalf("%d %v", w.Code, b)
		}
	})
	t.Run("a client with no registered grant types cannot exchange", func(t *testing.T) {
		subject := f.issueFor(t, "acme", "shark_agent_1")
		w := hs.do(call{form: exchangeForm("nogrants", subject)})
		if b := decode(t, w); w.Code != 400 || b["error"] != "unauthorized_client" {
			t.Fatalf("%d %v", w.Code, b)
		}
		// None listed means client_credentials only (allowsGrant).
		if w := hs.do(call{form: f.secretF("nogrants")}); w.Code != 200 {
			t.Fatalf("client_credentials: %d %s", w.Code, w.Body)
		}
	})
	t.Run("an exchanged token never outlives its subject", func(t *testing.T) {
		subject := f.issueFor(t, "acme", "long")
		subjExp := int64(claimsOf(t, subject)["exp"].(float64))
		hs.now = hs.now.Add(10 * time.Minute)
		w := hs.do(call{form: exchangeForm("long", subject)})
		b := decode(t, w)
		if w.Code != 200 {
			t.Fatalf("%d %v", w.Code, b)
		}
		exp := int64(claimsOf(t, b["access_token"].(string))["exp"].(float64))
		if exp > subjExp || hs.now.Unix()+int64(b["expires_in"].(float64)) > subjExp {
			t.Fatalf("exchanged exp %d (expires_in %v) outlives the subject's %d", exp, b["expires_in"], subjExp)
		}
	})
	t.Run("an actor_token of another client is refused", func(t *testing.T) {
		subject := f.issueFor(t, "acme", "shark_agent_1")
		othersActor := f.issueFor(t, "acme", "shark_agent_2")
		w := hs.do(call{form: exchangeForm("shark_agent_1", subject, "actor_token", othersActor, "actor_token_type", AccessTokenType)})
		if b := decode(t, w); w.Code/100 != 4 {
			t.Fatalf("%d %v", w.Code, b)
		}
	})
	t.Run("a DPoP proof replayed 2 to 59 s later is refused", func(t *testing.T) {
		for _, later := range []time.Duration{2 * time.Second, 30 * time.Second, 59 * time.Second} {
			proof := f.p.proofAt(t, "POST", tokenURL, hs.now, "")
			if w := hs.do(call{form: f.secretF("shark_agent_1"), dpop: []string{proof}}); w.Code != 200 {
				t.Fatalf("first use: %d %s", w.Code, w.Body)
			}
			hs.now = hs.now.Add(later)
			w := hs.do(call{form: f.secretF("shark_agent_1"), dpop: []string{proof}})
			if b := decode(t, w); w.Code != 400 || b["error"] != "invalid_dpop_proof" {
				t.Fatalf("replayed %v later: %d %v", later, w.Code, b)
			}
		}
	})
	t.Run("introspection is owned by client_id, not sub", func(t *testing.T) {
		// A token issued to shark_agent_2 acting for shark_agent_1: its sub is
		// shark_agent_1, its client_id shark_agent_2.
		g := store.MayActGrant{ID: "mag_rules", FromID: "shark_agent_2", ToID: "shark_agent_1", MaxHops: 1, CreatedAt: hs.now}
		if err := hs.st.CreateGrant(t.Context(), acme, g, ev(hs, "may_act.granted")); err != nil {
			t.Fatal(err)
		}
		subject := f.issueFor(t, "acme", "shark_agent_1")
		w := hs.do(call{form: exchangeForm("shark_agent_2", subject)})
		b := decode(t, w)
		if w.Code != 200 {
			t.Fatalf("delegated exchange: %d %v", w.Code, b)
		}
		delegated := b["access_token"].(string)
		if c := claimsOf(t, delegated); c["sub"] != "shark_agent_1" || c["client_id"] != "shark_agent_2" {
			t.Fatalf("claims %v", c)
		}
		w = hs.do(call{path: "/oauth/introspect", form: form("token", delegated, "client_id", "shark_agent_1", "client_secret", secret)})
		if w.Code != 200 || w.Body.String() != `{"active":false}`+"\n" {
			t.Fatalf("the subject introspected a token it does not hold: %d %s", w.Code, w.Body)
		}
		w = hs.do(call{path: "/oauth/introspect", form: form("token", delegated, "client_id", "shark_agent_2", "client_secret", secret)})
		if b := decode(t, w); w.Code != 200 || b["active"] != true {
			t.Fatalf("the holder: %d %v", w.Code, b)
		}
	})
}

package token

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func ev(hs *harness, name string) store.AuditEvent {
	return store.AuditEvent{ID: ids.New("aud_"), Event: name, ActorType: "admin_key", ActorID: "test", Metadata: map[string]any{}, Status: "success", CreatedAt: hs.now}
}

// TestIntrospectionAfterEachRevocationLayer issues a DPoP-bound token per
// case, checks it introspects active, applies one revocation through the
// store's own method, and checks introspection answers exactly
// {"active":false} at once. The tenant is disabled last: it ends every token.
func TestIntrospectionAfterEachRevocationLayer(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	acme := tenant.MustID("acme")
	ctx := t.Context()
	admin := map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}
	user := store.User{ID: "usr_alice", Email: "alice@example.com", CreatedAt: hs.now, UpdatedAt: hs.now}
	if err := hs.st.CreateUser(ctx, acme, user, ev(hs, "user.created")); err != nil {
		t.Fatal(err)
	}
	change := func(clientID string, mutate func(*store.Client)) {
		_, err := hs.st.ChangeClient(ctx, acme, clientID, func(c *store.Client) error { mutate(c); return nil },
			func(store.Client) store.AuditEvent { return ev(hs, "agent.updated") })
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		client store.Client
		revoke func(tok string)
	}{
		{name: "L1 token revoked by jti", revoke: func(tok string) {
			if w := hs.do(call{path: "/oauth/revoke", form: form("token", tok), headers: admin}); w.Code != 200 {
				t.Fatalf("revoke %d", w.Code)
			}
		}},
		{name: "L2 agent deactivated", revoke: func(string) { change("layer-l2-agent-deactivated", func(c *store.Client) { c.Active = false }) }},
		{name: "L2 agent-wide revoke-all", revoke: func(string) {
			change("layer-l2-agent-wide-revoke-all", func(c *store.Client) { c.RevokedBefore = hs.now })
		}},
		{name: "L2 DPoP key rotated away", revoke: func(string) {
			change("layer-l2-dpop-key-rotated-away", func(c *store.Client) { c.DPoPJKT = f.other.jkt() })
		}},
		{name: "L3 user cascade", client: store.Client{CreatedBy: user.ID}, revoke: func(string) {
			if _, err := hs.st.RevokeUserAgents(ctx, acme, user.ID, "cancelled", ev(hs, "user.agents_revoked")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "L4 client_id pattern", client: store.Client{ClientID: "layer-l4-pattern-x"}, revoke: func(string) {
			if _, err := hs.st.RevokePattern(ctx, acme, "layer-l4-*", ev(hs, "oauth.tokens_bulk_revoked")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "emergency signing key rotation", revoke: func(string) {
			fresh, err := hs.sealer.New(ctx, acme)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := hs.st.RotateSigningKey(ctx, acme, fresh, store.RotateEmergency, ev(hs, audit.SigningKeyRotated)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "L5 tenant disabled", revoke: func(string) {
			if _, err := hs.st.UpdateTenant(ctx, acme, func(tn *store.Tenant) error { tn.Disabled, tn.DisabledAt = true, hs.now; return nil }, ev(hs, "tenant.updated")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.client
			if c.ClientID == "" {
				c.ClientID = "layer-" + strings.Join(strings.Fields(strings.ToLower(strings.NewReplacer("-", " ", "_", " ").Replace(tc.name))), "-")
			}
			c.Scopes, c.Active = []string{"mcp:read"}, true
			hs.client("acme", c)
			w := hs.do(call{form: f.secretF(c.ClientID), dpop: []string{f.proof()}})
			if w.Code != 200 {
				t.Fatalf("issue: %d %s", w.Code, w.Body)
			}
			tok := decode(t, w)["access_token"].(string)
			before := hs.do(call{path: "/oauth/introspect", form: form("token", tok), headers: admin})
			if decode(t, before)["active"] != true {
				t.Fatalf("not active before the revocation: %s", before.Body)
			}
			hs.now = hs.now.Add(time.Second)
			tc.revoke(tok)
			after := hs.do(call{path: "/oauth/introspect", form: form("token", tok), headers: admin})
			if after.Code != 200 || after.Body.String() != `{"active":false}`+"\n" {
				t.Fatalf("after: %d %q", after.Code, after.Body)
			}
		})
	}
}

// TestAuditOfIssuance: one oauth.token_issued per token, in the issuing
// transaction, with actor = client_id and metadata scope, jkt, aud,
// grant_type; no token or proof text anywhere in the events.
func TestAuditOfIssuance(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	proof := f.proof()
	w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "shark_agent_1", "client_secret", secret, "audience", "https://mcp.example.com"), dpop: []string{proof}})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	tok := decode(t, w)["access_token"].(string)
	jti := claimsOf(t, tok)["jti"].(string)
	exch := hs.do(call{form: exchangeForm("shark_agent_1", tok, "scope", "mcp:read")})
	if exch.Code != 200 {
		t.Fatalf("%d %s", exch.Code, exch.Body)
	}
	hs.do(call{path: "/oauth/revoke", form: form("token", tok), headers: map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}})
	events, err := hs.st.AuditEventsOn(t.Context(), tenant.MustID("acme"), hs.now)
	if err != nil {
		t.Fatal(err)
	}
	var issued, exchanged, revoked int
	for _, e := range events {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), "eyJ") || strings.Contains(string(b), secret) {
			t.Fatalf("event carries a token, proof or secret: %s", b)
		}
		switch e.Event {
		case audit.TokenIssued:
			issued++
			if e.ActorID != "shark_agent_1" || e.TargetID != jti || e.Metadata["scope"] != "mcp:read mcp:write" || e.Metadata["jkt"] != f.p.jkt() || e.Metadata["grant_type"] != "client_credentials" {
				t.Fatalf("issued event %s", b)
			}
			if aud, _ := e.Metadata["aud"].([]any); len(aud) != 1 || aud[0] != "https://mcp.example.com" {
				t.Fatalf("aud metadata %s", b)
			}
		case audit.TokenExchanged:
			exchanged++
			if e.Metadata["subject_jti"] != jti || e.Metadata["grant_type"] != GrantTokenExchange {
				t.Fatalf("exchanged event %s", b)
			}
		case audit.TokenRevoked:
			revoked++
			if e.TargetID != jti || e.ActorType != "admin_key" {
				t.Fatalf("revoked event %s", b)
			}
		}
	}
	if issued != 1 || exchanged != 1 || revoked != 1 {
		t.Fatalf("events issued %d exchanged %d revoked %d", issued, exchanged, revoked)
	}
}

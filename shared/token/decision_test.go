package token

import (
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// The five-layer decision as the token function applies it: which records
// it reads for a token, and what a failed read means.
func TestDecisionReads(t *testing.T) {
	hs := newHarness(t, nil)
	f := &fixtures{hs: hs, p: newProver(t)}
	acme := tenant.MustID("acme")
	ctx := t.Context()
	admin := map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}
	scopes := []string{"mcp:read"}
	for _, u := range []string{"usr_ann", "usr_bob"} {
		if err := hs.st.CreateUser(ctx, acme, store.User{ID: u, Email: u + "@example.com", CreatedAt: hs.now, UpdatedAt: hs.now}, ev(hs, "user.created")); err != nil {
			t.Fatal(err)
		}
	}
	hs.client("acme", store.Client{ClientID: "anns", Scopes: scopes, Active: true, CreatedBy: "usr_ann"})
	hs.client("acme", store.Client{ClientID: "holder", Scopes: scopes, Active: true})
	hs.client("acme", store.Client{ClientID: "subj", Scopes: scopes, Active: true})
	introspect := func(tok string) (int, string) {
		w := hs.do(call{path: "/oauth/introspect", form: form("token", tok), headers: admin})
		return w.Code, w.Body.String()
	}
	active := func(t *testing.T, tok string, want bool) {
		t.Helper()
		code, body := introspect(tok)
		if code != 200 || strings.Contains(body, `"active":true`) != want {
			t.Fatalf("introspection %d %s, want active=%v", code, body, want)
		}
	}
	hs.now = hs.now.Add(time.Second)
	tok := f.issueFor(t, "acme", "anns")

	t.Run("the user marker read is the agent's creator's", func(t *testing.T) {
		if _, err := hs.st.RevokeUserAgents(ctx, acme, "usr_bob", "", ev(hs, "user.agents_revoked")); err != nil {
			t.Fatal(err)
		}
		active(t, tok, true)
	})
	t.Run("a failed read of the user marker fails closed", func(t *testing.T) {
		hs.table.RefuseReads(func(partition string) error {
			if strings.Contains(partition, "USERREVOKED") {
				return store.ErrUnavailable
			}
			return nil
		})
		defer hs.table.RefuseReads(nil)
		code, body := introspect(tok)
		if code != 503 || strings.Contains(body, `"active":true`) {
			t.Fatalf("introspection with the marker unreadable: %d %s", code, body)
		}
		w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "anns", "client_secret", secret)})
		if w.Code != 503 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("issuance with the marker unreadable: %d %s", w.Code, w.Body)
		}
	})
	t.Run("client layers are read for the token's client_id, not its sub", func(t *testing.T) {
		g := store.MayActGrant{ID: "mag_decision", FromID: "holder", ToID: "subj", MaxHops: 1, CreatedAt: hs.now}
		if err := hs.st.CreateGrant(ctx, acme, g, ev(hs, "may_act.granted")); err != nil {
			t.Fatal(err)
		}
		w := hs.do(call{form: exchangeForm("holder", f.issueFor(t, "acme", "subj"))})
		if w.Code != 200 {
			t.Fatalf("exchange %d %s", w.Code, w.Body)
		}
		delegated := decode(t, w)["access_token"].(string)
		if c := claimsOf(t, delegated); c["sub"] != "subj" || c["client_id"] != "holder" {
			t.Fatalf("claims %v", c)
		}
		active(t, delegated, true)
		hs.now = hs.now.Add(time.Second)
		if _, err := hs.st.ChangeClient(ctx, acme, "holder", func(c *store.Client) error { c.Active = false; return nil },
			func(store.Client) store.AuditEvent { return ev(hs, "agent.updated") }); err != nil {
			t.Fatal(err)
		}
		active(t, delegated, false) // the subject "subj" is still active
	})
	t.Run("the creator's cascade ends the agent's token", func(t *testing.T) {
		hs.now = hs.now.Add(time.Second)
		if _, err := hs.st.RevokeUserAgents(ctx, acme, "usr_ann", "", ev(hs, "user.agents_revoked")); err != nil {
			t.Fatal(err)
		}
		active(t, tok, false)
	})
}

package token

import (
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestDelegatedTokenDiesWithItsChain: a token obtained by exchange records
// the clients it was obtained from or through (its subject and each actor)
// and dies, for introspection and for a further exchange, as soon as any of
// them is revoked, while the subject's own token is untouched by an actor's
// revocation.
func TestDelegatedTokenDiesWithItsChain(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	acme := tenant.MustID("acme")
	ctx := t.Context()
	for _, id := range []string{"chain-s", "chain-a", "chain-b"} {
		hs.client("acme", store.Client{ClientID: id, Scopes: []string{"mcp:read"}, Active: true})
	}
	for i, from := range []string{"chain-a", "chain-b"} {
		g := store.MayActGrant{ID: "mag_chain" + string(rune('0'+i)), FromID: from, ToID: "chain-s", MaxHops: 2, CreatedAt: hs.now}
		if err := hs.st.CreateGrant(ctx, acme, g, ev(hs, "may_act.granted")); err != nil {
			t.Fatal(err)
		}
	}
	exchange := func(actor, subject string) (string, int) {
		w := hs.do(call{form: exchangeForm(actor, subject)})
		b := decode(t, w)
		tok, _ := b["access_token"].(string)
		return tok, w.Code
	}
	admin := map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}
	active := func(tok string) bool {
		return decode(t, hs.do(call{path: "/oauth/introspect", form: form("token", tok), headers: admin}))["active"] == true
	}
	subject := f.issueFor(t, "acme", "chain-s")
	once, code := exchange("chain-a", subject)
	if code != 200 {
		t.Fatalf("first hop: %d", code)
	}
	twice, code := exchange("chain-b", once)
	if code != 200 {
		t.Fatalf("second hop: %d", code)
	}
	rec, err := hs.st.GetToken(ctx, acme, claimsOf(t, twice)["jti"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Delegation, []string{"chain-a", "chain-s"}) {
		t.Fatalf("the second hop's record depends on %q, want chain-a and chain-s", rec.Delegation)
	}
	if !active(once) || !active(twice) {
		t.Fatal("delegated tokens inactive before any revocation")
	}

	hs.now = hs.now.Add(time.Second)
	if _, err := hs.st.ChangeClient(ctx, acme, "chain-a", func(c *store.Client) error { c.RevokedBefore = hs.now; return nil },
		func(store.Client) store.AuditEvent { return ev(hs, "agent.tokens_revoked") }); err != nil {
		t.Fatal(err)
	}
	hs.now = hs.now.Add(time.Second)
	if active(once) || active(twice) {
		t.Fatal("a token delegated through a revoked actor is active")
	}
	if !active(subject) {
		t.Fatal("the subject's own token died with an actor")
	}
	if _, code := exchange("chain-b", twice); code != 400 {
		t.Fatalf("exchange of a token whose actor is revoked: %d, want 400 invalid_grant", code)
	}
	// Delegated afresh after the revocation: live again, and dies with the subject.
	fresh, _ := exchange("chain-a", subject)
	if !active(fresh) {
		t.Fatal("a delegation made after the revocation is inactive")
	}
	hs.now = hs.now.Add(time.Second)
	if _, err := hs.st.ChangeClient(ctx, acme, "chain-s", func(c *store.Client) error { c.Active = false; return nil },
		func(store.Client) store.AuditEvent { return ev(hs, "agent.updated") }); err != nil {
		t.Fatal(err)
	}
	if active(fresh) {
		t.Fatal("a delegated token outlives its deactivated subject")
	}
}

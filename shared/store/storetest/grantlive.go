package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func init() {
	checkedElsewhere["UserMarkOf"] = "Codes: conditions of a user's grant in the token's transaction"
}

// grantConditions checks the conditions a user's grant is issued under,
// checked in the token's transaction rather than read before it: a code is
// bound to the consent it was issued under (one revoked and granted again
// is another, whose id the code does not have) and to the user's cascade
// marker as it stood; a family's revocation refuses the issue. Every
// refused issue writes nothing. Tenant isolation of each.
func grantConditions(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "conditions-a")
	b := e.create(t, "conditions-b")
	c := e.client(t, a.id, "mcp")
	const cb = "https://app.test/cb"
	grant := func(id tenant.ID, user string) store.Consent {
		t.Helper()
		now := e.s.Now()
		cons := store.Consent{ID: "cns_chosen_by_the_caller", UserID: user, ClientID: c.ClientID, RedirectURI: cb, Scopes: []string{"mcp:read"}, CreatedAt: now, UpdatedAt: now}
		if err := e.s.GrantConsent(ctx, id, cons, auditEvent(now, store.DefaultAuditShards, "consent.granted", user, c.ClientID)); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetConsent(ctx, id, user, c.ClientID, cb)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	newCode := func(id tenant.ID, user string) (store.AuthCode, error) {
		now := e.s.Now()
		code := store.AuthCode{ID: ids.New("code_"), Hash: ids.Hash(ids.NewSecret()), ClientID: c.ClientID, RedirectURI: cb,
			Challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Scope: "mcp:read", UserID: user, CreatedAt: now, ExpiresAt: now.Add(store.MaxCodeLifetime),
			ConsentID: "cns_chosen_by_the_caller"}
		ev := auditEvent(now, store.DefaultAuditShards, "oauth.code_issued", user, code.ID)
		if err := e.s.CreateAuthCode(ctx, id, code, ev); err != nil {
			if _, evErr := e.s.GetAuditEvent(ctx, id, ev.ID); !errors.Is(evErr, store.ErrNotFound) {
				t.Fatalf("a refused code wrote its event: %v", evErr)
			}
			return store.AuthCode{}, err
		}
		return e.s.AuthCodeByHash(ctx, id, code.Hash)
	}
	// issue issues a token with steps and checks that a refusal wrote nothing.
	issue := func(id tenant.ID, user string, steps ...store.IssueStep) error {
		t.Helper()
		now := e.s.Now()
		rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, Subject: user, User: user, Family: ids.New("fam_"),
			IssuedAt: now, ExpiresAt: now.Add(time.Hour), GrantType: "authorization_code"}
		err := e.s.IssueToken(ctx, id, store.Issuance{Token: rec, Steps: steps,
			Event: auditEvent(now, store.DefaultAuditShards, "oauth.token_issued", c.ClientID, rec.JTI)})
		if err != nil {
			if _, gerr := e.s.GetToken(ctx, id, rec.JTI); !errors.Is(gerr, store.ErrNotFound) {
				t.Fatalf("a refused issue wrote its token: %v", gerr)
			}
		}
		return err
	}
	revoke := func(id tenant.ID, cons store.Consent) {
		t.Helper()
		ev := auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.revoked", cons.UserID, cons.ID)
		if _, err := e.s.RevokeConsent(ctx, id, cons.UserID, cons.ID, func(store.Consent) store.AuditEvent { return ev }); err != nil {
			t.Fatal(err)
		}
	}
	cascade := func(id tenant.ID, user string) {
		t.Helper()
		e.clock.Advance(time.Second)
		if _, err := e.s.RevokeUserAgents(ctx, id, user, "", auditEvent(e.s.Now(), store.DefaultAuditShards, "user.agents_revoked", "admin", user)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
	}

	t.Run("a code needs a consent, and carries its id and the user's marker", func(t *testing.T) {
		_, err := newCode(a.id, "usr_none")
		wantErr(t, "a code without a consent", err, store.ErrConsentRevoked)
		cons := grant(a.id, "usr_1")
		if cons.ID == "cns_chosen_by_the_caller" || cons.ID == "" {
			t.Fatalf("the store took the caller's consent id %q", cons.ID)
		}
		code, err := newCode(a.id, "usr_1")
		if err != nil || code.ConsentID != cons.ID || code.UserMark == nil || *code.UserMark != 0 {
			t.Fatalf("code %+v, %v", code, err)
		}
		again := grant(a.id, "usr_1")
		if again.ID != cons.ID {
			t.Fatalf("the consent granted again at its place changed its id: %s, then %s", cons.ID, again.ID)
		}
		if err := issue(a.id, "usr_1", store.JoinCodeConsent(code, ids.New("fam_"))); err != nil {
			t.Fatalf("a code of a consent granted again (not revoked): %v", err)
		}
	})

	t.Run("a code dies with its consent, even one granted again", func(t *testing.T) {
		cons := grant(a.id, "usr_2")
		old, err := newCode(a.id, "usr_2")
		if err != nil {
			t.Fatal(err)
		}
		revoke(a.id, cons)
		err = issue(a.id, "usr_2", store.JoinCodeConsent(old, ids.New("fam_")))
		wantErr(t, "a code of the revoked consent", err, store.ErrConsentRevoked)
		fresh := grant(a.id, "usr_2")
		if fresh.ID == cons.ID {
			t.Fatal("the consent granted again after its revocation kept the revoked id")
		}
		err = issue(a.id, "usr_2", store.JoinCodeConsent(old, ids.New("fam_")))
		wantErr(t, "a code of the revoked consent, granted again since", err, store.ErrConsentRevoked)
		code, err := newCode(a.id, "usr_2")
		if err != nil || code.ConsentID != fresh.ID {
			t.Fatalf("a code of the new consent %+v, %v", code, err)
		}
		if err := issue(a.id, "usr_2", store.JoinCodeConsent(code, ids.New("fam_"))); err != nil {
			t.Fatalf("a code of the new consent: %v", err)
		}
		// Another tenant's consent of the same user, client and id is not it.
		grant(b.id, "usr_2")
		err = issue(b.id, "usr_2", store.JoinCodeConsent(code, ids.New("fam_")))
		wantErr(t, "a code under another tenant's consent", err, store.ErrConsentRevoked)
	})

	t.Run("the user's cascade marker: the version the grant saw, or refused", func(t *testing.T) {
		if m, err := e.s.UserMarkOf(ctx, a.id, "usr_3"); err != nil || m != 0 {
			t.Fatalf("UserMarkOf without a marker: %d, %v", m, err)
		}
		if err := issue(a.id, "usr_3", store.UserUnrevoked("usr_3", 0)); err != nil {
			t.Fatalf("no marker: %v", err)
		}
		grant(a.id, "usr_3")
		code, err := newCode(a.id, "usr_3")
		if err != nil {
			t.Fatal(err)
		}
		cascade(a.id, "usr_3")
		err = issue(a.id, "usr_3", store.UserUnrevoked("usr_3", *code.UserMark))
		wantErr(t, "a code issued before the cascade", err, store.ErrUserRevoked)
		m1, err := e.s.UserMarkOf(ctx, a.id, "usr_3")
		if err != nil || m1 == 0 {
			t.Fatalf("UserMarkOf after a cascade: %d, %v", m1, err)
		}
		after, err := newCode(a.id, "usr_3")
		if err != nil || after.UserMark == nil || *after.UserMark != m1 {
			t.Fatalf("a code after the cascade %+v (marker %d), %v", after, m1, err)
		}
		if err := issue(a.id, "usr_3", store.UserUnrevoked("usr_3", m1)); err != nil {
			t.Fatalf("a grant authorized after the cascade: %v", err)
		}
		cascade(a.id, "usr_3")
		err = issue(a.id, "usr_3", store.UserUnrevoked("usr_3", m1))
		wantErr(t, "a grant authorized before a second cascade", err, store.ErrUserRevoked)
		// Deleting the user moves the marker too.
		u := e.user(t, a.id, "del@example.com")
		m2, _ := e.s.UserMarkOf(ctx, a.id, u.ID)
		if _, err := e.s.DeleteUser(ctx, a.id, u.ID, "", auditEvent(e.s.Now(), store.DefaultAuditShards, "user.deleted", "admin", u.ID)); err != nil {
			t.Fatal(err)
		}
		err = issue(a.id, u.ID, store.UserUnrevoked(u.ID, m2))
		wantErr(t, "a grant of a deleted user", err, store.ErrUserRevoked)
		// Another tenant's marker of the same user id is not this one's.
		if m, err := e.s.UserMarkOf(ctx, b.id, "usr_3"); err != nil || m != 0 {
			t.Fatalf("another tenant's marker: %d, %v", m, err)
		}
		if err := issue(b.id, "usr_3", store.UserUnrevoked("usr_3", 0)); err != nil {
			t.Fatalf("another tenant's cascade refused this one's grant: %v", err)
		}
		_, err = e.s.UserMarkOf(ctx, tenant.ID{}, "usr_3")
		wantErr(t, "no tenant", err, store.ErrNoTenant)
	})

	t.Run("a revoked family refuses the issue", func(t *testing.T) {
		fam := ids.New("fam_")
		if err := issue(a.id, "usr_4", store.FamilyLive(fam)); err != nil {
			t.Fatalf("a live family: %v", err)
		}
		if err := e.s.RevokeFamily(ctx, b.id, fam, "x", auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.refresh_reuse_detected", "x", fam)); err != nil {
			t.Fatal(err)
		}
		if err := issue(a.id, "usr_4", store.FamilyLive(fam)); err != nil {
			t.Fatalf("another tenant's family marker refused this one's: %v", err)
		}
		if err := e.s.RevokeFamily(ctx, a.id, fam, "x", auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.refresh_reuse_detected", "x", fam)); err != nil {
			t.Fatal(err)
		}
		err := issue(a.id, "usr_4", store.FamilyLive(fam))
		wantErr(t, "a revoked family", err, store.ErrFamilyRevoked)
	})
}

package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func init() {
	checkedElsewhere["RevokeConsent"] = "Sessions: consent revocation ends its families"
}

// consentRevocation checks that the grant families issued under a consent
// (JoinConsent in the token's transaction) are revoked with it, in the
// transaction of its deletion and audit event; that an issue under a
// consent no longer there is refused with nothing written; and tenant
// isolation.
func consentRevocation(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "consents-a")
	b := e.create(t, "consents-b")
	c := e.client(t, a.id, "mcp")
	const cb, other = "https://app.example/cb", "https://app.example/other"
	grant := func(id tenant.ID, redirect string) store.Consent {
		t.Helper()
		cons := store.Consent{UserID: "usr_1", ClientID: c.ClientID, RedirectURI: redirect, Scopes: []string{"mcp:read"}, CreatedAt: e.s.Now(), UpdatedAt: e.s.Now()}
		if err := e.s.GrantConsent(ctx, id, cons, auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.granted", "usr_1", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetConsent(ctx, id, "usr_1", c.ClientID, redirect)
		if err != nil || got.ID == "" {
			t.Fatalf("consent %+v without an id, %v", got, err)
		}
		return got
	}
	issue := func(id tenant.ID, redirect string) (store.TokenRecord, error) {
		now := e.s.Now()
		rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, Subject: "usr_1", User: "usr_1", Family: ids.New("fam_"),
			IssuedAt: now, ExpiresAt: now.Add(time.Hour), GrantType: "authorization_code"}
		return rec, e.s.IssueToken(ctx, id, store.Issuance{Token: rec, Steps: []store.IssueStep{store.JoinConsent("usr_1", c.ClientID, redirect, rec.Family)},
			Event: auditEvent(now, store.DefaultAuditShards, "oauth.token_issued", c.ClientID, rec.JTI)})
	}
	revoked := func(id tenant.ID, family string) bool {
		t.Helper()
		_, err := e.s.GetFamilyRevocation(ctx, id, family)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	cons := grant(a.id, cb)
	grant(a.id, other)
	// More families than one transaction marks: the rest in further ones.
	var under []store.TokenRecord
	for range 47 {
		rec, err := issue(a.id, cb)
		if err != nil {
			t.Fatal(err)
		}
		under = append(under, rec)
	}
	beside, err := issue(a.id, other)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := issue(b.id, cb)
	wantErr(t, "an issue under another tenant's consent", err, store.ErrConsentRevoked)
	if _, err := e.s.GetToken(ctx, b.id, rec.JTI); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused issue wrote its token: %v", err)
	}

	ev := auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.revoked", "usr_1", cons.ID)
	_, err = e.s.RevokeConsent(ctx, b.id, "usr_1", cons.ID, func(store.Consent) store.AuditEvent { return ev })
	wantErr(t, "revoking another tenant's consent", err, store.ErrNotFound)
	if _, err := e.s.GetAuditEvent(ctx, b.id, ev.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused revocation wrote its event: %v", err)
	}
	got, err := e.s.RevokeConsent(ctx, a.id, "usr_1", cons.ID, func(store.Consent) store.AuditEvent { return ev })
	if err != nil || got.ID != cons.ID || got.RedirectURI != cb {
		t.Fatalf("RevokeConsent: %+v, %v", got, err)
	}
	if _, err := e.s.GetAuditEvent(ctx, a.id, ev.ID); err != nil {
		t.Fatalf("consent.revoked event: %v", err)
	}
	for i, r := range under {
		if !revoked(a.id, r.Family) {
			t.Fatalf("family %d of the revoked consent is live", i)
		}
	}
	if revoked(a.id, beside.Family) {
		t.Fatal("the family of the consent at another redirect URI was revoked")
	}
	if _, err := e.s.GetConsent(ctx, a.id, "usr_1", c.ClientID, cb); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the revoked consent is still there: %v", err)
	}
	if list, err := e.s.ListConsents(ctx, a.id, "usr_1"); err != nil || len(list) != 1 || list[0].RedirectURI != other {
		t.Fatalf("consents left %+v, %v", list, err)
	}
	_, err = issue(a.id, cb)
	wantErr(t, "an issue under the revoked consent", err, store.ErrConsentRevoked)
	again := auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.revoked", "usr_1", cons.ID)
	_, err = e.s.RevokeConsent(ctx, a.id, "usr_1", cons.ID, func(store.Consent) store.AuditEvent { return again })
	wantErr(t, "revoking it again", err, store.ErrNotFound)
	_, err = e.s.RevokeConsent(ctx, a.id, "usr_2", cons.ID, func(store.Consent) store.AuditEvent { return again })
	wantErr(t, "revoking it as another user's", err, store.ErrNotFound)
	if _, err := e.s.GetAuditEvent(ctx, a.id, again.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused revocation wrote its event: %v", err)
	}

	// Parallel revocations of one consent: one revokes it, the others find
	// nothing (and write no event).
	for round := range 5 {
		racing := grant(a.id, cb)
		const n = 8
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		evs := make([]store.AuditEvent, n)
		for i := range n {
			evs[i] = auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.revoked", "usr_1", racing.ID)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = e.s.RevokeConsent(ctx, a.id, "usr_1", racing.ID, func(store.Consent) store.AuditEvent { return evs[i] })
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			_, evErr := e.s.GetAuditEvent(ctx, a.id, evs[i].ID)
			switch {
			case err == nil:
				won++
				if evErr != nil {
					t.Fatalf("round %d: the revocation's event: %v", round, evErr)
				}
			case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnavailable):
				if evErr == nil {
					t.Fatalf("round %d: a refused revocation wrote its event", round)
				}
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d parallel revocations of one consent succeeded", round, won)
		}
	}
}

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

func init() {
	for _, m := range []string{"CreateSession", "SessionByHash", "DeleteSession", "GrantConsent", "GetConsent", "ListConsents"} {
		checkedElsewhere[m] = "Sessions: tenant isolation"
	}
}

// domainSessions checks the authorize function's sign-in sessions (kept by
// the hash of their cookie, with an expiry) and consents (per user, client
// and redirect URI), each written with its audit event or not at all.
func domainSessions(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "sessions-a")
	b := e.create(t, "sessions-b")
	newSession := func(user string, ttl time.Duration) (store.Session, store.AuditEvent) {
		now := e.s.Now()
		return store.Session{ID: ids.New("ses_"), Hash: ids.Hash(ids.NanoID()), UserID: user, CreatedAt: now, ExpiresAt: now.Add(ttl)},
			auditEvent(now, store.DefaultAuditShards, "user.signed_in", user, user)
	}
	hasEvent := func(t *testing.T, ev store.AuditEvent, want bool) {
		t.Helper()
		_, err := e.s.GetAuditEvent(ctx, a.id, ev.ID)
		if (err == nil) != want {
			t.Fatalf("audit event %s written: %v, want %v", ev.Event, err == nil, want)
		}
	}

	t.Run("create, read by hash, delete", func(t *testing.T) {
		ses, ev := newSession("usr_1", time.Hour)
		if err := e.s.CreateSession(ctx, a.id, ses, ev); err != nil {
			t.Fatal(err)
		}
		hasEvent(t, ev, true)
		got, err := e.s.SessionByHash(ctx, a.id, ses.Hash)
		if err != nil || got.ID != ses.ID || got.UserID != "usr_1" || !got.ExpiresAt.Equal(ses.ExpiresAt) {
			t.Fatalf("read %+v, %v", got, err)
		}
		_, dup := newSession("usr_1", time.Hour)
		wantErr(t, "a second session with the same hash", e.s.CreateSession(ctx, a.id, ses, dup), store.ErrConflict)
		hasEvent(t, dup, false)
		out := auditEvent(e.s.Now(), store.DefaultAuditShards, "user.signed_out", "usr_1", "usr_1")
		if err := e.s.DeleteSession(ctx, a.id, ses.Hash, out); err != nil {
			t.Fatal(err)
		}
		hasEvent(t, out, true)
		_, err = e.s.SessionByHash(ctx, a.id, ses.Hash)
		wantErr(t, "a deleted session", err, store.ErrNotFound)
		again := auditEvent(e.s.Now(), store.DefaultAuditShards, "user.signed_out", "usr_1", "usr_1")
		wantErr(t, "deleting it again", e.s.DeleteSession(ctx, a.id, ses.Hash, again), store.ErrNotFound)
		hasEvent(t, again, false)
	})
	t.Run("an expired session is gone", func(t *testing.T) {
		ses, ev := newSession("usr_2", time.Minute)
		if err := e.s.CreateSession(ctx, a.id, ses, ev); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Minute)
		_, err := e.s.SessionByHash(ctx, a.id, ses.Hash)
		wantErr(t, "an expired session", err, store.ErrNotFound)
	})
	t.Run("refuses incomplete records", func(t *testing.T) {
		ses, ev := newSession("", time.Hour)
		if err := e.s.CreateSession(ctx, a.id, ses, ev); err == nil {
			t.Fatal("stored a session without a user")
		}
		if err := e.s.GrantConsent(ctx, a.id, store.Consent{UserID: "u", ClientID: "c"}, ev); err == nil {
			t.Fatal("stored a consent without a redirect URI")
		}
		hasEvent(t, ev, false)
	})

	consent := store.Consent{UserID: "usr_1", ClientID: "app", RedirectURI: "https://app.example/cb",
		Scopes: []string{"mcp:read"}, Resources: []string{"https://mcp.example"}, CreatedAt: e.s.Now(), UpdatedAt: e.s.Now()}
	t.Run("consent per user, client and redirect URI", func(t *testing.T) {
		ev := auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.granted", "usr_1", "app")
		if err := e.s.GrantConsent(ctx, a.id, consent, ev); err != nil {
			t.Fatal(err)
		}
		hasEvent(t, ev, true)
		got, err := e.s.GetConsent(ctx, a.id, "usr_1", "app", "https://app.example/cb")
		if err != nil || !slices.Equal(got.Scopes, consent.Scopes) || !slices.Equal(got.Resources, consent.Resources) {
			t.Fatalf("read %+v, %v", got, err)
		}
		if !got.Covers([]string{"mcp:read"}, nil) || got.Covers([]string{"mcp:read", "mcp:write"}, nil) || got.Covers(nil, []string{"https://other.example"}) {
			t.Fatal("Covers is wrong")
		}
		for _, miss := range [][3]string{{"usr_2", "app", "https://app.example/cb"}, {"usr_1", "other", "https://app.example/cb"}, {"usr_1", "app", "https://app.example/other"}} {
			_, err := e.s.GetConsent(ctx, a.id, miss[0], miss[1], miss[2])
			wantErr(t, "consent of another user, client or redirect URI", err, store.ErrNotFound)
		}
		wider := consent
		wider.Scopes = []string{"mcp:read", "mcp:write"}
		if err := e.s.GrantConsent(ctx, a.id, wider, auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.granted", "usr_1", "app")); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.GetConsent(ctx, a.id, "usr_1", "app", "https://app.example/cb"); !slices.Equal(got.Scopes, wider.Scopes) {
			t.Fatalf("a new grant did not replace the consent: %v", got.Scopes)
		}
		list, err := e.s.ListConsents(ctx, a.id, "usr_1")
		if err != nil || len(list) != 1 {
			t.Fatalf("list %v, %v", list, err)
		}
	})
	t.Run("tenant isolation", func(t *testing.T) {
		ses, ev := newSession("usr_1", time.Hour)
		if err := e.s.CreateSession(ctx, a.id, ses, ev); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.SessionByHash(ctx, b.id, ses.Hash)
		wantErr(t, "another tenant's session", err, store.ErrNotFound)
		wantErr(t, "deleting another tenant's session", e.s.DeleteSession(ctx, b.id, ses.Hash, ev), store.ErrNotFound)
		if _, err := e.s.SessionByHash(ctx, a.id, ses.Hash); err != nil {
			t.Fatalf("the other tenant's delete removed it: %v", err)
		}
		_, err = e.s.GetConsent(ctx, b.id, "usr_1", "app", "https://app.example/cb")
		wantErr(t, "another tenant's consent", err, store.ErrNotFound)
		if list, err := e.s.ListConsents(ctx, b.id, "usr_1"); err != nil || len(list) != 0 {
			t.Fatalf("another tenant's consents listed: %v, %v", list, err)
		}
		if err := e.s.GrantConsent(ctx, b.id, consent, auditEvent(e.s.Now(), store.DefaultAuditShards, "consent.granted", "usr_1", "app")); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.GetConsent(ctx, a.id, "usr_1", "app", "https://app.example/cb"); len(got.Scopes) != 2 {
			t.Fatalf("another tenant's grant changed this one's consent: %v", got.Scopes)
		}
	})
	t.Run("consent revocation ends its families", func(t *testing.T) { consentRevocation(t, e) })
	t.Run("no tenant", func(t *testing.T) {
		_, err := e.s.SessionByHash(ctx, tenant.ID{}, []byte("x"))
		if !errors.Is(err, store.ErrNoTenant) {
			t.Fatalf("want ErrNoTenant, got %v", err)
		}
	})
}

package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func domainTokens(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	c := e.client(t, fx.id, "agent")
	rec := e.token(t, fx.id, c, time.Hour, "jkt-1")

	t.Run("get", func(t *testing.T) {
		got, err := e.s.GetToken(ctx, fx.id, rec.JTI)
		if err != nil || got.ClientID != c.ClientID || got.JKT != "jkt-1" || !got.IssuedAt.Equal(rec.IssuedAt) || !slices.Equal(got.Audience, rec.Audience) {
			t.Fatalf("get: %+v %v", got, err)
		}
	})
	t.Run("replay marks are single use", func(t *testing.T) {
		now := e.s.Now()
		mark := store.ReplayMark{Kind: "dpop", Value: "proof-jti-1", Until: now.Add(2 * time.Minute)}
		r1 := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r1, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatal(err)
		}
		r2 := r1
		r2.JTI = ids.NanoID()
		other := store.ReplayMark{Kind: "assertion", Value: "fresh", Until: now.Add(time.Minute)}
		err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r2, Marks: []store.ReplayMark{other, mark}, Event: event(now, "oauth.token_issued", c.ClientID)})
		wantErr(t, "replayed proof", err, store.ErrReplay)
		if _, err := e.s.GetToken(ctx, fx.id, r2.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a replay wrote its token: %v", err)
		}
		// The fresh mark of the failed issue was not consumed.
		r3 := r1
		r3.JTI = ids.NanoID()
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r3, Marks: []store.ReplayMark{other}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("mark of a failed issue consumed: %v", err)
		}
		// The same value of another kind, or in another tenant, is another mark.
		r4 := r1
		r4.JTI = ids.NanoID()
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r4, Marks: []store.ReplayMark{{Kind: "assertion", Value: "proof-jti-1", Until: mark.Until}}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("kinds share marks: %v", err)
		}
		b := e.create(t, "bravo")
		if err := e.s.IssueToken(ctx, b.id, store.Issuance{Token: r1, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("tenants share marks: %v", err)
		}
		// After Until the mark is gone.
		e.clock.Advance(3 * time.Minute)
		r5 := r1
		r5.JTI = ids.NanoID()
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r5, Marks: []store.ReplayMark{mark}, Event: event(e.s.Now(), "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("expired mark still blocks: %v", err)
		}
		err = e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r5, Event: event(e.s.Now(), "oauth.token_issued", c.ClientID)})
		wantErr(t, "same jti twice", err, store.ErrConflict)
	})
	t.Run("revoke", func(t *testing.T) {
		if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
			t.Fatal(err)
		}
		got, _ := e.s.GetToken(ctx, fx.id, rec.JTI)
		if got.RevokedAt.IsZero() {
			t.Fatal("not revoked")
		}
		first := got.RevokedAt
		e.clock.Advance(time.Second)
		if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.GetToken(ctx, fx.id, rec.JTI); !got.RevokedAt.Equal(first) {
			t.Fatal("a second revoke moved the time")
		}
		wantErr(t, "unknown jti", e.s.RevokeToken(ctx, fx.id, "nope", event(e.s.Now(), "oauth.token_revoked", "nope")), store.ErrNotFound)
	})
	t.Run("client tokens page newest first and expire", func(t *testing.T) {
		d := e.client(t, fx.id, "lister")
		var want []string
		for range 5 {
			want = append(want, e.token(t, fx.id, d, time.Hour, "").JTI)
		}
		short := e.token(t, fx.id, d, time.Second, "")
		want = append(want, short.JTI)
		slices.Reverse(want)
		var got []string
		pr := store.PageRequest{Limit: 2}
		for range 10 {
			page, err := e.s.ListClientTokens(ctx, fx.id, d.ClientID, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				got = append(got, r.JTI)
			}
			if pr.Cursor = page.Next; pr.Cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		first, _ := e.s.ListClientTokens(ctx, fx.id, d.ClientID, store.PageRequest{Limit: 2})
		_, err := e.s.ListClientTokens(ctx, fx.id, c.ClientID, store.PageRequest{Cursor: first.Next})
		wantErr(t, "another client's cursor", err, store.ErrBadCursor)
		e.clock.Advance(2 * time.Second)
		all, err := e.s.ClientTokens(ctx, fx.id, d.ClientID)
		if err != nil || len(all) != 5 || slices.ContainsFunc(all, func(r store.TokenRecord) bool { return r.JTI == short.JTI }) {
			t.Fatalf("after expiry: %d %v", len(all), err)
		}
		if _, err := e.s.GetToken(ctx, fx.id, short.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired token readable: %v", err)
		}
	})
	// Last: it moves the clock a day.
	t.Run("lifetimes are bounded and listings reach the longest", func(t *testing.T) {
		now := e.s.Now()
		long := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, IssuedAt: now, ExpiresAt: now.Add(store.MaxTokenLifetime + time.Second)}
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: long, Event: event(now, "oauth.token_issued", c.ClientID)}); err == nil {
			t.Fatal("a token living past MaxTokenLifetime was issued")
		}
		if _, err := e.s.GetToken(ctx, fx.id, long.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the refused token was written: %v", err)
		}
		lc := e.client(t, fx.id, "long-lived")
		tok := e.token(t, fx.id, lc, store.MaxTokenLifetime, "")
		e.clock.Advance(store.MaxTokenLifetime - time.Second)
		page, err := e.s.ListClientTokens(ctx, fx.id, lc.ClientID, store.PageRequest{})
		if err != nil || len(page.Items) != 1 || page.Items[0].JTI != tok.JTI {
			t.Fatalf("a token one second from its 24 h expiry is not listed: %+v %v", page.Items, err)
		}
		if all, err := e.s.ClientTokens(ctx, fx.id, lc.ClientID); err != nil || len(all) != 1 {
			t.Fatalf("ClientTokens: %d %v", len(all), err)
		}
		e.clock.Advance(2 * time.Second)
		if page, err := e.s.ListClientTokens(ctx, fx.id, lc.ClientID, store.PageRequest{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("an expired token is listed: %+v %v", page.Items, err)
		}
	})
}

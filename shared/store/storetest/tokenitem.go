package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// domainTokenItems (issue 23, budget 5): a token is one item holding its
// record and its issue event, keyed by its jti's random part, which a DPoP
// proof derives. A proof used or spent once refuses every later issue with
// it; a spent proof's placeholder is no token; a token of the older layout
// stays readable; the trail lists the token items' events exactly once,
// beside the events stored on their own, on every path (unfiltered, actor,
// target, involving, by id, export, purge) and across pages; a purge never
// takes a live token away; nothing crosses tenants.
func domainTokenItems(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "tok-item")
	other := e.create(t, "tok-item-b")
	c := e.client(t, fx.id, "ti-agent")
	c2 := e.client(t, fx.id, "ti-other")

	// issue issues a token to cl as the token endpoint does; with proof,
	// a DPoP token whose jti derives from it.
	issue := func(id tenant.ID, cl store.Client, proof *store.ReplayMark, ttl time.Duration) (store.TokenRecord, store.AuditEvent, error) {
		now := e.s.Now()
		jti, evID, evAt := store.NewTokenIDs(now, store.DefaultAuditShards)
		var marks []store.ReplayMark
		jkt := ""
		if proof != nil {
			jti, evID, evAt = store.NewDPoPTokenIDs(now, store.DefaultAuditShards, *proof)
			marks, jkt = []store.ReplayMark{*proof}, "jkt-1"
		}
		rec := store.TokenRecord{JTI: jti, ClientID: cl.ClientID, AgentID: cl.ID, Subject: cl.ClientID, Scope: "mcp:read mcp:write",
			Audience: []string{"https://api.test"}, JKT: jkt, KID: "kid-1", GrantType: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(ttl)}
		ev := store.AuditEvent{ID: evID, Event: "oauth.token_issued", ActorType: "client", ActorID: cl.ClientID, TargetType: "token", TargetID: jti,
			Status: "success", IP: "203.0.113.7", UserAgent: "agent/1.0", CreatedAt: evAt,
			Metadata: map[string]any{"scope": rec.Scope, "jkt": jkt, "aud": rec.Audience, "grant_type": rec.GrantType, "jti": jti, "extra": "x"}}
		err := e.s.IssueToken(ctx, id, store.Issuance{Token: rec, Marks: marks, Event: ev})
		rec.Version = 1
		e.clock.Advance(time.Millisecond)
		return rec, ev, err
	}
	mustIssue := func(id tenant.ID, cl store.Client, proof *store.ReplayMark, ttl time.Duration) (store.TokenRecord, store.AuditEvent) {
		t.Helper()
		rec, ev, err := issue(id, cl, proof, ttl)
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		return rec, ev
	}
	mark := func(v string) *store.ReplayMark {
		return &store.ReplayMark{Kind: "dpop", Value: "jkt-1|" + v, Until: e.s.Now().Add(time.Minute)}
	}
	wantToken := func(t *testing.T, id tenant.ID, want store.TokenRecord) {
		t.Helper()
		got, err := e.s.GetToken(ctx, id, want.JTI)
		if err != nil {
			t.Fatalf("GetToken %s: %v", want.JTI, err)
		}
		if got.JTI != want.JTI || got.ClientID != want.ClientID || got.Scope != want.Scope || !slices.Equal(got.Audience, want.Audience) ||
			got.JKT != want.JKT || !got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) || got.AgentID != want.AgentID ||
			!got.RevokedAt.Equal(want.RevokedAt) || got.GrantType != want.GrantType || got.KID != want.KID || got.Subject != want.Subject {
			t.Fatalf("GetToken = %+v, want %+v", got, want)
		}
	}
	listed := func(t *testing.T, id tenant.ID, client string, limit int) []string {
		t.Helper()
		var jtis []string
		cursor := ""
		for range 100 {
			page, err := e.s.ListClientTokens(ctx, id, client, store.PageRequest{Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if page.Next != "" && len(page.Items) != limit {
				t.Fatalf("short page %d with a next cursor", len(page.Items))
			}
			for _, r := range page.Items {
				jtis = append(jtis, r.JTI)
			}
			if cursor = page.Next; cursor == "" {
				return jtis
			}
		}
		t.Fatal("paging does not end")
		return nil
	}

	proof1 := mark("p1")
	tok1, ev1 := mustIssue(fx.id, c, proof1, time.Hour)
	t.Run("a DPoP token is read back whole", func(t *testing.T) {
		wantToken(t, fx.id, tok1)
		// Another jti with the same random part (another time) is no token.
		guess := ids.TaggedTimeID(e.s.Now().Add(time.Hour), 0)[:9] + tok1.JTI[9:]
		if _, err := e.s.GetToken(ctx, fx.id, guess); guess == tok1.JTI || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetToken of %s (for %s): %v", guess, tok1.JTI, err)
		}
		got, err := e.s.GetAuditEvent(ctx, fx.id, ev1.ID)
		if err != nil {
			t.Fatalf("GetAuditEvent: %v", err)
		}
		if got.ID != ev1.ID || got.Event != ev1.Event || got.ActorID != c.ClientID || got.ActorType != "client" || got.TargetID != tok1.JTI ||
			got.TargetType != "token" || got.IP != ev1.IP || got.UserAgent != ev1.UserAgent || got.Status != "success" || !got.CreatedAt.Equal(ev1.CreatedAt) ||
			got.Metadata["scope"] != tok1.Scope || got.Metadata["jti"] != tok1.JTI || got.Metadata["extra"] != "x" || got.Metadata["jkt"] != "jkt-1" {
			t.Fatalf("event = %+v, want %+v", got, ev1)
		}
		if aud, _ := got.Metadata["aud"].([]any); len(aud) != 1 || aud[0] != "https://api.test" {
			t.Fatalf("event aud = %#v", got.Metadata["aud"])
		}
	})
	t.Run("the same proof again is a replay, whatever the time", func(t *testing.T) {
		e.clock.Advance(time.Second)
		_, _, err := issue(fx.id, c, proof1, time.Hour)
		if !errors.Is(err, store.ErrReplay) {
			t.Fatalf("second issue with the proof: %v, want ErrReplay", err)
		}
		if got := listed(t, fx.id, c.ClientID, 50); !slices.Equal(got, []string{tok1.JTI}) {
			t.Fatalf("tokens after the replay: %v", got)
		}
		// Spending a used proof is no error and leaves its token alone.
		if err := e.s.SpendMarks(ctx, fx.id, []store.ReplayMark{*proof1}); err != nil {
			t.Fatal(err)
		}
		wantToken(t, fx.id, tok1)
	})
	spent := mark("p-spent")
	t.Run("a spent proof is refused and its placeholder is no token", func(t *testing.T) {
		if err := e.s.SpendMarks(ctx, fx.id, []store.ReplayMark{*spent}); err != nil {
			t.Fatal(err)
		}
		rec, ev, err := issue(fx.id, c, spent, time.Hour)
		if !errors.Is(err, store.ErrReplay) {
			t.Fatalf("issue with a spent proof: %v, want ErrReplay", err)
		}
		if _, err := e.s.GetToken(ctx, fx.id, rec.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetToken at a placeholder: %v", err)
		}
		if _, err := e.s.GetAuditEvent(ctx, fx.id, ev.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetAuditEvent at a placeholder: %v", err)
		}
		if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RevokeToken at a placeholder: %v", err)
		}
		// A token of the older layout issued with a spent proof is refused too.
		old := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, IssuedAt: e.s.Now(), ExpiresAt: e.s.Now().Add(time.Hour)}
		err = e.s.IssueToken(ctx, fx.id, store.Issuance{Token: old, Marks: []store.ReplayMark{*spent}, Event: event(e.s.Now(), "oauth.token_issued", old.JTI)})
		if !errors.Is(err, store.ErrReplay) {
			t.Fatalf("older layout with a spent proof: %v", err)
		}
	})
	t.Run("a token with another mark or a step is one transaction, refused whole", func(t *testing.T) {
		assertion := store.ReplayMark{Kind: "assertion", Value: c.ClientID + "|a1", Until: e.s.Now().Add(time.Minute)}
		p := mark("p-tx")
		now := e.s.Now()
		jti, evID, evAt := store.NewDPoPTokenIDs(now, store.DefaultAuditShards, *p)
		rec := store.TokenRecord{JTI: jti, ClientID: c2.ClientID, IssuedAt: now, ExpiresAt: now.Add(time.Hour), JKT: "jkt-1"}
		ev := store.AuditEvent{ID: evID, Event: "oauth.token_issued", ActorType: "client", ActorID: c2.ClientID, TargetType: "token", TargetID: jti, CreatedAt: evAt}
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: rec, Marks: []store.ReplayMark{assertion, *p}, Event: ev}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GetToken(ctx, fx.id, jti); err != nil {
			t.Fatal(err)
		}
		// The assertion again, with a fresh proof: refused, the proof unspent.
		p2 := mark("p-tx-2")
		jti2, evID2, evAt2 := store.NewDPoPTokenIDs(now, store.DefaultAuditShards, *p2)
		rec.JTI, ev.ID, ev.TargetID, ev.CreatedAt = jti2, evID2, jti2, evAt2
		err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: rec, Marks: []store.ReplayMark{assertion, *p2}, Event: ev})
		if !errors.Is(err, store.ErrReplay) {
			t.Fatalf("replayed assertion: %v", err)
		}
		if _, err := e.s.GetToken(ctx, fx.id, jti2); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused transaction wrote its token: %v", err)
		}
	})

	t.Run("a token of the older layout stays readable", func(t *testing.T) {
		now := e.s.Now()
		old := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, Subject: c.ClientID, Scope: "mcp:read", Audience: []string{"https://api.test"},
			KID: "kid-1", GrantType: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		// As it was written before the token item (keys.go's older row).
		sc := "T#" + fx.id.String()
		it := store.Item{Key: store.Key{PK: sc + "#TOKEN#" + old.JTI, SK: "TOKEN"},
			GSI1PK: sc + "#CLIENTTOKENS#" + c.ClientID, GSI1SK: sortable(now) + "#" + old.JTI,
			ExpiresAt: now.Add(time.Hour).Unix(), Data: mustJSON(t, old)}
		if _, err := e.f.Table.Put(ctx, it, store.CondAbsent); err != nil {
			t.Fatal(err)
		}
		old.Version = 1
		wantToken(t, fx.id, old)
		e.clock.Advance(time.Millisecond)
		tok2, _ := mustIssue(fx.id, c, nil, time.Hour)
		for _, limit := range []int{1, 2, 50} {
			if got := listed(t, fx.id, c.ClientID, limit); !slices.Equal(got, []string{tok2.JTI, old.JTI, tok1.JTI}) {
				t.Fatalf("limit %d: tokens %v, want %v", limit, got, []string{tok2.JTI, old.JTI, tok1.JTI})
			}
		}
		if err := e.s.RevokeToken(ctx, fx.id, old.JTI, event(e.s.Now(), "oauth.token_revoked", old.JTI)); err != nil {
			t.Fatal(err)
		}
		if got, err := e.s.GetToken(ctx, fx.id, old.JTI); err != nil || got.RevokedAt.IsZero() {
			t.Fatalf("older token after revoke: %+v %v", got, err)
		}
	})

	t.Run("revoking keeps the issue event", func(t *testing.T) {
		rev := event(e.s.Now(), "oauth.token_revoked", tok1.JTI)
		if err := e.s.RevokeToken(ctx, fx.id, tok1.JTI, rev); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetToken(ctx, fx.id, tok1.JTI)
		if err != nil || !got.RevokedAt.Equal(rev.CreatedAt) {
			t.Fatalf("after revoke: %+v %v", got, err)
		}
		if _, err := e.s.GetAuditEvent(ctx, fx.id, ev1.ID); err != nil {
			t.Fatalf("issue event after revoke: %v", err)
		}
		evs, _ := walk(t, e.s, fx.id, store.AuditFilter{TargetID: tok1.JTI}, 1)
		if len(evs) != 2 || evs[0].ID != rev.ID || evs[1].ID != ev1.ID {
			t.Fatalf("target listing: %+v", evs)
		}
	})

	// A trail mixing both kinds: token items' events (GSI2) between events
	// stored on their own (by the same actor, and others).
	var want []string // every event id of the tenant
	for i := range 5 {
		_, ev := mustIssue(fx.id, c, mark("mix-"+string(rune('a'+i))), time.Hour)
		want = append(want, ev.ID)
		own := auditEvent(e.s.Now(), store.DefaultAuditShards, "agent.updated", c.ClientID, "agent-x")
		if err := e.s.RecordAuditEvents(ctx, fx.id, own); err != nil {
			t.Fatal(err)
		}
		want = append(want, own.ID)
		e.clock.Advance(time.Millisecond)
	}
	short, shortEv := mustIssue(fx.id, c2, nil, time.Second)
	t.Run("the trail lists every event once, on every path", func(t *testing.T) {
		all, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 500)
		allIDs := idSet(all)
		for _, id := range append(slices.Clone(want), ev1.ID, shortEv.ID) {
			if !allIDs[id] {
				t.Fatalf("event %s not listed", id)
			}
		}
		for _, limit := range []int{1, 2, 3, 7} {
			got, _ := walk(t, e.s, fx.id, store.AuditFilter{}, limit)
			if len(got) != len(all) {
				t.Fatalf("limit %d: %d events, want %d", limit, len(got), len(all))
			}
			for i := range got {
				if got[i].ID != all[i].ID {
					t.Fatalf("limit %d: event %d is %s, want %s", limit, i, got[i].ID, all[i].ID)
				}
			}
		}
		for _, limit := range []int{1, 3, 50} {
			byActor, _ := walk(t, e.s, fx.id, store.AuditFilter{ActorID: c.ClientID}, limit)
			ids := idSet(byActor)
			for _, id := range append(slices.Clone(want), ev1.ID) {
				if !ids[id] {
					t.Fatalf("limit %d: actor listing misses %s", limit, id)
				}
			}
			if ids[shortEv.ID] {
				t.Fatalf("actor listing holds another client's token event")
			}
			byAgentID, _ := walk(t, e.s, fx.id, store.AuditFilter{ActorID: c.ID}, limit)
			if len(byAgentID) != len(byActor) {
				t.Fatalf("actor by agent id: %d events, by client_id %d", len(byAgentID), len(byActor))
			}
			inv, _ := walk(t, e.s, fx.id, store.AuditFilter{Involving: c.ClientID, Events: []string{"oauth.token_issued"}}, limit)
			if len(inv) != 7 { // tok1, tok2, five mixed
				t.Fatalf("limit %d: involving: %d token events, want 7", limit, len(inv))
			}
		}
		ev, err := e.s.GetAuditEvent(ctx, fx.id, shortEv.ID)
		if err != nil || ev.ID != shortEv.ID {
			t.Fatalf("by id: %+v %v", ev, err)
		}
		var exported int
		if err := e.s.EachAuditEvent(ctx, fx.id, store.AuditFilter{}, func(store.AuditEvent) error { exported++; return nil }); err != nil || exported != len(all) {
			t.Fatalf("export: %d events (%v), want %d", exported, err, len(all))
		}
		day, err := e.s.AuditEventsOn(ctx, fx.id, e.s.Now())
		if err != nil || len(idSet(day)) != len(day) || !idSet(day)[shortEv.ID] {
			t.Fatalf("AuditEventsOn: %d events %v", len(day), err)
		}
	})

	t.Run("an expired token is gone, its event is not", func(t *testing.T) {
		e.clock.Advance(2 * time.Second)
		if _, err := e.s.GetToken(ctx, fx.id, short.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired token: %v", err)
		}
		if got := listed(t, fx.id, c2.ClientID, 50); slices.Contains(got, short.JTI) {
			t.Fatalf("expired token listed: %v", got)
		}
		if err := e.s.RevokeToken(ctx, fx.id, short.JTI, event(e.s.Now(), "oauth.token_revoked", short.JTI)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke of an expired token: %v", err)
		}
		evs, _ := walk(t, e.s, fx.id, store.AuditFilter{TargetID: short.JTI}, 10)
		if len(evs) != 1 || evs[0].ID != shortEv.ID {
			t.Fatalf("expired token's event by target: %+v", evs)
		}
	})

	t.Run("another tenant sees none of it", func(t *testing.T) {
		if _, err := e.s.GetToken(ctx, other.id, tok1.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetToken across tenants: %v", err)
		}
		if _, err := e.s.GetAuditEvent(ctx, other.id, ev1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetAuditEvent across tenants: %v", err)
		}
		if evs, _ := walk(t, e.s, other.id, store.AuditFilter{Events: []string{"oauth.token_issued"}}, 50); len(evs) != 0 {
			t.Fatalf("tenant b's trail: %+v", evs)
		}
		// The proof tenant A used (and the one it spent) is fresh in B.
		cb := e.client(t, other.id, "ti-b")
		p := *proof1
		p.Until = e.s.Now().Add(time.Minute)
		if _, _, err := issue(other.id, cb, &p, time.Hour); err != nil {
			t.Fatalf("tenant A's proof in tenant B: %v", err)
		}
		if _, _, err := issue(other.id, cb, spent, time.Hour); err != nil {
			t.Fatalf("tenant A's spent proof in tenant B: %v", err)
		}
	})

	t.Run("a purge takes the events, never a live token", func(t *testing.T) {
		before, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 500)
		n, err := e.s.PurgeAuditEvents(ctx, fx.id, e.s.Now().Add(time.Second), false, func(n int) store.AuditEvent {
			return auditEvent(e.s.Now().Add(2*time.Second), store.DefaultAuditShards, "audit.purged", "admin", "")
		})
		if err != nil || n != len(before) {
			t.Fatalf("purge: %d (%v), want %d", n, err, len(before))
		}
		after, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 500)
		if len(after) != 1 || after[0].Event != "audit.purged" {
			t.Fatalf("after the purge: %+v", after)
		}
		got, err := e.s.GetToken(ctx, fx.id, tok1.JTI)
		if err != nil || got.RevokedAt.IsZero() {
			t.Fatalf("a live (revoked) token after the purge: %+v %v", got, err)
		}
		if got := listed(t, fx.id, c.ClientID, 2); len(got) != 8 { // tok1, older, tok2, five mixed
			t.Fatalf("tokens after the purge: %d", len(got))
		}
		if _, err := e.s.GetAuditEvent(ctx, fx.id, ev1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("purged issue event by id: %v", err)
		}
		if evs, _ := walk(t, e.s, fx.id, store.AuditFilter{ActorID: c.ClientID}, 3); len(evs) != 0 {
			t.Fatalf("actor listing after the purge: %+v", evs)
		}
		// A proof stays used after its event is purged.
		if _, _, err := issue(fx.id, c, proof1, time.Hour); !errors.Is(err, store.ErrReplay) {
			t.Fatalf("a used proof after the purge: %v", err)
		}
	})
}

// sortable is a time as the store's keys render it (fixed-width unix nanos).
func sortable(at time.Time) string { return fmt.Sprintf("%019d", at.UnixNano()) }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

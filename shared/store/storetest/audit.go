package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// auditEvent is an event with an id of the sharded layout, in one of shards shards.
func auditEvent(at time.Time, shards int, name, actor, target string) store.AuditEvent {
	return store.AuditEvent{ID: store.NewAuditID(at, shards), Event: name, ActorType: "client", ActorID: actor,
		TargetType: "agent", TargetID: target, Status: "success", Metadata: map[string]any{}, CreatedAt: at}
}

// walk pages through f with limit and returns every event in order, the
// number of pages, and fails on a repeated id or a page past the last.
func walk(t *testing.T, s *store.Store, id tenant.ID, f store.AuditFilter, limit int) ([]store.AuditEvent, int) {
	t.Helper()
	var out []store.AuditEvent
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		page, err := s.ListAuditEvents(t.Context(), id, f, store.PageRequest{Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if len(page.Items) > limit || (page.Next != "" && len(page.Items) != limit) {
			t.Fatalf("page %d holds %d events (limit %d, more: %v)", pages, len(page.Items), limit, page.Next != "")
		}
		for _, ev := range page.Items {
			if seen[ev.ID] {
				t.Fatalf("event %s listed twice (page %d)", ev.ID, pages)
			}
			seen[ev.ID] = true
			if n := len(out); n > 0 && (ev.CreatedAt.After(out[n-1].CreatedAt) ||
				(ev.CreatedAt.Equal(out[n-1].CreatedAt) && ev.ID > out[n-1].ID)) {
				t.Fatalf("event %s listed after the older %s", ev.ID, out[n-1].ID)
			}
			out = append(out, ev)
		}
		if page.Next == "" {
			return out, pages
		}
		cursor = page.Next
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
	}
}

func idSet(evs []store.AuditEvent) map[string]bool {
	m := make(map[string]bool, len(evs))
	for _, ev := range evs {
		m[ev.ID] = true
	}
	return m
}

// sub is e over a new, empty table: the audit cases write thousands of
// items, and the emulator's queries slow down with a table's size.
func (e *env) sub() *env { return &env{s: e.fresh(), clock: e.clock, fresh: e.fresh} }

func domainAudit(t *testing.T, e *env) {
	ctx := t.Context()

	t.Run("250 events in one microsecond, limit 50: five pages, each once", func(t *testing.T) {
		e := e.sub()
		fx := e.create(t, "aud-same")
		e.clock.Advance(time.Hour)
		now := e.s.Now()
		var evs []store.AuditEvent
		perShard := map[int]int{}
		for i := range 250 {
			ev := auditEvent(now, store.DefaultAuditShards, "oauth.token_issued", "client-a", fmt.Sprint("tok-", i))
			shard, _ := store.AuditShardOf(ev.ID)
			perShard[shard]++
			evs = append(evs, ev)
		}
		if len(perShard) != store.DefaultAuditShards {
			t.Fatalf("250 events fell in %d of %d shards", len(perShard), store.DefaultAuditShards)
		}
		if err := e.s.RecordAuditEvents(ctx, fx.id, evs...); err != nil {
			t.Fatal(err)
		}
		got, pages := walk(t, e.s, fx.id, store.AuditFilter{Events: []string{"oauth.token_issued"}}, 50)
		if pages != 5 || len(got) != 250 || len(idSet(got)) != 250 {
			t.Fatalf("%d pages, %d events, %d distinct; want 5, 250, 250", pages, len(got), len(idSet(got)))
		}
		for _, ev := range evs {
			if !idSet(got)[ev.ID] {
				t.Fatalf("event %s never listed", ev.ID)
			}
		}
		// The unfiltered trail also holds the tenant's creation events.
		all, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 50)
		if len(all) != 252 {
			t.Fatalf("the whole trail lists %d events, want 252", len(all))
		}
	})

	t.Run("events over days, hours and every shard, odd page sizes", func(t *testing.T) {
		e := e.sub()
		fx := e.create(t, "aud-spread")
		// 16 shards: the tenant raises its count first (readers merge that many).
		if _, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error { tn.AuditShards = 16; return nil },
			event(e.s.Now(), "tenant.updated", "aud-spread")); err != nil {
			t.Fatal(err)
		}
		start := e.s.Now()
		var evs []store.AuditEvent
		perShard := map[int]int{}
		for i := range 300 {
			at := start.Add(time.Duration(i) * 9 * time.Minute) // 45 hours: three UTC days
			ev := auditEvent(at, 16, "user.updated", "admin", fmt.Sprint("user-", i%7))
			shard, _ := store.AuditShardOf(ev.ID)
			perShard[shard]++
			evs = append(evs, ev)
		}
		if len(perShard) != 16 {
			t.Fatalf("300 events fell in %d of 16 shards", len(perShard))
		}
		e.clock.Advance(46 * time.Hour)
		if err := e.s.RecordAuditEvents(ctx, fx.id, evs...); err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{7, 200} {
			got, _ := walk(t, e.s, fx.id, store.AuditFilter{Events: []string{"user.updated"}}, limit)
			if len(got) != 300 {
				t.Fatalf("limit %d: %d events, want 300", limit, len(got))
			}
		}
		var got []store.AuditEvent
		from, to := evs[100].CreatedAt, evs[199].CreatedAt
		got, _ = walk(t, e.s, fx.id, store.AuditFilter{From: from, To: to}, 50)
		if len(got) != 100 || got[0].ID != evs[199].ID || got[99].ID != evs[100].ID {
			t.Fatalf("from/to (inclusive) lists %d events", len(got))
		}
		got, _ = walk(t, e.s, fx.id, store.AuditFilter{TargetID: "user-3"}, 10)
		want := 0
		for _, ev := range evs {
			if ev.TargetID == "user-3" {
				want++
			}
		}
		if len(got) != want {
			t.Fatalf("target filter: %d events, want %d", len(got), want)
		}
	})

	t.Run("filters", func(t *testing.T) {
		e := e.sub()
		fx := e.create(t, "aud-filter")
		c := e.client(t, fx.id, "aliased")
		now := e.s.Now()
		evs := []store.AuditEvent{
			auditEvent(now, 8, "oauth.token_issued", c.ClientID, "tok-1"),  // actor by client_id
			auditEvent(now, 8, "agent.updated", c.ID, c.ClientID),          // actor by id
			auditEvent(now, 8, "agent.secret_rotated", "admin-key", c.ID),  // target by id
			auditEvent(now, 8, "oauth.token_issued", "someone-else", "x"),  // neither
			auditEvent(now, 8, "user.created", "admin-key", "user_1"),      // neither
			auditEvent(now.Add(time.Second), 8, "user.deleted", "u", "u"),  // later
			auditEvent(now.Add(-time.Second), 8, "user.deleted", "u", "u"), // earlier
		}
		evs[4].ActorType = "admin_key"
		evs[4].TargetType = "user"
		if err := e.s.RecordAuditEvents(ctx, fx.id, evs...); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			f    store.AuditFilter
			want []int
		}{
			{"actor by client_id matches both names", store.AuditFilter{ActorID: c.ClientID}, []int{0, 1}},
			{"actor by id matches both names", store.AuditFilter{ActorID: c.ID}, []int{0, 1}},
			{"target by id matches both names (and the creation event)", store.AuditFilter{TargetID: c.ID, Events: []string{"agent.updated", "agent.secret_rotated"}}, []int{1, 2}},
			{"actor and target", store.AuditFilter{ActorID: c.ID, TargetID: c.ClientID}, []int{1}},
			{"involving by id: actor or target, each event once", store.AuditFilter{Involving: c.ID, Events: []string{"oauth.token_issued", "agent.updated", "agent.secret_rotated"}}, []int{0, 1, 2}},
			{"involving by client_id", store.AuditFilter{Involving: c.ClientID, Events: []string{"oauth.token_issued", "agent.updated", "agent.secret_rotated", "user.created"}}, []int{0, 1, 2}},
			{"involving a user", store.AuditFilter{Involving: "user_1"}, []int{4}},
			{"event list", store.AuditFilter{Events: []string{"user.created", "agent.updated"}}, []int{1, 4}},
			{"actor type and target type", store.AuditFilter{ActorType: "admin_key", TargetType: "user"}, []int{4}},
			{"unknown actor", store.AuditFilter{ActorID: "nobody"}, nil},
			{"unknown event", store.AuditFilter{Events: []string{"no.such"}}, nil},
			{"from is inclusive", store.AuditFilter{From: now.Add(time.Second)}, []int{5}},
			{"to is inclusive", store.AuditFilter{To: now.Add(-time.Second), Events: []string{"user.deleted"}}, []int{6}},
			{"from after to", store.AuditFilter{From: now, To: now.Add(-time.Hour)}, nil},
			// Past year 2262 a time has no int64 Unix nanoseconds: a bound there
			// (shark audit list --until 2999-01-01) bounds nothing.
			{"to beyond 2262", store.AuditFilter{To: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), Events: []string{"user.deleted"}}, []int{5, 6}},
			{"from before 1678", store.AuditFilter{From: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), Events: []string{"user.deleted"}}, []int{5, 6}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, _ := walk(t, e.s, fx.id, tc.f, 1)
				if len(got) != len(tc.want) {
					t.Fatalf("%d events, want %d: %+v", len(got), len(tc.want), got)
				}
				gotIDs := idSet(got)
				for _, i := range tc.want {
					if !gotIDs[evs[i].ID] {
						t.Fatalf("event %d (%s) missing", i, evs[i].Event)
					}
				}
			})
		}
	})

	t.Run("cursors are bound to tenant and filter", func(t *testing.T) {
		e := e.sub()
		a, b := e.create(t, "aud-cur-a"), e.create(t, "aud-cur-b")
		now := e.s.Now()
		for _, fx := range []fixture{a, b} {
			var evs []store.AuditEvent
			for i := range 5 {
				evs = append(evs, auditEvent(now, 8, "user.created", "admin", fmt.Sprint("u", i)))
			}
			if err := e.s.RecordAuditEvents(ctx, fx.id, evs...); err != nil {
				t.Fatal(err)
			}
		}
		f := store.AuditFilter{Events: []string{"user.created"}}
		page, err := e.s.ListAuditEvents(ctx, a.id, f, store.PageRequest{Limit: 2})
		if err != nil || page.Next == "" {
			t.Fatalf("first page: %v %q", err, page.Next)
		}
		cases := []struct {
			name   string
			tenant tenant.ID
			f      store.AuditFilter
			cursor string
		}{
			{"another tenant", b.id, f, page.Next},
			{"another event filter", a.id, store.AuditFilter{Events: []string{"user.deleted"}}, page.Next},
			{"no filter", a.id, store.AuditFilter{}, page.Next},
			{"another actor", a.id, store.AuditFilter{Events: f.Events, ActorID: "admin"}, page.Next},
			{"another time range", a.id, store.AuditFilter{Events: f.Events, From: now.Add(-time.Hour)}, page.Next},
			{"tampered", a.id, f, page.Next[:len(page.Next)-2] + "AA"},
			{"garbage", a.id, f, "not-a-cursor"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.s.ListAuditEvents(ctx, tc.tenant, tc.f, store.PageRequest{Limit: 2, Cursor: tc.cursor})
				wantErr(t, tc.name, err, store.ErrBadCursor)
			})
		}
		// The same filter with its events in another order is the same filter.
		if _, err := e.s.ListAuditEvents(ctx, a.id, store.AuditFilter{Events: []string{"user.created", "user.created"}}, store.PageRequest{Limit: 2, Cursor: page.Next}); err != nil {
			t.Fatalf("the same filter refused its cursor: %v", err)
		}
	})

	t.Run("tenant isolation", func(t *testing.T) {
		e := e.sub()
		a, b := e.create(t, "aud-iso-a"), e.create(t, "aud-iso-b")
		ev := auditEvent(e.s.Now(), 8, "agent.created", "shared-actor", "shared-target")
		if err := e.s.RecordAuditEvents(ctx, a.id, ev); err != nil {
			t.Fatal(err)
		}
		if got, err := e.s.GetAuditEvent(ctx, a.id, ev.ID); err != nil || got.ID != ev.ID {
			t.Fatalf("A reads its event: %+v %v", got, err)
		}
		_, err := e.s.GetAuditEvent(ctx, b.id, ev.ID)
		wantErr(t, "B reads A's event by id", err, store.ErrNotFound)
		for _, f := range []store.AuditFilter{{}, {ActorID: "shared-actor"}, {TargetID: "shared-target"}, {Events: []string{"agent.created"}}} {
			got, _ := walk(t, e.s, b.id, f, 50)
			if idSet(got)[ev.ID] {
				t.Fatalf("B lists A's event with filter %+v", f)
			}
		}
		n, err := e.s.PurgeAuditEvents(ctx, b.id, e.s.Now().Add(time.Second), false, func(n int) store.AuditEvent {
			return auditEvent(e.s.Now(), 8, "audit.purged", "admin", "")
		})
		if err != nil || n != 2 { // B's own creation events
			t.Fatalf("B's purge: %d %v", n, err)
		}
		if _, err := e.s.GetAuditEvent(ctx, a.id, ev.ID); err != nil {
			t.Fatalf("B's purge removed A's event: %v", err)
		}
	})

	t.Run("get by id", func(t *testing.T) {
		e := e.sub()
		fx := e.create(t, "aud-get")
		ev := auditEvent(e.s.Now(), 8, "app.created", "admin", "app_1")
		ev.Metadata = map[string]any{"name": "x"}
		if err := e.s.RecordAuditEvents(ctx, fx.id, ev); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetAuditEvent(ctx, fx.id, ev.ID)
		if err != nil || got.ID != ev.ID || got.Event != ev.Event || got.Metadata["name"] != "x" || !got.CreatedAt.Equal(ev.CreatedAt) {
			t.Fatalf("read %+v %v", got, err)
		}
		other := store.NewAuditID(ev.CreatedAt, 8)
		for name, id := range map[string]string{"unknown": other, "malformed": "aud_zz", "empty": "", "not an audit id": "agent_123",
			"past the alphabet": ev.ID[:len(ev.ID)-1] + "!", "shard out of range": ev.ID[:15] + "zz" + ev.ID[17:]} {
			_, err := e.s.GetAuditEvent(ctx, fx.id, id)
			wantErr(t, name, err, store.ErrNotFound)
		}
		_, err = e.s.GetAuditEvent(ctx, tenant.ID{}, ev.ID)
		wantErr(t, "no tenant", err, store.ErrNoTenant)
		if err := e.s.RecordAuditEvents(ctx, fx.id, ev); err == nil {
			t.Fatal("an event id was written twice")
		}
	})

	t.Run("retention and expiry", func(t *testing.T) {
		e := e.sub()
		fx := e.create(t, "aud-ttl")
		old := auditEvent(e.s.Now(), 8, "user.created", "admin", "u1")
		if err := e.s.RecordAuditEvents(ctx, fx.id, old); err != nil {
			t.Fatal(err)
		}
		// A one-day retention, set with the tenant, applies to the event of
		// the change itself and, through the request's tenant, to new events.
		tn, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error { tn.AuditRetentionDays = 1; return nil },
			auditEvent(e.s.Now(), 8, "tenant.updated", "platform", "aud-ttl"))
		if err != nil {
			t.Fatal(err)
		}
		reqCtx := tenant.With(ctx, tenant.Tenant{ID: fx.id, Record: tn})
		short := auditEvent(e.s.Now(), 8, "user.updated", "admin", "u1")
		if err := e.s.RecordAuditEvents(reqCtx, fx.id, short); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(25 * time.Hour)
		for name, id := range map[string]string{"older than the retention": old.ID, "expired": short.ID} {
			_, err := e.s.GetAuditEvent(ctx, fx.id, id)
			wantErr(t, name, err, store.ErrNotFound)
		}
		if got, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 50); len(got) != 0 {
			t.Fatalf("after a day with a one-day retention: %d events listed", len(got))
		}
		// Raising the retention again shows the event written under the old
		// default (its item lives 90 days), but not the expired one: its item
		// carried the one-day TTL.
		if _, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error { tn.AuditRetentionDays = 0; return nil },
			auditEvent(e.s.Now(), 8, "tenant.updated", "platform", "aud-ttl")); err != nil {
			t.Fatal(err)
		}
		got, _ := walk(t, e.s, fx.id, store.AuditFilter{TargetID: "u1"}, 50)
		if len(got) != 1 || got[0].ID != old.ID {
			t.Fatalf("after raising the retention: %+v", got)
		}
		e.clock.Advance(90 * 24 * time.Hour)
		if got, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 50); len(got) != 0 {
			t.Fatalf("after 91 days: %d events listed", len(got))
		}
	})

	t.Run("purge", func(t *testing.T) {
		e := e.sub()
		fx := e.create(t, "aud-purge")
		start := e.s.Now()
		var evs []store.AuditEvent
		for i := range 130 {
			evs = append(evs, auditEvent(start.Add(time.Duration(i)*time.Minute), 8, "user.updated", "admin", fmt.Sprint("u", i%3)))
		}
		e.clock.Advance(3 * time.Hour)
		if err := e.s.RecordAuditEvents(ctx, fx.id, evs...); err != nil {
			t.Fatal(err)
		}
		cut := evs[100].CreatedAt // 100 events (and the 2 of creation) before
		var purged []store.AuditEvent
		record := func(n int) store.AuditEvent {
			ev := auditEvent(e.s.Now(), 8, "audit.purged", "admin", "")
			ev.Metadata = map[string]any{"count": n}
			purged = append(purged, ev)
			return ev
		}
		n, err := e.s.PurgeAuditEvents(ctx, fx.id, cut, true, record)
		if err != nil || n != 102 || len(purged) != 0 {
			t.Fatalf("dry run: %d %v (recorded %d)", n, err, len(purged))
		}
		if got, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 200); len(got) != 132 {
			t.Fatalf("a dry run deleted: %d events left", len(got))
		}
		n, err = e.s.PurgeAuditEvents(ctx, fx.id, cut, false, record)
		if err != nil || n != 102 || len(purged) != 1 {
			t.Fatalf("purge: %d %v (recorded %d)", n, err, len(purged))
		}
		got, _ := walk(t, e.s, fx.id, store.AuditFilter{}, 200)
		if len(got) != 31 || got[0].ID != purged[0].ID {
			t.Fatalf("after the purge: %d events, want the 30 after the cut and the purge's own", len(got))
		}
		for _, f := range []store.AuditFilter{{ActorID: "admin", Events: []string{"user.updated"}}, {TargetID: "u0"}, {TargetID: "u1"}, {TargetID: "u2"}} {
			got, _ := walk(t, e.s, fx.id, f, 200)
			for _, ev := range got {
				if ev.CreatedAt.Before(cut) {
					t.Fatalf("filter %+v still lists purged %s", f, ev.ID)
				}
			}
		}
		if _, err := e.s.GetAuditEvent(ctx, fx.id, evs[0].ID); err == nil {
			t.Fatal("a purged event is still read by id")
		}
	})

	t.Run("an audited change too large for the target items in one transaction", func(t *testing.T) {
		e := e.sub()
		fx := e.create(t, "aud-big")
		var cs []store.Client
		for i := range store.MaxTransactItems - 2 { // with the audit event and the feed item
			cs = append(cs, e.client(t, fx.id, fmt.Sprint("c", i)))
		}
		ev := auditEvent(e.s.Now(), 8, "oauth.tokens_bulk_revoked", "admin", "pattern-*")
		if err := e.s.DeactivateClients(context.WithoutCancel(ctx), fx.id, cs, ev); err != nil {
			t.Fatal(err)
		}
		got, _ := walk(t, e.s, fx.id, store.AuditFilter{TargetID: "pattern-*"}, 10)
		if len(got) != 1 || got[0].ID != ev.ID {
			t.Fatalf("by target: %+v", got)
		}
	})
}

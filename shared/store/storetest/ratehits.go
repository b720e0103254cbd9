package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// domainHitEach: several counters of one event (register's per-address then
// per-tenant limits) read at once and counted in order. A counter read as
// full refuses before anything is written, so a refused request spends no
// counter's budget; a counter refusing after an earlier one was counted
// (a concurrent hit filled it between the read and the write) leaves the
// later ones untouched.
func domainHitEach(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "hits-a")
	b := e.create(t, "hits-b")
	startWindow := func() {
		e.clock.Advance(time.Minute - time.Duration(e.s.Now().UnixNano()%int64(time.Minute)))
	}
	both := func(addr string) []store.RateCounter {
		return []store.RateCounter{{Name: "addr|" + addr, Limit: 2}, {Name: "tenant", Limit: 3}}
	}
	t.Run("rate counters: read at once, counted in order, a refusal spends nothing", func(t *testing.T) {
		startWindow()
		for i := 1; i <= 2; i++ {
			d, err := e.s.HitEach(ctx, a.id, time.Minute, both("192.0.2.1"))
			if err != nil || !d.Allowed || d.Count != i {
				t.Fatalf("hit %d: %+v %v", i, d, err)
			}
		}
		// The address is full: refused, and the tenant's budget is not spent.
		e.clock.Advance(20 * time.Second)
		d, err := e.s.HitEach(ctx, a.id, time.Minute, both("192.0.2.1"))
		if err != nil || d.Allowed || d.Counter != 0 || d.Count != 2 || d.RetryAfter != 40*time.Second {
			t.Fatalf("address over its limit: %+v %v", d, err)
		}
		// The tenant has room for exactly one more (3 - 2).
		if d, err := e.s.HitEach(ctx, a.id, time.Minute, both("192.0.2.2")); err != nil || !d.Allowed || d.Count != 3 {
			t.Fatalf("other address: %+v %v", d, err)
		}
		// The tenant is full: refused, and the new address's budget is not spent.
		d, err = e.s.HitEach(ctx, a.id, time.Minute, both("192.0.2.3"))
		if err != nil || d.Allowed || d.Counter != 1 || d.Count != 3 {
			t.Fatalf("tenant over its limit: %+v %v", d, err)
		}
		if d, err := e.s.Hit(ctx, a.id, "addr|192.0.2.3", time.Minute, 2); err != nil || !d.Allowed || d.Count != 1 {
			t.Fatalf("the refused request spent the address's budget: %+v %v", d, err)
		}
		// HitEach and Hit count in the same counters.
		if d, err := e.s.Hit(ctx, a.id, "tenant", time.Minute, 3); err != nil || d.Allowed || d.Count != 3 {
			t.Fatalf("Hit over HitEach's counter: %+v %v", d, err)
		}
		// Another tenant has its own counters; the next window starts afresh.
		if d, err := e.s.HitEach(ctx, b.id, time.Minute, both("192.0.2.1")); err != nil || !d.Allowed || d.Count != 1 {
			t.Fatalf("tenant B: %+v %v", d, err)
		}
		startWindow()
		if d, err := e.s.HitEach(ctx, a.id, time.Minute, both("192.0.2.1")); err != nil || !d.Allowed || d.Count != 1 {
			t.Fatalf("next window: %+v %v", d, err)
		}
	})

	t.Run("rate counters: bad input", func(t *testing.T) {
		var none tenant.ID
		if _, err := e.s.HitEach(ctx, none, time.Minute, both("x")); !errors.Is(err, store.ErrNoTenant) {
			t.Fatalf("no tenant: %v", err)
		}
		for _, cs := range [][]store.RateCounter{nil, {{Name: "x", Limit: 0}}, {{Name: "x", Limit: 1}, {Name: "x", Limit: 1}}} {
			if _, err := e.s.HitEach(ctx, a.id, time.Minute, cs); err == nil {
				t.Fatalf("%+v accepted", cs)
			}
		}
		if _, err := e.s.HitEach(ctx, a.id, 0, both("x")); err == nil {
			t.Fatal("zero window accepted")
		}
	})

	t.Run("rate counters: concurrent requests never pass either limit", func(t *testing.T) {
		startWindow()
		n := countAllowed(12, func(i int) bool {
			cs := []store.RateCounter{{Name: "burst|addr|" + string(rune('a'+i%3)), Limit: 2}, {Name: "burst|tenant", Limit: 5}}
			d, err := e.s.HitEach(ctx, a.id, time.Hour, cs)
			return err == nil && d.Allowed
		})
		if n > 5 {
			t.Fatalf("%d requests allowed over the tenant's limit of 5", n)
		}
		if d, err := e.s.Hit(ctx, a.id, "burst|tenant", time.Hour, 5); err != nil || d.Allowed && d.Count > 5 {
			t.Fatalf("tenant count after the burst: %+v %v", d, err)
		}
		for _, addr := range []string{"a", "b", "c"} {
			if d, err := e.s.Hit(ctx, a.id, "burst|addr|"+addr, time.Hour, 2); err != nil || d.Allowed && d.Count > 2 {
				t.Fatalf("address %s after the burst: %+v %v", addr, d, err)
			}
		}
	})
}

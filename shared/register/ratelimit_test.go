package register

import (
	"testing"
	"time"
)

// A registration refused by the tenant's limit spends nothing of its
// address's budget (both counters are read before either is written), and
// one refused by its address's limit spends nothing of the tenant's.
func TestRateLimitRefusalSpendsNothing(t *testing.T) {
	hs := newHarness(t, false)
	hs.reg.Limits = Limits{PerAddress: 2, PerTenant: 1, Window: time.Minute}
	if w := hs.do(req{body: guideFull, remote: "198.51.100.7:1000"}); w.Code != 201 {
		t.Fatalf("first registration: %d %s", w.Code, w.Body)
	}
	// The tenant is full: refused, and 198.51.100.8 keeps both of its registrations.
	wantError(t, hs.do(req{body: guideFull, remote: "198.51.100.8:1000"}), 429, "slow_down")
	hs.reg.Limits.PerTenant = 10
	for i := range 2 {
		if w := hs.do(req{body: guideFull, remote: "198.51.100.8:1000"}); w.Code != 201 {
			t.Fatalf("registration %d of the address refused by the tenant's limit: %d %s", i, w.Code, w.Body)
		}
	}
	// The address is full: refused five times, and the tenant (3 of 10 used) still has 7.
	for range 5 {
		wantError(t, hs.do(req{body: guideFull, remote: "198.51.100.8:1000"}), 429, "slow_down")
	}
	for i := range 7 {
		if w := hs.do(req{body: guideFull, remote: "198.51.100.9" + string(rune('0'+i)) + ":1000"}); w.Code != 201 {
			t.Fatalf("tenant registration %d after the address's refusals: %d %s", 4+i, w.Code, w.Body)
		}
	}
	wantError(t, hs.do(req{body: guideFull, remote: "198.51.100.200:1000"}), 429, "slow_down")
}

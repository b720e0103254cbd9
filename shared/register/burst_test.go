package register

import (
	"sync"
	"testing"
	"time"
)

// TestRateLimitsUnderABurst sends twelve registrations from one address at
// once (issue 20, P6: they answered 500, the per-address and per-tenant
// counters being single contended items). Under the limit every one is
// registered; over it, exactly the limit is, and the rest are 429 slow_down,
// never a 5xx.
func TestRateLimitsUnderABurst(t *testing.T) {
	for _, tc := range []struct {
		name       string
		perAddress int
		want201    int
		want429    int
	}{
		{name: "under the limits", perAddress: 60, want201: 12},
		{name: "over the per-address limit", perAddress: 5, want201: 5, want429: 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, false)
			hs.reg.Limits = Limits{PerAddress: tc.perAddress, PerTenant: 600, Window: time.Minute}
			codes := make([]int, 12)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range codes {
				wg.Go(func() {
					<-start
					codes[i] = hs.do(req{body: guideFull, remote: "198.51.100.7:1000"}).Code
				})
			}
			close(start)
			wg.Wait()
			got := map[int]int{}
			for _, c := range codes {
				got[c]++
			}
			if got[201] != tc.want201 || got[429] != tc.want429 || len(got) > 2 {
				t.Fatalf("statuses %v, want %d × 201 and %d × 429", got, tc.want201, tc.want429)
			}
		})
	}
}

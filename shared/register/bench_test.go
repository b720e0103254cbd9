package register

import (
	"net/http"
	"testing"
)

// BenchmarkRegister: one open registration through the handler on the
// embedded engine (two rate-counter writes and one transaction with fsync).
func BenchmarkRegister(b *testing.B) {
	hs := newHarness(b, false)
	hs.reg.Limits = Limits{PerAddress: 1 << 30, PerTenant: 1 << 30}
	b.ReportAllocs()
	for b.Loop() {
		if w := hs.do(req{body: guideFull}); w.Code != http.StatusCreated {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkHit: one rate-counter hit (a read and a conditional put).
func BenchmarkHit(b *testing.B) {
	hs := newHarness(b, false)
	t := hs.tenants["acme"].ID
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hs.st.Hit(b.Context(), t, "bench", 1<<62, 1<<30); err != nil {
			b.Fatal(err)
		}
	}
}

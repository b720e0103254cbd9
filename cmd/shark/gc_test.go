package main

import (
	"runtime/debug"
	"testing"
)

// shark serve runs the Go collector at GOGC=400 unless GOGC is set: the
// token path allocates ~30-40 KB per DPoP token over a small live heap, so
// the default target spent ~9% of the runner's CPU on collection.
func TestServeGCDefault(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	setServeGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Fatalf("GOGC unset: the collector's target is %d; want %d", got, serveGCPercent)
	}
	setServeGC(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC=100 set: the collector's target is %d; want the user's 100", got)
	}
}

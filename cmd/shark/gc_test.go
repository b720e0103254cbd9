package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// shark serve runs the Go collector at GOGC=400 unless GOGC is set: the
// token path allocates ~30-40 KB per DPoP token over a small live heap, so
// the default target spent ~9% of the runner's CPU on collection. It runs
// twice the default GOMAXPROCS unless GOMAXPROCS is set (gc.go says why).
func TestServeRuntimeDefaults(t *testing.T) {
	prevGC := debug.SetGCPercent(100)
	prevProcs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { debug.SetGCPercent(prevGC); runtime.GOMAXPROCS(prevProcs) })
	setServeRuntime(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Fatalf("GOGC unset: the collector's target is %d; want %d", got, serveGCPercent)
	}
	if got := runtime.GOMAXPROCS(prevProcs); got != serveProcsPerCPU*prevProcs {
		t.Fatalf("GOMAXPROCS unset: %d Ps; want %d", got, serveProcsPerCPU*prevProcs)
	}
	setServeRuntime(func(k string) string {
		switch k {
		case "GOGC":
			return "100"
		case "GOMAXPROCS":
			return "1"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC=100 set: the collector's target is %d; want the user's 100", got)
	}
	if got := runtime.GOMAXPROCS(0); got != prevProcs {
		t.Fatalf("GOMAXPROCS set: %d Ps; want the runtime's %d, untouched", got, prevProcs)
	}
}

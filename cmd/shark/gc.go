package main

import (
	"runtime"
	"runtime/debug"
)

// The Go runtime's settings for shark serve, each applied only when the user
// has not set its environment variable (which the runtime has then applied).

// serveGCPercent is the collector's target for shark serve when GOGC is not
// set (Go's default is 100). Measured under shark load -dpop -c 8 on the
// embedded engine: 200 spent ~6% less runner CPU per token than 100 for ~4 MB
// more RSS at rest; 400 another ~3% less than 200 (397-414 against 411-429 us
// per token, three runs each, alternated) for ~8 MB more.
const serveGCPercent = 400

// serveProcsPerCPU multiplies the runtime's default GOMAXPROCS for shark
// serve when GOMAXPROCS is not set. The embedded engine's WAL sync holds an OS
// thread in fdatasync for ~150-200 us about a thousand times a second, and the
// runtime hands that thread's P to another thread only once sysmon notices
// (20 us at best, more on a busy VM), so with one P per CPU the goroutines
// queued on it wait while a CPU idles. Measured under shark load -dpop,
// alternated: at 8 connections 3,108-3,264 tokens/s with 4 Ps on 2 CPUs
// against 2,922-2,978 with 2, for the same CPU per token (387-407 against
// 396-401 us); at 1 connection ~5% fewer (1,123 against 1,177).
const serveProcsPerCPU = 2

// setServeRuntime applies the settings above; getenv reads the environment.
func setServeRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(serveProcsPerCPU * runtime.GOMAXPROCS(0))
	}
}

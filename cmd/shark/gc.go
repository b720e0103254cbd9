package main

import "runtime/debug"

// serveGCPercent is the collector's target for shark serve when GOGC is not
// set (Go's default is 100). Measured under shark load -dpop -c 8 on the
// embedded engine: 200 spent ~6% less runner CPU per token than 100 for ~4 MB
// more RSS at rest; 400 another ~3% less than 200 (397-414 against 411-429 us
// per token, three runs each, alternated) for ~8 MB more.
const serveGCPercent = 400

// setServeGC sets the collector's target for shark serve unless the user
// set GOGC (which the runtime has already applied).
func setServeGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// BenchmarkAuditShardSpread writes token-issuance events of one tenant
// through the store (embedded engine), 50 to a transaction, and reports how
// evenly their ids spread them over the tenant's shards: max/mean of the
// events per shard (1 is perfect), for the default 8 shards and for 64.
func BenchmarkAuditShardSpread(b *testing.B) {
	for _, shards := range []int{store.DefaultAuditShards, store.MaxAuditShards} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			clock := storetest.NewClock()
			env, err := app.NewEnv(b.Context(), localConfig(b.TempDir()), app.Options{Now: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			defer env.Close()
			if _, err := env.Boot(b.Context()); err != nil {
				b.Fatal(err)
			}
			id := tenant.MustID("default")
			perShard := make([]int, shards)
			batch := make([]store.AuditEvent, 50)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for i := range batch {
					clock.Advance(time.Microsecond)
					at := env.Store.Now()
					ev := audit.New(nil, at, "oauth.token_issued", audit.Actor{Type: "client", ID: "shark_agent_bench"},
						audit.Target{Type: "token", ID: "jti"}, map[string]any{"scope": "mcp:read"})
					ev.ID = store.NewAuditID(at, shards)
					s, _ := store.AuditShardOf(ev.ID)
					perShard[s]++
					batch[i] = ev
				}
				if err := env.Store.RecordAuditEvents(b.Context(), id, batch...); err != nil {
					b.Fatal(err)
				}
				n += len(batch)
			}
			most := 0
			for _, c := range perShard {
				most = max(most, c)
			}
			b.ReportMetric(float64(most)/(float64(n)/float64(shards)), "max/mean")
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// discard is a ResponseWriter that keeps nothing, flushes, and samples the
// heap every few thousand writes.
type discard struct {
	h      http.Header
	writes int
	bytes  int64
	lines  int
	peak   *atomic.Uint64
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(int)     {}
func (d *discard) Flush()              {}
func (d *discard) Write(p []byte) (int, error) {
	d.writes++
	d.bytes += int64(len(p))
	d.lines += bytes.Count(p, []byte{'\n'})
	if d.writes%5000 == 0 {
		sampleHeap(d.peak)
	}
	return len(p), nil
}

func sampleHeap(peak *atomic.Uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	for {
		cur := peak.Load()
		if m.HeapInuse <= cur || peak.CompareAndSwap(cur, m.HeapInuse) {
			return
		}
	}
}

// BenchmarkAuditExport100k exports 100,000 events (NDJSON and CSV) through
// the audit function's handler and reports the peak heap in use while it
// streams (sampled every 5,000 writes and every millisecond), against the
// heap in use before: the export holds a page per shard, not the result.
func BenchmarkAuditExport100k(b *testing.B) {
	const total = 100_000
	clock := storetest.NewClock()
	env, err := app.NewEnv(b.Context(), localConfig(b.TempDir()), app.Options{Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	boot, err := env.Boot(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	id := tenant.MustID("default")
	batch := make([]store.AuditEvent, 0, 50)
	for i := range total {
		clock.Advance(time.Microsecond)
		batch = append(batch, audit.New(nil, env.Store.Now(), "oauth.token_issued", audit.Actor{Type: "client", ID: "shark_agent_bench"},
			audit.Target{Type: "token", ID: "jti"}, map[string]any{"scope": "mcp:read", "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "n": i}))
		if len(batch) == cap(batch) {
			if err := env.Store.RecordAuditEvents(b.Context(), id, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	h := app.Audit(env)
	for _, c := range []struct {
		format string
		events int
	}{{"ndjson", total}, {"csv", total}, {"ndjson", total / 10}} {
		format := c.format
		// The last c.events events: since the time of the first of them.
		since := clock.Now().Add(-time.Duration(c.events-1) * time.Microsecond).Format(time.RFC3339Nano)
		b.Run(fmt.Sprintf("format=%s/events=%d", format, c.events), func(b *testing.B) {
			var peak atomic.Uint64
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			var out *discard
			for b.Loop() {
				done := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() { // a sampler, so no peak between writes escapes
					defer wg.Done()
					t := time.NewTicker(time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-done:
							return
						case <-t.C:
							sampleHeap(&peak)
						}
					}
				}()
				out = &discard{h: http.Header{}, peak: &peak}
				r := httptest.NewRequest("POST", "http://localhost:8080/api/v1/audit-logs/export", strings.NewReader(`{"format":"`+format+`","since":"`+since+`"}`))
				r.Header.Set("Authorization", "Bearer "+boot.AdminKey)
				h.ServeHTTP(out, r)
				close(done)
				wg.Wait()
			}
			if out.lines < c.events || out.lines > c.events+1 {
				b.Fatalf("exported %d lines, want %d", out.lines, c.events)
			}
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(before.HeapInuse)/(1<<20), "heap-before-MB")
			b.ReportMetric(float64(out.bytes)/(1<<20), "export-MB")
		})
	}
}

package resource

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testFeed is an in-test revocation feed: the entries appended so far; a
// cursor is the count already served.
type testFeed struct {
	srv *httptest.Server

	mu      sync.Mutex
	entries []map[string]any
	status  int // answer this instead when not 0
	pageMax int
	hits    []time.Time
	cursors []string
	auth    []string
	n       atomic.Int32
}

func newTestFeed(t testing.TB) *testFeed {
	f := &testFeed{pageMax: 2}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.n.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.hits = append(f.hits, time.Now())
		cur := r.URL.Query().Get("cursor")
		f.cursors = append(f.cursors, cur)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		if f.status != 0 {
			w.WriteHeader(f.status)
			return
		}
		from := 0
		if cur != "" {
			n, err := strconv.Atoi(cur)
			if err != nil || n > len(f.entries) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
				return
			}
			from = n
		}
		to := min(len(f.entries), from+f.pageMax)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"revocations": f.entries[from:to], "cursor": strconv.Itoa(to), "more": to < len(f.entries), "poll_after": 5})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *testFeed) add(e map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := e["expires"]; !ok {
		e["expires"] = time.Now().Add(100 * 365 * 24 * time.Hour).Unix()
	}
	f.entries = append(f.entries, e)
}

func (f *testFeed) setStatus(s int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = s
}

// feedEnv is an env whose verifier polls f (by hand: the background
// interval is an hour).
func feedEnv(t *testing.T, edit func(*Feed)) (*env, *testFeed) {
	t.Helper()
	f := newTestFeed(t)
	e := newEnv(t, func(c *Config) {
		fd := Feed{Endpoint: f.srv.URL, ClientID: "rs client", ClientSecret: "s3cr:et+/", Interval: time.Hour}
		if edit != nil {
			edit(&fd)
		}
		c.Feed = &fd
	})
	t.Cleanup(e.v.Close)
	waitFor(t, func() bool { return e.v.feed.polls.Load() > 0 && f.n.Load() > 0 })
	return e, f
}

// pollNow runs one poll and fails the test on an error.
func pollNow(t *testing.T, e *env) {
	t.Helper()
	if err := e.v.feed.poll(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// timeID is a SharkAuth time-ordered id of at (its first 8 characters the
// Unix milliseconds).
func timeID(at time.Time) string {
	b := []byte("AAAAAAAA" + randomString(12))
	ms := uint64(at.UnixMilli())
	for i := 7; i >= 0; i-- {
		b[i] = sortable[ms&63]
		ms >>= 6
	}
	return string(b)
}

func TestFeedRefusesEachLayer(t *testing.T) {
	cases := []struct {
		name  string
		token func(c map[string]any)
		entry func(now time.Time, c map[string]any) map[string]any
	}{
		{"one token (L1)", nil, func(_ time.Time, c map[string]any) map[string]any {
			return map[string]any{"kind": "token", "jti": c["jti"]}
		}},
		{"a client's tokens before a time (L2)", nil, func(now time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "client", "client_id": "agent-client", "before": now.Unix(), "before_ms": now.UnixMilli()}
		}},
		{"an actor of the delegation chain (L2)", func(c map[string]any) {
			c["act"] = map[string]any{"sub": "actor-1", "act": map[string]any{"sub": "actor-0"}}
		}, func(now time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "client", "client_id": "actor-0", "before": now.Unix()}
		}},
		{"the subject of a delegated token (L2)", func(c map[string]any) {
			c["sub"], c["client_id"], c["act"] = "subject-client", "actor-1", map[string]any{"sub": "actor-1"}
		}, func(now time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "client", "client_id": "subject-client", "before": now.Unix()}
		}},
		{"a user's own grants (L3)", func(c map[string]any) { c["sub"] = "usr_1" }, func(now time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "user", "sub": "usr_1", "before": now.Unix(), "before_ms": now.UnixMilli()}
		}},
		{"a client-id pattern (L4)", nil, func(now time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "pattern", "pattern": "agent-*", "before": now.Unix(), "before_ms": now.UnixMilli()}
		}},
		{"the tenant's revoked-before (L5)", nil, func(now time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "tenant", "before": now.Unix(), "before_ms": now.UnixMilli()}
		}},
		{"a disabled tenant (L5)", nil, func(now time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "tenant", "disabled": true, "before": now.Unix() - 100}
		}},
		{"a signing key retired in an emergency", nil, func(_ time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "key", "kid": "kid-current"}
		}},
		{"a grant family", func(c map[string]any) { c["fam"] = "fam_1" }, func(_ time.Time, _ map[string]any) map[string]any {
			return map[string]any{"kind": "family", "fam": "fam_1"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, f := feedEnv(t, nil)
			claims := e.is.claims(e.clock.Now(), testResource)
			claims["jti"] = timeID(e.clock.Now())
			if tc.token != nil {
				tc.token(claims)
			}
			tok := signToken(t, e.key, claims, nil)
			bystander := e.token(func(c map[string]any) {
				c["client_id"], c["sub"], c["jti"] = "bystander", "bystander", timeID(e.clock.Now())
			})
			if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 200 {
				t.Fatalf("before: %d %s", w.Code, w.Body)
			}
			f.add(tc.entry(e.clock.Now(), claims))
			pollNow(t, e)
			w := e.do(request("POST", testResource, "Bearer "+tok, ""))
			if w.Code != 401 {
				t.Fatalf("after the revocation: %d %s", w.Code, w.Body)
			}
			checkChallenges(t, e, w, "invalid_token", "Bearer", "")
			tenantWide := tc.name == "the tenant's revoked-before (L5)" || tc.name == "a disabled tenant (L5)" || tc.name == "a signing key retired in an emergency"
			if got := e.do(request("POST", testResource, "Bearer "+bystander, "")).Code; (got == 200) == tenantWide {
				t.Fatalf("bystander: %d", got)
			}
			if n := e.is.introspectHits.Load(); n != 0 {
				t.Fatalf("%d introspection calls", n)
			}
		})
	}
}

func TestFeedPrecisionAndTenantState(t *testing.T) {
	e, f := feedEnv(t, nil)
	at := e.clock.Now().Truncate(time.Second).Add(500 * time.Millisecond)
	at2 := at.Add(200 * time.Millisecond)
	issued := func(when time.Time, jti string) string {
		return e.token(func(c map[string]any) { c["iat"], c["jti"] = when.Unix(), jti })
	}
	early := issued(at.Add(-100*time.Millisecond), timeID(at.Add(-100*time.Millisecond)))
	late := issued(at2, timeID(at2))               // same second, after the revoke-all
	opaque := issued(at2, "not-a-time-ordered-id") // same second: refused (errs on refusing)
	f.add(map[string]any{"kind": "client", "client_id": "agent-client", "before": at.Unix(), "before_ms": at.UnixMilli()})
	pollNow(t, e)
	for name, c := range map[string]struct {
		tok  string
		want int
	}{"issued before": {early, 401}, "issued after, same second": {late, 200}, "opaque jti, same second": {opaque, 401}} {
		if got := e.do(request("POST", testResource, "Bearer "+c.tok, "")).Code; got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}
	// A disable then a re-enable: the latest tenant state holds; a token
	// issued after the re-enable is good.
	f.add(map[string]any{"kind": "tenant", "disabled": true, "before": at.Unix(), "before_ms": at.UnixMilli()})
	f.add(map[string]any{"kind": "tenant", "before": at2.Unix() + 1, "before_ms": at2.UnixMilli() + 1000})
	pollNow(t, e)
	after := at2.Add(2 * time.Second)
	if got := e.do(request("POST", testResource, "Bearer "+issued(after, timeID(after)), "")).Code; got != 200 {
		t.Fatalf("after the re-enable: %d", got)
	}
	if got := e.do(request("POST", testResource, "Bearer "+late, "")).Code; got != 401 {
		t.Fatalf("before the re-enable: %d", got)
	}
}

func TestFeedKeyRetirementRefetchesTheJWKS(t *testing.T) {
	e, f := feedEnv(t, nil)
	old := e.token(nil)
	if w := e.do(request("POST", testResource, "Bearer "+old, "")); w.Code != 200 {
		t.Fatalf("old key: %d", w.Code)
	}
	fresh := newSigningKey(t, "kid-fresh")
	e.is.setKeys(e.key, fresh)
	f.add(map[string]any{"kind": "key", "kid": "kid-current"})
	pollNow(t, e)
	hits := e.is.jwksHits.Load()
	tok := signToken(t, fresh, e.is.claims(e.clock.Now(), testResource), nil)
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 200 {
		t.Fatalf("a token of the new key within the refetch interval: %d %s", w.Code, w.Body)
	}
	if e.is.jwksHits.Load() != hits+1 {
		t.Fatal("the JWKS was not fetched again")
	}
	if w := e.do(request("POST", testResource, "Bearer "+old, "")); w.Code != 401 {
		t.Fatalf("the retired key's token: %d", w.Code)
	}
}

func TestFeedUnknownStaleAndGone(t *testing.T) {
	f := newTestFeed(t)
	f.setStatus(http.StatusInternalServerError)
	e := newEnv(t, func(c *Config) {
		c.Feed = &Feed{Endpoint: f.srv.URL, BearerKey: "sk_live_admin", Interval: time.Hour, MaxStale: time.Minute}
	})
	t.Cleanup(e.v.Close)
	tok := e.token(nil)
	waitFor(t, func() bool { return f.n.Load() > 0 })
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 503 {
		t.Fatalf("before any poll succeeded: %d", w.Code)
	}
	f.setStatus(0)
	pollNow(t, e)
	if f.auth[len(f.auth)-1] != "Bearer sk_live_admin" {
		t.Fatalf("authorization: %q", f.auth[len(f.auth)-1])
	}
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 200 {
		t.Fatalf("after a poll: %d", w.Code)
	}
	e.clock.Advance(2 * time.Minute)
	tok = e.token(nil)
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 503 {
		t.Fatalf("stale: %d", w.Code)
	}
	// The issuer no longer knows the tenant: every token is refused.
	f.setStatus(http.StatusNotFound)
	pollNow(t, e)
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 401 {
		t.Fatalf("tenant gone: %d", w.Code)
	}
}

func TestFeedCursorPagesAndReset(t *testing.T) {
	e, f := feedEnv(t, nil)
	for i := range 5 {
		f.add(map[string]any{"kind": "token", "jti": "j" + strconv.Itoa(i)})
	}
	pollNow(t, e) // pages of 2: three requests in one poll
	f.mu.Lock()
	got := append([]string(nil), f.cursors...)
	f.mu.Unlock()
	// The first poll (at start) read an empty feed.
	if want := []string{"", "0", "2", "4"}; len(got) != len(want) || got[1] != "0" || got[2] != "2" || got[3] != "4" {
		t.Fatalf("cursors: %q, want %q", got, want)
	}
	if n := e.v.feed.set.len(); n != 5 {
		t.Fatalf("set holds %d", n)
	}
	// A cursor the server refuses: read again from the start.
	e.v.feed.mu.Lock()
	e.v.feed.cursor = "999"
	e.v.feed.mu.Unlock()
	if err := e.v.feed.poll(t.Context()); err == nil {
		t.Fatal("a refused cursor is not an error")
	}
	pollNow(t, e)
	if f.cursors[len(f.cursors)-3] != "" {
		t.Fatalf("not read from the start: %q", f.cursors)
	}
}

func TestFeedForgetsExpiredAndBoundsMemory(t *testing.T) {
	e, f := feedEnv(t, func(fd *Feed) { fd.MaxEntries = 3 })
	now := e.clock.Now()
	f.add(map[string]any{"kind": "token", "jti": "a", "expires": now.Add(time.Minute).Unix()})
	f.add(map[string]any{"kind": "client", "client_id": "c", "before": now.Unix(), "expires": now.Add(time.Hour).Unix()})
	pollNow(t, e)
	if n := e.v.feed.set.len(); n != 2 {
		t.Fatalf("set holds %d", n)
	}
	e.clock.Advance(2 * time.Minute)
	pollNow(t, e)
	if n := e.v.feed.set.len(); n != 1 {
		t.Fatalf("after the token expired the set holds %d", n)
	}
	e.clock.Advance(time.Hour)
	pollNow(t, e)
	if n := e.v.feed.set.len(); n != 0 {
		t.Fatalf("after every entry expired the set holds %d", n)
	}
	// Full of live entries: refuse (503) rather than forget one.
	later := e.clock.Now().Add(time.Hour).Unix()
	for i := range 4 {
		f.add(map[string]any{"kind": "token", "jti": "x" + strconv.Itoa(i), "expires": later})
	}
	pollNow(t, e)
	if w := e.do(request("POST", testResource, "Bearer "+e.token(nil), "")); w.Code != 503 {
		t.Fatalf("full: %d", w.Code)
	}
}

func TestFeedBacksOffOnErrorsAndRecovers(t *testing.T) {
	f := newTestFeed(t)
	f.setStatus(http.StatusServiceUnavailable)
	e := newEnv(t, func(c *Config) {
		c.Feed = &Feed{Endpoint: f.srv.URL, BearerKey: "sk_live_admin", Interval: 20 * time.Millisecond, MaxBackoff: 320 * time.Millisecond}
	})
	t.Cleanup(e.v.Close)
	waitFor(t, func() bool { return f.n.Load() >= 6 })
	f.mu.Lock()
	hits := append([]time.Time(nil), f.hits...)
	f.mu.Unlock()
	first, fifth := hits[1].Sub(hits[0]), hits[5].Sub(hits[4])
	// After one failure the wait is 2×20 ms (±20 %); after five, 320 ms.
	if first > 150*time.Millisecond || fifth < 250*time.Millisecond {
		t.Fatalf("waits after failures: first %v, fifth %v", first, fifth)
	}
	f.setStatus(0)
	waitFor(t, func() bool {
		return e.v.feed.failures.Load() == 0 && e.do(request("POST", testResource, "Bearer "+e.token(nil), "")).Code == 200
	})
	// Polls are back at the interval (jittered).
	n := f.n.Load()
	time.Sleep(300 * time.Millisecond)
	if d := f.n.Load() - n; d < 5 {
		t.Fatalf("%d polls in 300 ms after recovery", d)
	}
}

func TestFeedConfig(t *testing.T) {
	for name, fd := range map[string]Feed{
		"no credential": {},
		"bad endpoint":  {BearerKey: "k", Endpoint: "ftp://x"},
	} {
		_, err := New(Config{Issuer: "https://as.example", Resource: testResource, Feed: &fd})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if d := jitter(time.Second); d < 800*time.Millisecond || d > 1200*time.Millisecond {
		t.Fatalf("jitter %v", d)
	}
}

// BenchmarkFeedSetMemory: the memory of the revocation set holding 100,000
// live token revocations (and, per op, the cost of one check against it).
func BenchmarkFeedSetMemory(b *testing.B) {
	const n = 100_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newRevocationSet()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		s.add(feedEntry{Kind: "token", JTI: timeID(base.Add(time.Duration(i) * time.Millisecond)), Expires: base.Add(time.Hour).Unix()})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	c := &Claims{ID: timeID(base.Add(-time.Second)), ClientID: "agent", Subject: "agent", IssuedAt: base.Add(-time.Second)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if s.revoked(c, "kid") {
			b.Fatal("revoked")
		}
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/100k")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/entry")
	runtime.KeepAlive(s)
}

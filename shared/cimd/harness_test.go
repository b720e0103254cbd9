package cimd

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/fetch/fetchtest"
)

// fakeResolver is the test kit's table resolver.
type fakeResolver = fetchtest.Resolver

// doc is what the test server answers on a path.
type doc struct {
	body   string
	header map[string]string
	status int
}

// harness is a TLS server on 127.0.0.1 serving documents as
// https://app.example.com:PORT/..., a fetcher that trusts it (loopback
// allowed, every name through the fake resolver) and a resolver on an
// injected clock and policy.
type harness struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	docs   map[string]doc
	hits   map[string]int
	now    time.Time
	policy Policy
	res    *Resolver
	// gate, when set, holds every request until it is closed.
	gate chan struct{}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, docs: map[string]doc{}, hits: map[string]int{}, now: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		gate := h.gate
		h.mu.Unlock()
		if gate != nil {
			<-gate
		}
		h.mu.Lock()
		d, ok := h.docs[r.URL.RequestURI()]
		h.hits[r.URL.RequestURI()]++
		h.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range d.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		if d.status != 0 {
			w.WriteHeader(d.status)
		}
		w.Write([]byte(d.body))
	}))
	t.Cleanup(h.srv.Close)
	tlsCfg := h.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsCfg.ServerName = "example.com" // httptest's certificate names example.com
	f := &fetch.Fetcher{
		Resolver: fakeResolver{
			"app.example.com":      {"127.0.0.1"},
			"cdn.app.example.com":  {"127.0.0.1"},
			"other.example.net":    {"127.0.0.1"},
			"internal.example.com": {"10.0.0.1"},
			"metadata.example.com": {"169.254.169.254"},
		},
		AllowLoopback: true, TLS: tlsCfg, Now: h.clock,
	}
	h.res = &Resolver{Fetcher: f, Now: h.clock, Policy: func(context.Context) Policy { return h.policy }}
	return h
}

func (h *harness) clock() time.Time { return h.now }

func (h *harness) port() int { return h.srv.Listener.Addr().(*net.TCPAddr).Port }

// url is the client id of path on host (served by the test server).
func (h *harness) url(host, path string) string {
	return fmt.Sprintf("https://%s:%d%s", host, h.port(), path)
}

// serve sets the document of path.
func (h *harness) serve(path string, d doc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.docs[path] = d
}

func (h *harness) hitsOf(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

// valid is a good document for clientID with extra members merged in
// (a nil value deletes a member).
func valid(clientID string, extra map[string]any) map[string]any {
	m := map[string]any{
		"client_id":                  clientID,
		"client_name":                "Example MCP Client",
		"redirect_uris":              []string{"http://127.0.0.1/callback", "https://app.example.com/oauth/callback"},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"logo_uri":                   "https://app.example.com/logo.png",
		"scope":                      "mcp:read mcp:write",
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

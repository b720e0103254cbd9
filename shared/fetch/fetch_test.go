package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/fetch/fetchtest"
)

// fakeResolver is the test kit's table resolver.
type fakeResolver = fetchtest.Resolver

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// server is a TLS test server on 127.0.0.1 with a fetcher that trusts it and
// resolves keys.example.com (and friends) through a fake resolver.
func server(t *testing.T, allowLoopback bool, h http.HandlerFunc) (*Fetcher, *httptest.Server, *clock) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	c := &clock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsCfg.InsecureSkipVerify = false
	tlsCfg.ServerName = "example.com" // httptest's certificate names example.com
	f := &Fetcher{
		Resolver: fakeResolver{
			"keys.example.com":     {"127.0.0.1"},
			"internal.example.com": {"10.0.0.1"},
			"metadata.example.com": {"169.254.169.254"},
			"mixed.example.com":    {"93.184.216.34", "10.1.2.3"},
			"mapped.example.com":   {"::ffff:127.0.0.1"},
			"v6local.example.com":  {"::1"},
			"unspec.example.com":   {"0.0.0.0"},
			"ula.example.com":      {"fd00::1"},
			"cgnat.example.com":    {"100.64.1.1"},
		},
		AllowLoopback: allowLoopback, TLS: tlsCfg, Now: c.now, MaxBytes: 1024,
	}
	return f, srv, c
}

func port(srv *httptest.Server) string {
	return srv.Listener.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):]
}

func TestRefused(t *testing.T) {
	var hits atomic.Int32
	f, srv, _ := server(t, false, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	p := port(srv)
	cases := []struct {
		name, url string
		want      error
	}{
		{"loopback literal", "https://127.0.0.1:" + p + "/jwks", ErrBlocked},
		{"private literal", "https://10.0.0.1/jwks", ErrBlocked},
		{"metadata literal", "https://169.254.169.254/latest/meta-data/", ErrBlocked},
		{"ipv6 loopback literal", "https://[::1]:" + p + "/", ErrBlocked},
		{"name to loopback", "https://keys.example.com:" + p + "/jwks", ErrBlocked},
		{"name to private", "https://internal.example.com/jwks", ErrBlocked},
		{"name to metadata", "https://metadata.example.com/jwks", ErrBlocked},
		{"name to public and private", "https://mixed.example.com/jwks", ErrBlocked},
		{"name to mapped loopback", "https://mapped.example.com:" + p + "/jwks", ErrBlocked},
		{"name to ipv6 loopback", "https://v6local.example.com:" + p + "/jwks", ErrBlocked},
		{"name to unspecified", "https://unspec.example.com/jwks", ErrBlocked},
		{"name to ula", "https://ula.example.com/jwks", ErrBlocked},
		{"name to cgnat", "https://cgnat.example.com/jwks", ErrBlocked},
		{"http", "http://keys.example.com/jwks", ErrURL},
		{"userinfo", "https://u:p@keys.example.com/jwks", ErrURL},
		{"no host", "https:///jwks", ErrURL},
		{"relative", "/jwks", ErrURL},
		{"file", "file:///etc/passwd", ErrURL},
		{"garbage", "https://[::1", ErrURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.Get(t.Context(), c.url)
			if !errors.Is(err, c.want) {
				t.Fatalf("want %v, got %v", c.want, err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("a refused fetch reached the server %d times", n)
	}
}

func TestFetchLoopbackAllowedLocally(t *testing.T) {
	f, srv, _ := server(t, true, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/json" {
			http.Error(w, "accept", 400)
			return
		}
		w.Write([]byte(`{"keys":[]}`))
	})
	body, err := f.Get(t.Context(), "https://keys.example.com:"+port(srv)+"/jwks")
	if err != nil || string(body) != `{"keys":[]}` {
		t.Fatalf("got %q %v", body, err)
	}
	// Loopback only: the other refused ranges stay refused.
	if _, err := f.Get(t.Context(), "https://internal.example.com/jwks"); !errors.Is(err, ErrBlocked) {
		t.Fatalf("private address with AllowLoopback: %v", err)
	}
}

func TestRedirects(t *testing.T) {
	var target string
	f, srv, _ := server(t, true, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-private":
			http.Redirect(w, r, "https://internal.example.com/jwks", http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://keys.example.com"+target+"/ok", http.StatusFound)
		case "/to-metadata-literal":
			http.Redirect(w, r, "https://169.254.169.254/latest", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-ok":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/ok":
			w.Write([]byte("ok"))
		}
	})
	target = ":" + port(srv)
	base := "https://keys.example.com:" + port(srv)
	cases := []struct {
		path string
		want error
	}{
		{"/to-private", ErrBlocked},
		{"/to-http", ErrURL},
		{"/to-metadata-literal", ErrBlocked},
		{"/loop", nil},
		{"/to-ok", nil},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			body, err := f.Get(t.Context(), base+c.path)
			switch {
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("want %v, got %v", c.want, err)
			case c.path == "/loop" && (err == nil || !strings.Contains(err.Error(), "too many redirects")):
				t.Fatalf("redirect loop: %v", err)
			case c.path == "/to-ok" && (err != nil || string(body) != "ok"):
				t.Fatalf("same-host redirect: %q %v", body, err)
			}
		})
	}
}

func TestLimitsAndStatus(t *testing.T) {
	f, srv, _ := server(t, true, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2000)))
		case "/big-chunked":
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("x", 2000)))
		case "/exact":
			w.Write([]byte(strings.Repeat("x", 1024)))
		case "/404":
			http.NotFound(w, r)
		}
	})
	base := "https://keys.example.com:" + port(srv)
	cases := []struct {
		path string
		want error
	}{
		{"/big", ErrTooLarge},
		{"/big-chunked", ErrTooLarge},
		{"/404", ErrStatus},
		{"/exact", nil},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			_, err := f.Get(t.Context(), base+c.path)
			if !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
				t.Fatalf("want %v, got %v", c.want, err)
			}
		})
	}
}

func TestCache(t *testing.T) {
	var hits atomic.Int32
	var clk *clock
	f, srv, clk := server(t, true, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/max-age":
			w.Header().Set("Cache-Control", "public, max-age=60")
		case "/no-store":
			w.Header().Set("Cache-Control", "no-store")
		case "/expires":
			w.Header().Set("Date", clk.t.Format(http.TimeFormat))
			w.Header().Set("Expires", clk.t.Add(30*time.Second).Format(http.TimeFormat))
		case "/bad-expires":
			w.Header().Set("Expires", "0")
		}
		fmt.Fprint(w, hits.Load())
	})
	base := "https://keys.example.com:" + port(srv)
	cases := []struct {
		path    string
		advance time.Duration
		cached  bool
	}{
		{"/max-age", 59 * time.Second, true},
		{"/max-age", 61 * time.Second, false},
		{"/no-store", 0, false},
		{"/expires", 29 * time.Second, true},
		{"/expires", 31 * time.Second, false},
		{"/bad-expires", 0, false},
		{"/default", 4 * time.Minute, true},
		{"/default", 6 * time.Minute, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s after %s", c.path, c.advance), func(t *testing.T) {
			f.Forget(base + c.path)
			first, err := f.Get(t.Context(), base+c.path)
			if err != nil {
				t.Fatal(err)
			}
			clk.t = clk.t.Add(c.advance)
			second, err := f.Get(t.Context(), base+c.path)
			if err != nil {
				t.Fatal(err)
			}
			if (string(first) == string(second)) != c.cached {
				t.Fatalf("cached: want %v (first %s, second %s)", c.cached, first, second)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	cases := []struct {
		ip       string
		loopback bool
		want     bool
	}{
		{"93.184.216.34", false, true},
		{"2606:4700::1111", false, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1", true, true},
		{"127.9.9.9", true, true},
		{"::1", true, true},
		{"10.0.0.1", true, false},
		{"172.16.0.1", false, false},
		{"192.168.1.1", false, false},
		{"169.254.169.254", true, false},
		{"fe80::1", false, false},
		{"fd00:ec2::254", false, false},
		{"0.0.0.0", true, false},
		{"::", false, false},
		{"::ffff:10.0.0.1", false, false},
		{"::ffff:169.254.169.254", true, false},
		{"224.0.0.1", false, false},
		{"100.100.100.200", false, false},
		{"255.255.255.255", false, false},
		{"64:ff9b::a9fe:a9fe", false, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s loopback=%v", c.ip, c.loopback), func(t *testing.T) {
			if got := Allowed(netip.MustParseAddr(c.ip), c.loopback); got != c.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	var hits atomic.Int32
	f, srv, clk := server(t, true, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=3600")
		fmt.Fprint(w, hits.Load())
	})
	u := "https://keys.example.com:" + port(srv) + "/jwks"
	if !f.Refresh(u) {
		t.Fatal("nothing cached: a refresh is allowed")
	}
	first, _ := f.Get(t.Context(), u)
	clk.t = clk.t.Add(59 * time.Second)
	if f.Refresh(u) {
		t.Fatal("refreshed within MinRefresh")
	}
	if again, _ := f.Get(t.Context(), u); string(again) != string(first) {
		t.Fatal("a refused refresh dropped the cache")
	}
	clk.t = clk.t.Add(2 * time.Second)
	if !f.Refresh(u) {
		t.Fatal("refresh after MinRefresh refused")
	}
	if fresh, _ := f.Get(t.Context(), u); string(fresh) == string(first) {
		t.Fatal("refresh did not refetch")
	}
}

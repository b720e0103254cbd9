package tenant

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type dir struct {
	tenants  map[string]Info
	hosts    map[string]string
	calls    int
	fail     error
	hostFail error // a failing custom-host lookup
}

func (d *dir) Lookup(_ context.Context, id ID) (Info, error) {
	d.calls++
	if d.fail != nil {
		return Info{}, d.fail
	}
	info, ok := d.tenants[id.String()]
	if !ok {
		return Info{}, ErrUnknown
	}
	return info, nil
}

func (d *dir) LookupHost(_ context.Context, host string) (ID, error) {
	d.calls++
	if d.hostFail != nil {
		return ID{}, d.hostFail
	}
	if id, ok := d.hosts[host]; ok {
		return MustID(id), nil
	}
	return ID{}, ErrUnknown
}

func newDir() *dir {
	return &dir{
		tenants: map[string]Info{"default": {}, "acme": {}, "globex": {}, "gone": {Disabled: true}},
		hosts:   map[string]string{"auth.acme.test": "acme", "auth.gone.test": "gone"},
	}
}

func TestResolve(t *testing.T) {
	const aws = "abc.execute-api.us-east-1.amazonaws.com"
	cases := []struct {
		name       string
		public     string
		anyHost    bool
		root       string
		host, path string
		wantID     string
		wantIssuer string
		wantPath   string
		wantErr    error
	}{
		{"root", "http://localhost:8080", false, "default", "localhost:8080", "/.well-known/jwks.json", "default", "http://localhost:8080", "/.well-known/jwks.json", nil},
		{"path tenant", "http://localhost:8080", false, "default", "localhost:8080", "/t/acme/.well-known/jwks.json", "acme", "http://localhost:8080/t/acme", "/.well-known/jwks.json", nil},
		{"path tenant root path", "http://localhost:8080", false, "default", "localhost:8080", "/t/acme", "acme", "http://localhost:8080/t/acme", "/", nil},
		{"RFC 8414 path insertion", "http://localhost:8080", false, "default", "localhost:8080", "/.well-known/oauth-authorization-server/t/acme", "acme", "http://localhost:8080/t/acme", "/.well-known/oauth-authorization-server", nil},
		{"openid insertion", "http://localhost:8080", false, "", "localhost:8080", "/.well-known/openid-configuration/t/globex", "globex", "http://localhost:8080/t/globex", "/.well-known/openid-configuration", nil},
		{"custom host", "https://auth.example.com", false, "", "auth.acme.test", "/oauth/token", "acme", "https://auth.acme.test", "/oauth/token", nil},
		{"custom host ignores /t/", "https://auth.example.com", false, "", "AUTH.ACME.TEST", "/t/globex/x", "acme", "https://auth.acme.test", "/t/globex/x", nil},
		{"custom host with a port", "https://auth.example.com", false, "", "auth.acme.test:8080", "/x", "acme", "https://auth.acme.test", "/x", nil},
		{"custom host with :443", "https://auth.example.com", false, "", "auth.acme.test:443", "/x", "acme", "https://auth.acme.test", "/x", nil},
		{"custom host with a trailing dot", "https://auth.example.com", false, "", "auth.acme.test.", "/x", "acme", "https://auth.acme.test", "/x", nil},
		{"custom host locally keeps scheme and port", "", true, "default", "auth.acme.test:8080", "/x", "acme", "http://auth.acme.test:8080", "/x", nil},
		{"base path", "https://api.example.com/auth", false, "default", "api.example.com", "/auth/t/acme/.well-known/jwks.json", "acme", "https://api.example.com/auth/t/acme", "/.well-known/jwks.json", nil},
		{"base path root", "https://api.example.com/auth/", false, "default", "api.example.com", "/auth/oauth/token", "default", "https://api.example.com/auth", "/oauth/token", nil},
		{"public URL from the request", "", false, "default", aws, "/t/acme/.well-known/jwks.json", "acme", "https://" + aws + "/t/acme", "/.well-known/jwks.json", nil},
		{"root with the public URL from the request", "", false, "default", aws, "/oauth/token", "default", "https://" + aws, "/oauth/token", nil},
		{"API Gateway host beside a public URL", "https://auth.example.com", false, "default", aws, "/oauth/token", "default", "https://auth.example.com", "/oauth/token", nil},
		{"locally the issuer follows the Host used", "", true, "default", "127.0.0.1:8080", "/.well-known/oauth-authorization-server", "default", "https://127.0.0.1:8080", "/.well-known/oauth-authorization-server", nil},
		{"locally any host name", "", true, "default", "LocalHost:8080", "/t/acme/x", "acme", "https://localhost:8080/t/acme", "/x", nil},
		{"locally an unknown dotted host is ours", "", true, "default", "myhost.lan:8080", "/x", "default", "https://myhost.lan:8080", "/x", nil},
		{"default port dropped", "", true, "default", "localhost:443", "/x", "default", "https://localhost", "/x", nil},
		// Error paths.
		{"unknown path tenant", "http://localhost:8080", false, "default", "localhost:8080", "/t/nope/.well-known/jwks.json", "", "", "", ErrUnknown},
		{"invalid tenant id", "http://localhost:8080", false, "default", "localhost:8080", "/t/Bad_Id/x", "", "", "", ErrUnknown},
		{"too short tenant id", "http://localhost:8080", false, "default", "localhost:8080", "/t/ab/x", "", "", "", ErrUnknown},
		{"disabled path tenant", "http://localhost:8080", false, "default", "localhost:8080", "/t/gone/x", "", "", "", ErrUnknown},
		{"disabled host tenant", "https://auth.example.com", false, "", "auth.gone.test", "/x", "", "", "", ErrUnknown},
		{"no root tenant", "http://localhost:8080", false, "", "localhost:8080", "/.well-known/jwks.json", "", "", "", ErrUnknown},
		{"outside the base path", "https://api.example.com/auth", false, "default", "api.example.com", "/other/x", "", "", "", ErrUnknown},
		{"base path is a whole segment", "https://api.example.com/auth", false, "default", "api.example.com", "/authX/oauth/token", "", "", "", ErrUnknown},
		{"insertion with extra segments", "http://localhost:8080", false, "", "localhost:8080", "/.well-known/oauth-authorization-server/t/acme/more", "", "", "", ErrUnknown},
		{"insertion only for metadata documents", "http://localhost:8080", false, "default", "localhost:8080", "/.well-known/jwks.json/t/acme", "", "", "", ErrUnknown},
		{"root tenant has no path issuer", "http://localhost:8080", false, "default", "localhost:8080", "/t/default/.well-known/jwks.json", "", "", "", ErrUnknown},
		{"root tenant has no inserted issuer", "http://localhost:8080", false, "default", "localhost:8080", "/.well-known/oauth-authorization-server/t/default", "", "", "", ErrUnknown},
		{"unknown host with a public URL", "https://auth.example.com", false, "default", "evil.example.org", "/.well-known/jwks.json", "", "", "", ErrUnknown},
		{"unknown host on AWS", "", false, "default", "evil.example.org", "/.well-known/jwks.json", "", "", "", ErrUnknown},
		{"removed host", "https://auth.example.com", false, "default", "auth.old.test", "/x", "", "", "", ErrUnknown},
		{"empty host", "", true, "default", "", "/x", "", "", "", ErrUnknown},
		{"garbage host", "", true, "default", "a b", "/x", "", "", "", ErrUnknown},
		{"bad port", "", true, "default", "localhost:99999", "/x", "", "", "", ErrUnknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var root ID
			if c.root != "" {
				root = MustID(c.root)
			}
			rs, err := NewResolver(newDir(), Options{PublicURL: c.public, Root: root, AnyHost: c.anyHost})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "http://example.com"+c.path, nil)
			r.Host = c.host
			if c.public == "" {
				r.Header.Set("X-Forwarded-Proto", "https")
				if c.anyHost && strings.HasPrefix(c.name, "custom host locally") {
					r.Header.Set("X-Forwarded-Proto", "http")
				}
			}
			got, path, err := rs.Resolve(r)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if got.ID.String() != c.wantID || got.Issuer != c.wantIssuer || path != c.wantPath {
				t.Fatalf("got %s %s %s, want %s %s %s", got.ID, got.Issuer, path, c.wantID, c.wantIssuer, c.wantPath)
			}
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Auth.Acme.Test": "auth.acme.test", "auth.acme.test:8080": "auth.acme.test", "auth.acme.test.:443": "auth.acme.test",
		"[::1]:8080": "[::1]", "127.0.0.1:80": "127.0.0.1",
		"": "", ":80": "", "a b": "", "x:y": "", "a/b": "", "[::1": "", "h:123456": "",
	} {
		if got := NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOwnHost(t *testing.T) {
	r := httptest.NewRequest("GET", "http://x/", nil)
	r.Host = "abc.execute-api.eu-west-1.amazonaws.com"
	noPublic, _ := NewResolver(newDir(), Options{})
	withPublic, _ := NewResolver(newDir(), Options{PublicURL: "https://auth.example.com:8443/base"})
	cases := []struct {
		rs   *Resolver
		host string
		want bool
	}{
		{noPublic, "abc.execute-api.eu-west-1.amazonaws.com", true},
		{noPublic, "other.execute-api.us-east-1.amazonaws.com", true},
		{noPublic, "auth.acme.test", false},
		{withPublic, "auth.example.com", true},
		{withPublic, "AUTH.example.com.", true},
		{withPublic, "auth.acme.test", false},
	}
	for _, c := range cases {
		if got := c.rs.OwnHost(r, c.host); got != c.want {
			t.Errorf("OwnHost(%q) = %v, want %v", c.host, got, c.want)
		}
	}
	local := httptest.NewRequest("GET", "http://x/", nil)
	local.Host = "localhost:8080"
	if !noPublic.OwnHost(local, "localhost") {
		t.Error("the host a request came through is the deployment's when no public URL is set")
	}
}

func TestResolverCache(t *testing.T) {
	d := newDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rs, err := NewResolver(d, Options{PublicURL: "http://localhost:8080", CacheTTL: 4 * time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) error {
		r := httptest.NewRequest("GET", "http://localhost:8080"+path, nil)
		_, _, err := rs.Resolve(r)
		return err
	}
	for range 3 {
		if err := get("/t/acme/x"); err != nil {
			t.Fatal(err)
		}
	}
	if d.calls != 1 {
		t.Fatalf("%d lookups for 3 requests within the TTL", d.calls)
	}
	d.tenants["acme"] = Info{Disabled: true}
	rs.Forget()
	if err := get("/t/acme/x"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("disabled tenant after Forget: %v", err)
	}
	d.tenants["acme"] = Info{}
	now = now.Add(5 * time.Second)
	if err := get("/t/acme/x"); err != nil {
		t.Fatalf("after the TTL: %v", err)
	}
	// Unknown tenants are cached for a quarter of the TTL only.
	if err := get("/t/newco/x"); !errors.Is(err, ErrUnknown) {
		t.Fatal(err)
	}
	d.tenants["newco"] = Info{}
	if err := get("/t/newco/x"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("negative answer not cached: %v", err)
	}
	now = now.Add(time.Second + time.Millisecond)
	if err := get("/t/newco/x"); err != nil {
		t.Fatalf("negative answer kept longer than a quarter of the TTL: %v", err)
	}
	// Lookup failures are not cached.
	d.fail = errors.New("table down")
	now = now.Add(6 * time.Second)
	if err := get("/t/acme/x"); err == nil || errors.Is(err, ErrUnknown) {
		t.Fatalf("lookup failure: %v", err)
	}
	d.fail = nil
	if err := get("/t/acme/x"); err != nil {
		t.Fatalf("after the failure: %v", err)
	}
}

// TestResolverCacheBounded: clients choose the Host values, so the cache
// evicts the least recently used entry instead of growing or being wiped.
func TestResolverCacheBounded(t *testing.T) {
	d := newDir()
	rs, err := NewResolver(d, Options{CacheTTL: time.Hour, CacheSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(host string) {
		r := httptest.NewRequest("GET", "http://x/y", nil)
		r.Host = host
		rs.Resolve(r)
	}
	resolve("auth.acme.test") // host + tenant entries
	for i := range 100 {
		resolve("auth.acme.test")
		resolve(fmt.Sprintf("h%d.example.org", i))
	}
	if n := rs.cache.Len(); n > 8 {
		t.Fatalf("cache holds %d entries, bound 8", n)
	}
	before := d.calls
	resolve("auth.acme.test")
	if d.calls != before {
		t.Fatal("a hot entry was evicted by a flood of unknown hosts")
	}
}

func TestFromWithoutResolver(t *testing.T) {
	if _, ok := From(context.Background()); ok {
		t.Fatal("a context without a tenant yielded one")
	}
	if _, ok := From(With(context.Background(), Tenant{})); ok {
		t.Fatal("a zero tenant was accepted")
	}
}

func TestParseID(t *testing.T) {
	for _, ok := range []string{"abc", "a-b", "default", "a0123456789012345678901234567890123456789"[:40]} {
		if _, err := ParseID(ok); err != nil {
			t.Errorf("ParseID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "ab", "-ab", "ab-", "ABC", "a_b", "a.b", "a/b", "~platform", "a0123456789012345678901234567890123456789x"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

func FuzzSplitTenantPath(f *testing.F) {
	for _, s := range []string{"/t/acme/x", "/.well-known/oauth-authorization-server/t/acme", "/t/", "/t//x", "/.well-known//t/", "/x/t/acme"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		id, rest, named, err := splitTenantPath(path)
		if err != nil {
			return
		}
		if named {
			if _, perr := ParseID(id.String()); perr != nil {
				t.Fatalf("accepted invalid id %q from %q", id, path)
			}
			if len(rest) == 0 || rest[0] != '/' {
				t.Fatalf("rest %q of %q is not absolute", rest, path)
			}
		} else if rest != path {
			t.Fatalf("root path rewritten: %q → %q", path, rest)
		}
	})
}

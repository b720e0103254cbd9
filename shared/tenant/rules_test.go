package tenant

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The deployment's own hosts are API Gateway's names matched label by label,
// never by a string suffix.
func TestAPIGatewayHostsByLabel(t *testing.T) {
	for host, want := range map[string]bool{
		"abc.execute-api.us-east-1.amazonaws.com":           true,
		"abc.execute-api.cn-north-1.amazonaws.com.cn":       true,
		"x.amazonaws.com.evil.test":                         false,
		"abc.execute-api.us-east-1.amazonaws.com.evil.test": false,
		"evilamazonaws.com":                                 false,
		"amazonaws.com":                                     false,
		"bucket.s3.us-east-1.amazonaws.com":                 false,
		".execute-api.us-east-1.amazonaws.com":              false,
		"a.b.execute-api.us-east-1.amazonaws.com":           false,
	} {
		if got := isAPIGatewayHost(host); got != want {
			t.Errorf("isAPIGatewayHost(%q) = %v, want %v", host, got, want)
		}
	}
	// Through Resolve: a look-alike host is looked up as a custom host (and
	// is nobody's), never served as the deployment's root.
	rs, _ := NewResolver(newDir(), Options{Root: MustID("default")})
	r := httptest.NewRequest("GET", "https://x/.well-known/jwks.json", nil)
	r.Host = "x.amazonaws.com.evil.test"
	if _, _, err := rs.Resolve(r); !errors.Is(err, ErrUnknown) {
		t.Fatalf("look-alike host resolved: %v", err)
	}
}

// The root tenant has one issuer, the root: /t/{root} is unknown whatever
// the root's id.
func TestRootTenantNeverAtItsPath(t *testing.T) {
	for _, root := range []string{"default", "acme"} {
		rs, _ := NewResolver(newDir(), Options{PublicURL: "https://auth.example.com", Root: MustID(root)})
		r := httptest.NewRequest("GET", "https://auth.example.com/t/"+root+"/.well-known/jwks.json", nil)
		if _, _, err := rs.Resolve(r); !errors.Is(err, ErrUnknown) {
			t.Errorf("root %s served at /t/%s: %v", root, root, err)
		}
		r = httptest.NewRequest("GET", "https://auth.example.com/.well-known/oauth-authorization-server/t/"+root, nil)
		if _, _, err := rs.Resolve(r); !errors.Is(err, ErrUnknown) {
			t.Errorf("root %s served by path insertion: %v", root, err)
		}
	}
}

// A custom-host lookup that fails is an error the caller answers 503: never
// "unknown" and never the root tenant, locally (any host) or on AWS.
func TestFailedHostLookupFailsClosed(t *testing.T) {
	down := errors.New("table down")
	for _, o := range []Options{{Root: MustID("default")}, {Root: MustID("default"), AnyHost: true}} {
		d := newDir()
		d.hostFail = down
		rs, _ := NewResolver(d, o)
		r := httptest.NewRequest("GET", "https://x/.well-known/jwks.json", nil)
		r.Host = "auth.acme.test"
		tn, _, err := rs.Resolve(r)
		if !errors.Is(err, down) || !tn.ID.IsZero() {
			t.Errorf("anyHost=%v: tenant %q, err %v; want the lookup's failure", o.AnyHost, tn.ID, err)
		}
	}
}

// An issuer keeps a port that is not its scheme's default.
func TestIssuerKeepsNonDefaultPort(t *testing.T) {
	rs, _ := NewResolver(newDir(), Options{Root: MustID("default"), AnyHost: true})
	for _, c := range []struct{ proto, host, want string }{
		{"http", "h.local:443", "http://h.local:443"},
		{"https", "h.local:80", "https://h.local:80"},
		{"http", "h.local:80", "http://h.local"},
		{"https", "h.local:443", "https://h.local"},
		{"http", "127.0.0.1:8080", "http://127.0.0.1:8080"},
	} {
		r := httptest.NewRequest("GET", "/.well-known/jwks.json", nil)
		r.Host = c.host
		r.Header.Set("X-Forwarded-Proto", c.proto)
		if got := rs.Base(r); got != c.want {
			t.Errorf("%s %s: base %q, want %q", c.proto, c.host, got, c.want)
		}
	}
}

// Without X-Forwarded-Proto, TLS or a scheme in the request URL, the
// scheme is https, never http.
func TestSchemeDefaultsToHTTPS(t *testing.T) {
	r, _ := http.NewRequest("GET", "/oauth/token", nil)
	if r.URL.Scheme != "" || r.TLS != nil {
		t.Fatal("the request must carry no scheme")
	}
	if got := Scheme(r); got != "https" {
		t.Fatalf("scheme %q", got)
	}
	r.Header.Set("X-Forwarded-Proto", "gopher")
	if got := Scheme(r); got != "https" {
		t.Fatalf("unknown forwarded scheme gave %q", got)
	}
	r.Header.Set("X-Forwarded-Proto", "HTTP")
	if got := Scheme(r); got != "http" {
		t.Fatalf("forwarded http gave %q", got)
	}
}

// A tenant disabled while cached: the function that disabled it forgets its
// cache and refuses at once; another container keeps its answer at most the
// cache TTL (DESIGN §2's bound), then refuses.
func TestDisabledWhileCached(t *testing.T) {
	d := newDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	opts := Options{PublicURL: "https://auth.example.com", CacheTTL: 30 * time.Second, Now: clock}
	self, _ := NewResolver(d, opts)
	other, _ := NewResolver(d, opts)
	get := func(rs *Resolver) error {
		_, _, err := rs.Resolve(httptest.NewRequest("GET", "https://auth.example.com/t/acme/oauth/token", nil))
		return err
	}
	for _, rs := range []*Resolver{self, other} {
		if err := get(rs); err != nil {
			t.Fatal(err)
		}
	}
	d.tenants["acme"] = Info{Disabled: true}
	self.Forget()
	if err := get(self); !errors.Is(err, ErrUnknown) {
		t.Fatalf("the disabling function still serves the tenant: %v", err)
	}
	now = now.Add(29 * time.Second)
	if err := get(other); err != nil {
		t.Fatalf("another container within the TTL: %v (cached answer expected)", err)
	}
	now = now.Add(time.Second)
	if err := get(other); !errors.Is(err, ErrUnknown) {
		t.Fatalf("another container past the TTL still serves the tenant: %v", err)
	}
}

package tenant

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

type dir struct {
	tenants map[string]Info
	hosts   map[string]string
	calls   int
	fail    error
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
	cases := []struct {
		name       string
		public     string
		root       string
		host, path string
		wantID     string
		wantIssuer string
		wantPath   string
		wantErr    error
	}{
		{"root", "http://localhost:8080", "default", "localhost:8080", "/.well-known/jwks.json", "default", "http://localhost:8080", "/.well-known/jwks.json", nil},
		{"root via another local name", "http://localhost:8080", "default", "127.0.0.1:8080", "/oauth/token", "default", "http://localhost:8080", "/oauth/token", nil},
		{"path tenant", "http://localhost:8080", "default", "localhost:8080", "/t/acme/.well-known/jwks.json", "acme", "http://localhost:8080/t/acme", "/.well-known/jwks.json", nil},
		{"path tenant root path", "http://localhost:8080", "default", "localhost:8080", "/t/acme", "acme", "http://localhost:8080/t/acme", "/", nil},
		{"RFC 8414 path insertion", "http://localhost:8080", "default", "localhost:8080", "/.well-known/oauth-authorization-server/t/acme", "acme", "http://localhost:8080/t/acme", "/.well-known/oauth-authorization-server", nil},
		{"openid insertion", "http://localhost:8080", "", "localhost:8080", "/.well-known/openid-configuration/t/globex", "globex", "http://localhost:8080/t/globex", "/.well-known/openid-configuration", nil},
		{"custom host", "https://auth.example.com", "", "auth.acme.test", "/oauth/token", "acme", "https://auth.acme.test", "/oauth/token", nil},
		{"custom host ignores /t/", "https://auth.example.com", "", "AUTH.ACME.TEST", "/t/globex/x", "acme", "https://auth.acme.test", "/t/globex/x", nil},
		{"base path", "https://api.example.com/auth", "default", "api.example.com", "/auth/t/acme/.well-known/jwks.json", "acme", "https://api.example.com/auth/t/acme", "/.well-known/jwks.json", nil},
		{"base path root", "https://api.example.com/auth/", "default", "api.example.com", "/auth/oauth/token", "default", "https://api.example.com/auth", "/oauth/token", nil},
		{"public URL from the request", "", "default", "abc.execute-api.us-east-1.amazonaws.com", "/t/acme/.well-known/jwks.json", "acme", "https://abc.execute-api.us-east-1.amazonaws.com/t/acme", "/.well-known/jwks.json", nil},
		{"root with the public URL from the request", "", "default", "abc.execute-api.us-east-1.amazonaws.com", "/oauth/token", "default", "https://abc.execute-api.us-east-1.amazonaws.com", "/oauth/token", nil},
		// Error paths.
		{"unknown path tenant", "http://localhost:8080", "default", "localhost:8080", "/t/nope/.well-known/jwks.json", "", "", "", ErrUnknown},
		{"invalid tenant id", "http://localhost:8080", "default", "localhost:8080", "/t/Bad_Id/x", "", "", "", ErrUnknown},
		{"too short tenant id", "http://localhost:8080", "default", "localhost:8080", "/t/ab/x", "", "", "", ErrUnknown},
		{"disabled path tenant", "http://localhost:8080", "default", "localhost:8080", "/t/gone/x", "", "", "", ErrUnknown},
		{"disabled host tenant", "https://auth.example.com", "", "auth.gone.test", "/x", "", "", "", ErrUnknown},
		{"no root tenant", "http://localhost:8080", "", "localhost:8080", "/.well-known/jwks.json", "", "", "", ErrUnknown},
		{"outside the base path", "https://api.example.com/auth", "default", "api.example.com", "/other/x", "", "", "", ErrUnknown},
		{"insertion with extra segments", "http://localhost:8080", "", "localhost:8080", "/.well-known/a/t/acme/more", "", "", "", ErrUnknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var root ID
			if c.root != "" {
				root = MustID(c.root)
			}
			rs, err := NewResolver(c.public, root, newDir(), 0, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "http://"+c.host+c.path, nil)
			r.Host = c.host
			if c.public == "" {
				r.Header.Set("X-Forwarded-Proto", "https")
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

func TestResolverCache(t *testing.T) {
	d := newDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rs, err := NewResolver("http://localhost:8080", ID{}, d, 5*time.Second, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	get := func() error {
		r := httptest.NewRequest("GET", "http://localhost:8080/t/acme/x", nil)
		_, _, err := rs.Resolve(r)
		return err
	}
	for range 3 {
		if err := get(); err != nil {
			t.Fatal(err)
		}
	}
	if d.calls != 1 {
		t.Fatalf("%d lookups for 3 requests within the TTL", d.calls)
	}
	d.tenants["acme"] = Info{Disabled: true}
	rs.Forget()
	if err := get(); !errors.Is(err, ErrUnknown) {
		t.Fatalf("disabled tenant after Forget: %v", err)
	}
	d.tenants["acme"] = Info{}
	now = now.Add(6 * time.Second)
	if err := get(); err != nil {
		t.Fatalf("after the TTL: %v", err)
	}
	// Lookup failures are not cached.
	d.fail = errors.New("table down")
	now = now.Add(6 * time.Second)
	if err := get(); err == nil || errors.Is(err, ErrUnknown) {
		t.Fatalf("lookup failure: %v", err)
	}
	d.fail = nil
	if err := get(); err != nil {
		t.Fatalf("after the failure: %v", err)
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

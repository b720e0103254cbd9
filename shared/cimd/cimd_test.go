package cimd

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func TestIsCIMD(t *testing.T) {
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"https://app.example.com/client.json", true},
		{"https://app.example.com:8443/oauth/client", true},
		{"https://app.example.com/client?v=1", true},
		{"https://app.example.com/", true},
		{"https://app.example.com", false},                      // no path
		{"http://app.example.com/client.json", false},           // not https
		{"HTTPS://app.example.com/client.json", false},          // https spelled otherwise
		{"https:///client.json", false},                         // no host
		{"https://user:pw@app.example.com/client.json", false},  // user info
		{"https://app.example.com/client.json#x", false},        // fragment
		{"https://app.example.com/a/../client.json", false},     // dot segment
		{"https://app.example.com/./client.json", false},        // dot segment
		{"https://app.example.com/a/%2e%2e/client.json", false}, // encoded dot segment
		{"https://app.example.com/a b", false},                  // space
		{"https://app.example.com/" + strings.Repeat("a", MaxClientIDLen), false},
		{"agent_V1StGXR8Z5jdHi6B", false}, // a registered client's id
		{"", false},
	} {
		if got := IsCIMD(c.id); got != c.want {
			t.Errorf("IsCIMD(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResolve(t *testing.T) {
	h := newHarness(t)
	id := h.url("app.example.com", "/client.json")
	h.serve("/client.json", doc{body: mustJSON(t, valid(id, map[string]any{"token_endpoint_auth_method": nil}))})
	c, err := h.res.Resolve(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := Client{ClientID: id, Name: "Example MCP Client", RedirectURIs: []string{"http://127.0.0.1/callback", "https://app.example.com/oauth/callback"},
		AuthMethod: "none", Scope: "mcp:read mcp:write", LogoURI: "https://app.example.com/logo.png"}
	if c.ClientID != want.ClientID || c.Name != want.Name || !slices.Equal(c.RedirectURIs, want.RedirectURIs) || c.AuthMethod != want.AuthMethod || c.Scope != want.Scope || c.LogoURI != want.LogoURI || c.JWKSURI != "" {
		t.Fatalf("client %+v, want %+v", c, want)
	}

	// private_key_jwt with a jwks_uri is the confidential form a document may take.
	pk := h.url("app.example.com", "/pk.json")
	h.serve("/pk.json", doc{body: mustJSON(t, valid(pk, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://app.example.com/jwks.json"}))})
	c, err = h.res.Resolve(context.Background(), pk)
	if err != nil || c.AuthMethod != "private_key_jwt" || c.JWKSURI != "https://app.example.com/jwks.json" {
		t.Fatalf("private_key_jwt: %+v %v", c, err)
	}
}

// Every refusal names its kind; none of them is a client.
func TestResolveRefusals(t *testing.T) {
	h := newHarness(t)
	id := func(path string) string { return h.url("app.example.com", path) }
	cases := []struct {
		name   string
		id     string // default id("/c/"+name)
		doc    *doc   // served at the id's path; nil: built from members
		member map[string]any
		kind   error
		cause  error
	}{
		{name: "client_id differs", member: map[string]any{"client_id": "https://app.example.com/other.json"}, kind: ErrInvalid},
		{name: "client_id with a trailing slash", member: map[string]any{"client_id": id("/c/client_id with a trailing slash") + "/"}, kind: ErrInvalid},
		{name: "client_id missing", member: map[string]any{"client_id": nil}, kind: ErrInvalid},
		{name: "client_id not a string", member: map[string]any{"client_id": 7}, kind: ErrInvalid},
		{name: "client_name missing", member: map[string]any{"client_name": nil}, kind: ErrInvalid},
		{name: "client_name blank", member: map[string]any{"client_name": "  "}, kind: ErrInvalid},
		{name: "redirect_uris missing", member: map[string]any{"redirect_uris": nil}, kind: ErrInvalid},
		{name: "redirect_uris empty", member: map[string]any{"redirect_uris": []string{}}, kind: ErrInvalid},
		{name: "redirect_uri http not loopback", member: map[string]any{"redirect_uris": []string{"http://app.example.com/cb"}}, kind: ErrInvalid},
		{name: "redirect_uri with a fragment", member: map[string]any{"redirect_uris": []string{"https://app.example.com/cb#x"}}, kind: ErrInvalid},
		{name: "redirect_uri javascript", member: map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}, kind: ErrInvalid},
		{name: "client_secret_basic", member: map[string]any{"token_endpoint_auth_method": "client_secret_basic"}, kind: ErrInvalid},
		{name: "client_secret_post", member: map[string]any{"token_endpoint_auth_method": "client_secret_post"}, kind: ErrInvalid},
		{name: "client_secret_jwt", member: map[string]any{"token_endpoint_auth_method": "client_secret_jwt"}, kind: ErrInvalid},
		{name: "client_secret present", member: map[string]any{"client_secret": "s3cret"}, kind: ErrInvalid},
		{name: "client_secret_expires_at present", member: map[string]any{"client_secret_expires_at": 0}, kind: ErrInvalid},
		{name: "private_key_jwt without jwks_uri", member: map[string]any{"token_endpoint_auth_method": "private_key_jwt"}, kind: ErrInvalid},
		{name: "jwks inline", member: map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": map[string]any{"keys": []any{}}}, kind: ErrInvalid},
		{name: "client_credentials grant", member: map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://app.example.com/jwks.json", "grant_types": []string{"client_credentials"}, "response_types": nil}, kind: ErrInvalid},
		{name: "not JSON", doc: &doc{body: "<html>hi</html>"}, kind: ErrInvalid},
		{name: "duplicate member", doc: &doc{body: `{"client_id":"x","client_id":"y"}`}, kind: ErrInvalid},
		{name: "oversize document", member: map[string]any{"software_version": strings.Repeat("v", 200), "contacts": []string{strings.Repeat("a", 300), strings.Repeat("b", 300)}, "tos_uri": "https://app.example.com/" + strings.Repeat("t", 2000), "policy_uri": "https://app.example.com/" + strings.Repeat("p", 2000), "client_uri": "https://app.example.com/" + strings.Repeat("c", 1000)}, kind: ErrInvalid},
		{name: "over the fetcher's bound", doc: &doc{body: strings.Repeat(" ", 70<<10) + "{}"}, kind: ErrFetch, cause: fetch.ErrTooLarge},
		{name: "not found", doc: &doc{body: "{}", status: 404}, kind: ErrFetch, cause: fetch.ErrStatus},
		{name: "private address", id: h.url("internal.example.com", "/client.json"), kind: ErrFetch, cause: fetch.ErrBlocked},
		{name: "metadata address", id: "https://metadata.example.com/latest/meta-data/", kind: ErrFetch, cause: fetch.ErrBlocked},
		{name: "private literal", id: "https://10.0.0.1/client.json", kind: ErrFetch, cause: fetch.ErrBlocked},
		{name: "http URL", id: "http://app.example.com/client.json", kind: ErrNotCIMD},
		{name: "no path", id: h.url("app.example.com", ""), kind: ErrNotCIMD},
		{name: "fragment", id: id("/client.json#frag"), kind: ErrNotCIMD},
		{name: "dot segment", id: id("/x/../client.json"), kind: ErrNotCIMD},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cid := c.id
			if cid == "" {
				cid = id("/c/" + strings.ReplaceAll(c.name, " ", "-"))
			}
			if u := strings.TrimPrefix(cid, h.url("app.example.com", "")); u != cid {
				d := c.doc
				if d == nil {
					d = &doc{body: mustJSON(t, valid(cid, c.member))}
				}
				h.serve(u, *d)
			}
			got, err := h.res.Resolve(context.Background(), cid)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, c.kind) || e.Description == "" {
				t.Fatalf("error %v, want kind %v", err, c.kind)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Fatalf("error %v, want cause %v", err, c.cause)
			}
			if got.ClientID != "" {
				t.Fatalf("a refusal returned a client: %+v", got)
			}
		})
	}
}

// The oversize case above must be a valid document but for its size.
func TestOversizeCaseIsOtherwiseValid(t *testing.T) {
	h := newHarness(t)
	id := h.url("app.example.com", "/big.json")
	body := mustJSON(t, valid(id, map[string]any{"software_version": strings.Repeat("v", 200), "contacts": []string{strings.Repeat("a", 300), strings.Repeat("b", 300)}, "tos_uri": "https://app.example.com/" + strings.Repeat("t", 2000), "policy_uri": "https://app.example.com/" + strings.Repeat("p", 2000), "client_uri": "https://app.example.com/" + strings.Repeat("c", 1000)}))
	if len(body) <= DefaultMaxBytes {
		t.Fatalf("document of %d bytes is not oversize", len(body))
	}
	h.serve("/big.json", doc{body: body})
	h.res.MaxBytes = 16 << 10
	if _, err := h.res.Resolve(context.Background(), id); err != nil {
		t.Fatalf("with a larger bound: %v", err)
	}
}

func TestCache(t *testing.T) {
	for _, c := range []struct {
		name   string
		header map[string]string
		fresh  time.Duration // still cached just before, refetched just after
	}{
		{"max-age", map[string]string{"Cache-Control": "max-age=600"}, 10 * time.Minute},
		{"expires", map[string]string{"Expires": "Tue, 01 Dec 2026 08:00:00 GMT", "Date": "Tue, 01 Dec 2026 06:00:00 GMT"}, 2 * time.Hour},
		{"no headers", nil, 5 * time.Minute},
		{"no-store: held the minimum", map[string]string{"Cache-Control": "no-store"}, time.Minute},
		{"max-age=0: held the minimum", map[string]string{"Cache-Control": "max-age=0"}, time.Minute},
		{"a year: held the maximum", map[string]string{"Cache-Control": "max-age=31536000"}, 24 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			id := h.url("app.example.com", "/client.json")
			h.serve("/client.json", doc{body: mustJSON(t, valid(id, nil)), header: c.header})
			start := h.now
			for _, step := range []struct {
				at   time.Duration
				hits int
			}{{0, 1}, {c.fresh - time.Second, 1}, {c.fresh + time.Second, 2}, {c.fresh + 2*time.Second, 2}} {
				h.now = start.Add(step.at)
				if _, err := h.res.Resolve(context.Background(), id); err != nil {
					t.Fatal(err)
				}
				if got := h.hitsOf("/client.json"); got != step.hits {
					t.Fatalf("at +%v: %d fetches, want %d", step.at, got, step.hits)
				}
			}
		})
	}
}

// A refused document is remembered for the minimum age, then fetched again.
func TestCacheRefusal(t *testing.T) {
	h := newHarness(t)
	id := h.url("app.example.com", "/client.json")
	h.serve("/client.json", doc{body: mustJSON(t, valid(id, map[string]any{"client_id": "https://evil.example/"}))})
	for range 3 {
		if _, err := h.res.Resolve(context.Background(), id); !errors.Is(err, ErrInvalid) {
			t.Fatalf("mismatch: %v", err)
		}
	}
	if got := h.hitsOf("/client.json"); got != 1 {
		t.Fatalf("%d fetches of a refused document within a minute", got)
	}
	h.serve("/client.json", doc{body: mustJSON(t, valid(id, nil))})
	h.now = h.now.Add(DefaultMinAge + time.Second)
	if _, err := h.res.Resolve(context.Background(), id); err != nil {
		t.Fatalf("fixed document: %v", err)
	}
	if got := h.hitsOf("/client.json"); got != 2 {
		t.Fatalf("%d fetches", got)
	}
}

// The cache is bounded: the least recently used client id is dropped.
func TestCacheBounded(t *testing.T) {
	h := newHarness(t)
	h.res.CacheSize = 2
	var ids []string
	for _, p := range []string{"/a.json", "/b.json", "/c.json"} {
		id := h.url("app.example.com", p)
		h.serve(p, doc{body: mustJSON(t, valid(id, nil)), header: map[string]string{"Cache-Control": "max-age=3600"}})
		ids = append(ids, id)
		if _, err := h.res.Resolve(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.res.Resolve(context.Background(), ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := h.res.Resolve(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	if a, c := h.hitsOf("/a.json"), h.hitsOf("/c.json"); a != 2 || c != 1 {
		t.Fatalf("fetches a=%d c=%d, want 2 and 1", a, c)
	}
}

func TestPolicy(t *testing.T) {
	h := newHarness(t)
	app := h.url("app.example.com", "/client.json")
	cdn := h.url("cdn.app.example.com", "/client.json")
	other := h.url("other.example.net", "/client.json")
	h.serve("/client.json", doc{})
	cases := []struct {
		name   string
		policy Policy
		ok     []string
		refuse []string
	}{
		{"default: on, every host", Policy{}, []string{app, cdn, other}, nil},
		{"disabled", Policy{Disabled: true}, nil, []string{app, cdn, other}},
		{"deny exact", Policy{Deny: []string{"app.example.com"}}, []string{cdn, other}, []string{app}},
		{"deny subdomains", Policy{Deny: []string{"*.app.example.com"}}, []string{app, other}, []string{cdn}},
		{"allow exact", Policy{Allow: []string{"other.example.net"}}, []string{other}, []string{app, cdn}},
		{"allow subdomains", Policy{Allow: []string{"*.example.com"}}, []string{app, cdn}, []string{other}},
		{"deny wins over allow", Policy{Allow: []string{"*.example.com"}, Deny: []string{"cdn.app.example.com"}}, []string{app}, []string{cdn, other}},
		{"case-insensitive entries", Policy{Deny: []string{"APP.example.com"}}, []string{cdn}, []string{app}},
		{"deny not bypassed by spelling", Policy{Deny: []string{"app.example.com"}}, nil, []string{h.url("APP.Example.com.", "/client.json"), h.url("app.example.com.", "/client.json")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.policy = c.policy
			for _, id := range c.ok {
				// Serve a document valid for id at its path on every host:
				// the resolver keys by the whole URL.
				h.serve("/client.json", doc{body: mustJSON(t, valid(id, nil))})
				h.res = &Resolver{Fetcher: h.res.Fetcher, Now: h.clock, Policy: h.res.Policy}
				if _, err := h.res.Resolve(context.Background(), id); err != nil {
					t.Errorf("%s refused: %v", id, err)
				}
			}
			for _, id := range c.refuse {
				before := h.hitsOf("/client.json")
				if _, err := h.res.Resolve(context.Background(), id); !errors.Is(err, ErrRefused) {
					t.Errorf("%s: %v, want ErrRefused", id, err)
				}
				if h.hitsOf("/client.json") != before {
					t.Errorf("%s: fetched before the policy refused it", id)
				}
			}
		})
	}

	// The policy is checked on every call, a cached client included.
	h.policy = Policy{}
	h.serve("/client.json", doc{body: mustJSON(t, valid(app, nil))})
	if _, err := h.res.Resolve(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	h.policy = Policy{Deny: []string{"app.example.com"}}
	if _, err := h.res.Resolve(context.Background(), app); !errors.Is(err, ErrRefused) {
		t.Fatalf("cached client after a deny: %v", err)
	}
}

// TenantPolicy reads the tenant record the tenant resolver put in the
// request context; without one, nothing is accepted.
func TestTenantPolicy(t *testing.T) {
	off := false
	on := true
	with := func(rec store.Tenant) context.Context {
		return tenant.With(context.Background(), tenant.Tenant{ID: tenant.MustID("acme"), Issuer: "https://as.example.com", Record: rec})
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
		host string
		ok   bool
	}{
		{"never set: on", with(store.Tenant{ID: "acme"}), "app.example.com", true},
		{"turned on", with(store.Tenant{ID: "acme", CIMD: &on}), "app.example.com", true},
		{"turned off", with(store.Tenant{ID: "acme", CIMD: &off}), "app.example.com", false},
		{"allow list", with(store.Tenant{ID: "acme", CIMDHosts: []string{"*.claude.ai"}}), "app.example.com", false},
		{"allow list match", with(store.Tenant{ID: "acme", CIMDHosts: []string{"*.claude.ai"}}), "mcp.claude.ai", true},
		{"deny list", with(store.Tenant{ID: "acme", CIMDDenyHosts: []string{"app.example.com"}}), "app.example.com", false},
		{"no tenant", context.Background(), "app.example.com", false},
	} {
		err := TenantPolicy(c.ctx).Check(c.host)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v is not ErrRefused", c.name, err)
		}
	}
}

// The zero Resolver uses TenantPolicy: a request without a tenant is refused.
func TestZeroResolverNeedsTenant(t *testing.T) {
	var r Resolver
	if _, err := r.Resolve(context.Background(), "https://app.example.com/client.json"); !errors.Is(err, ErrRefused) {
		t.Fatalf("%v", err)
	}
}

// Concurrent resolutions of one uncached client id share one fetch.
func TestConcurrentResolveFetchesOnce(t *testing.T) {
	h := newHarness(t)
	id := h.url("app.example.com", "/client.json")
	h.serve("/client.json", doc{body: mustJSON(t, valid(id, nil))})
	release := make(chan struct{})
	h.mu.Lock()
	h.gate = release
	h.mu.Unlock()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			c, err := h.res.Resolve(context.Background(), id)
			if err == nil && c.ClientID != id {
				err = errors.New("wrong client")
			}
			errs <- err
		})
	}
	time.Sleep(100 * time.Millisecond) // let every caller reach the fetch
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := h.hitsOf("/client.json"); got != 1 {
		t.Fatalf("%d fetches for %d concurrent resolutions", got, n)
	}
}

// A caller that changes the client it got does not change the cached one.
func TestResolvedClientIsACopy(t *testing.T) {
	h := newHarness(t)
	id := h.url("app.example.com", "/client.json")
	h.serve("/client.json", doc{body: mustJSON(t, valid(id, nil))})
	c, err := h.res.Resolve(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	c.RedirectURIs[0] = "https://attacker.example/cb"
	again, err := h.res.Resolve(context.Background(), id)
	if err != nil || again.RedirectURIs[0] != "http://127.0.0.1/callback" {
		t.Fatalf("cached client changed: %v %v", again.RedirectURIs, err)
	}
}

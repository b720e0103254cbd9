package resource

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestJWKSUnknownKIDRefetchIsRateLimited(t *testing.T) {
	e := newEnv(t, nil)
	bearer := func(tok string) int { return e.do(request("POST", testResource, "Bearer "+tok, "")).Code }
	if got := bearer(e.token(nil)); got != 200 {
		t.Fatalf("first request %d", got)
	}
	if n := e.is.jwksHits.Load(); n != 1 {
		t.Fatalf("jwks fetches %d, want 1", n)
	}
	// Within the interval after that fetch, an unknown kid fetches nothing.
	forged := newSigningKey(t, "made-up")
	if got := bearer(signToken(t, forged, e.is.claims(e.clock.Now(), testResource), nil)); got != 401 {
		t.Fatalf("forged kid: %d", got)
	}
	if n := e.is.jwksHits.Load(); n != 1 {
		t.Fatalf("jwks fetches %d, want 1", n)
	}
	// Later, tokens naming made-up kids: one refetch, then none within the interval.
	e.clock.Advance(DefaultRefetchInterval)
	for i := range 5 {
		forged := newSigningKey(t, "made-up-"+randomString(4))
		if got := bearer(signToken(t, forged, e.is.claims(e.clock.Now(), testResource), nil)); got != 401 {
			t.Fatalf("forged kid %d: %d", i, got)
		}
	}
	if n := e.is.jwksHits.Load(); n != 2 {
		t.Fatalf("jwks fetches after 5 unknown kids %d, want 2", n)
	}
	// The issuer rotates: the next key appears in the JWKS. Within the
	// interval the new kid is refused; after it, one refetch finds it.
	next := newSigningKey(t, "kid-next")
	e.is.setKeys(e.key, next)
	tok := signToken(t, next, e.is.claims(e.clock.Now(), testResource), nil)
	if got := bearer(tok); got != 401 {
		t.Fatalf("new kid within the interval: %d, want 401", got)
	}
	e.clock.Advance(DefaultRefetchInterval)
	if got := bearer(tok); got != 200 {
		t.Fatalf("new kid after the interval: %d, want 200", got)
	}
	if n := e.is.jwksHits.Load(); n != 3 {
		t.Fatalf("jwks fetches %d, want 3", n)
	}
	// Known kids never refetch while the cache is fresh.
	for range 3 {
		if got := bearer(e.token(nil)); got != 200 {
			t.Fatal(got)
		}
	}
	if n := e.is.jwksHits.Load(); n != 3 {
		t.Fatalf("jwks fetches %d, want 3", n)
	}
}

func TestJWKSCacheLifetime(t *testing.T) {
	cases := []struct {
		name         string
		cacheControl string
		want         time.Duration
	}{
		{"max-age honoured", "public, max-age=300", 300 * time.Second},
		{"max-age above the bound", "max-age=86400", DefaultJWKSMaxTTL},
		{"max-age below the bound", "max-age=1", DefaultJWKSMinTTL},
		{"no-store gives the minimum", "no-store", DefaultJWKSMinTTL},
		{"no header: default", "", DefaultJWKSTTL},
		{"malformed max-age: default", "max-age=soon", DefaultJWKSTTL},
		{"negative max-age: default", "max-age=-5", DefaultJWKSTTL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.is.cacheControl = c.cacheControl
			ok := func() {
				t.Helper()
				if w := e.do(request("POST", testResource, "Bearer "+e.token(nil), "")); w.Code != 200 {
					t.Fatalf("status %d", w.Code)
				}
			}
			ok()
			e.clock.Advance(c.want - time.Second)
			ok()
			if n := e.is.jwksHits.Load(); n != 1 {
				t.Fatalf("fetched %d times before %v", n, c.want)
			}
			e.clock.Advance(time.Second)
			ok()
			if n := e.is.jwksHits.Load(); n != 2 {
				t.Fatalf("fetched %d times at %v, want a refetch", n, c.want)
			}
		})
	}
}

func TestJWKSFailures(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(e *env)
		status int
	}{
		{name: "jwks endpoint down: 503, not 401", status: 503,
			setup: func(e *env) { e.is.jwksStatus = http.StatusInternalServerError }},
		{name: "private key in the jwks is not used", status: 401,
			setup: func(e *env) {
				b, _ := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256", "kid": "kid-current",
					"x": b64(e.key.priv.X.FillBytes(make([]byte, 32))), "y": b64(e.key.priv.Y.FillBytes(make([]byte, 32))),
					"d": b64(e.key.priv.D.FillBytes(make([]byte, 32)))})
				e.is.published = nil
				e.is.extraJWKS = append(e.is.extraJWKS, b)
			}},
		{name: "symmetric key in the jwks is not used", status: 401,
			setup: func(e *env) {
				e.is.published = nil
				e.is.extraJWKS = append(e.is.extraJWKS, json.RawMessage(`{"kty":"oct","kid":"kid-current","k":"c2VjcmV0"}`))
			}},
		{name: "encryption key in the jwks is not used", status: 401,
			setup: func(e *env) {
				b, _ := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256", "kid": "kid-current", "use": "enc",
					"x": b64(e.key.priv.X.FillBytes(make([]byte, 32))), "y": b64(e.key.priv.Y.FillBytes(make([]byte, 32)))})
				e.is.published = nil
				e.is.extraJWKS = append(e.is.extraJWKS, b)
			}},
		{name: "key with another alg is not used", status: 401,
			setup: func(e *env) {
				b, _ := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256", "kid": "kid-current", "alg": "ES384",
					"x": b64(e.key.priv.X.FillBytes(make([]byte, 32))), "y": b64(e.key.priv.Y.FillBytes(make([]byte, 32)))})
				e.is.published = nil
				e.is.extraJWKS = append(e.is.extraJWKS, b)
			}},
		{name: "well-formed public key without alg is used", status: 200,
			setup: func(e *env) {
				b, _ := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256", "kid": "kid-current",
					"x": b64(e.key.priv.X.FillBytes(make([]byte, 32))), "y": b64(e.key.priv.Y.FillBytes(make([]byte, 32)))})
				e.is.published = nil
				e.is.extraJWKS = append(e.is.extraJWKS, b)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			c.setup(e)
			w := e.do(request("POST", testResource, "Bearer "+e.token(nil), ""))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.status == 503 {
				if w.Header().Get("WWW-Authenticate") != "" || w.Header().Get("Retry-After") == "" {
					t.Errorf("503 headers %v", w.Header())
				}
			}
		})
	}
}

func TestJWKSKeepsKeysWhenRefetchFails(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(nil)
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 200 {
		t.Fatal(w.Code)
	}
	e.is.mu.Lock()
	e.is.jwksStatus = 500
	e.is.mu.Unlock()
	e.clock.Advance(DefaultJWKSTTL)
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 200 {
		t.Fatalf("known key after a failed refetch: %d", w.Code)
	}
	if n := e.is.jwksHits.Load(); n != 2 {
		t.Fatalf("fetches %d, want 2", n)
	}
}

func TestJWKSUnknownKIDAfterFailedFetchIs503(t *testing.T) {
	e := newEnv(t, nil)
	e.is.mu.Lock()
	e.is.jwksStatus = 502
	e.is.mu.Unlock()
	steps := []struct {
		name string
		want int
		hits int32
	}{
		{"first fetch fails", 503, 1},
		{"within the interval: the failure is remembered, no fetch", 503, 1},
	}
	for _, s := range steps {
		if w := e.do(request("POST", testResource, "Bearer "+e.token(nil), "")); w.Code != s.want {
			t.Fatalf("%s: %d, want %d", s.name, w.Code, s.want)
		}
		if n := e.is.jwksHits.Load(); n != s.hits {
			t.Fatalf("%s: %d fetches, want %d", s.name, n, s.hits)
		}
	}
	e.is.mu.Lock()
	e.is.jwksStatus = 200
	e.is.mu.Unlock()
	e.clock.Advance(DefaultRefetchInterval)
	if w := e.do(request("POST", testResource, "Bearer "+e.token(nil), "")); w.Code != 200 {
		t.Fatalf("after recovery: %d", w.Code)
	}
}

package resource

import (
	"testing"
	"time"
)

func TestIntrospectionMode(t *testing.T) {
	withIntrospection := func(in Introspection) func(*Config) {
		return func(c *Config) { c.Introspection = &in }
	}
	// The issuer's introspection endpoint answers {"active":false} for
	// revoked tokens; the resource server must refuse them.
	basic := Introspection{ClientID: "rs client", ClientSecret: "s3cr:et+/"}
	cases := []struct {
		name   string
		cfg    Introspection
		revoke bool
		status int
	}{
		{name: "active token accepted", cfg: basic, status: 200},
		{name: "admin bearer key accepted by the issuer", cfg: Introspection{BearerKey: "sk_live_admin"}, status: 200},
		{name: "revoked token refused", cfg: basic, revoke: true, status: 401},
		{name: "wrong introspection credentials: 503, never accepted", cfg: Introspection{ClientID: "rs client", ClientSecret: "wrong"}, status: 503},
		{name: "introspection endpoint unreachable: 503", cfg: Introspection{ClientID: "a", ClientSecret: "b", Endpoint: "http://127.0.0.1:1/introspect"}, status: 503},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, withIntrospection(c.cfg))
			tok := e.token(nil)
			if c.revoke {
				e.is.revoke(tok)
			}
			w := e.do(request("POST", testResource, "Bearer "+tok, ""))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.status == 401 {
				checkChallenges(t, e, w, "invalid_token", "Bearer", "")
			}
			if e.is.introspectHits.Load() == 0 && c.cfg.Endpoint == "" {
				t.Fatal("the issuer was not asked")
			}
		})
	}
}

func TestIntrospectionCacheAndRevocation(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Introspection = &Introspection{ClientID: "rs client", ClientSecret: "s3cr:et+/", CacheTTL: 5 * time.Second}
	})
	p := newProver(t)
	tok := e.boundToken(p, nil)
	call := func() int {
		return e.do(request("POST", testResource, "DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))).Code
	}
	for range 3 {
		if got := call(); got != 200 {
			t.Fatalf("active: %d", got)
		}
	}
	if n := e.is.introspectHits.Load(); n != 1 {
		t.Fatalf("introspection calls %d, want 1 (cached)", n)
	}
	e.is.revoke(tok)
	// Within the cache lifetime the answer may be stale (documented)...
	if got := call(); got != 200 {
		t.Fatalf("within the cache TTL: %d", got)
	}
	// ...and after it the revocation is seen.
	e.clock.Advance(5 * time.Second)
	if got := call(); got != 401 {
		t.Fatalf("revoked after the TTL: %d, want 401", got)
	}
	if n := e.is.introspectHits.Load(); n != 2 {
		t.Fatalf("introspection calls %d, want 2", n)
	}
}

func TestIntrospectionWithoutCacheSeesRevocationAtOnce(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Introspection = &Introspection{BearerKey: "sk_live_admin", DisableCache: true}
	})
	tok := e.token(nil)
	call := func() int { return e.do(request("POST", testResource, "Bearer "+tok, "")).Code }
	if got := call(); got != 200 {
		t.Fatalf("active: %d", got)
	}
	e.is.revoke(tok)
	if got := call(); got != 401 {
		t.Fatalf("revoked, no cache: %d, want 401", got)
	}
	if n := e.is.introspectHits.Load(); n != 2 {
		t.Fatalf("introspection calls %d, want 2", n)
	}
}

func TestIntrospectionIsNotAskedForRefusedTokens(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Introspection = &Introspection{BearerKey: "sk_live_admin"} })
	tok := e.token(func(c map[string]any) { c["aud"] = []string{"https://other.example.com"} })
	if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 401 {
		t.Fatal(w.Code)
	}
	if n := e.is.introspectHits.Load(); n != 0 {
		t.Fatalf("introspected a token refused offline (%d calls)", n)
	}
}

package resource

import (
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestMiddleware(t *testing.T) {
	type tc struct {
		name string
		// req builds the request; it may send earlier requests first.
		req        func(t *testing.T, e *env) *http.Request
		status     int
		code       string // error in the challenge ("" = none)
		scheme     string // challenge carrying the error
		wantScope  string // scope param of the challenge
		desc       string // a word the error_description must contain
		wantSub    string
		wantScheme string
	}
	post := func(authz, dpop string) *http.Request { return request("POST", testResource, authz, dpop) }
	other := newSigningKey(t, "kid-other-tenant")
	cases := []tc{
		{name: "bearer token, unbound", status: 200, wantSub: "agent-client", wantScheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request { return post("Bearer "+e.token(nil), "") }},
		{name: "scheme names are case-insensitive", status: 200, wantScheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request { return post("bEaReR "+e.token(nil), "") }},
		{name: "aud as a single string", status: 200,
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+e.token(func(c map[string]any) { c["aud"] = testResource }), "")
			}},
		{name: "dpop-bound token with a valid proof", status: 200, wantScheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))
			}},
		{name: "proof htu normalised: case, default port, query, fragment", status: 200,
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", "HTTPS://MCP.Example.COM:443/%6Dcp?x=1#f", tok, e.clock.Now(), nil))
			}},
		{name: "proof htu with a raw space matches the percent-encoded path", status: 200,
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return request("POST", "https://mcp.example.com/a%20b", "DPoP "+tok, p.proof(t, "POST", "HTTPS://MCP.example.com:443/a b", tok, e.clock.Now(), nil))
			}},
		{name: "proof iat at the edge of the window", status: 200,
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now().Add(-DefaultProofWindow), nil))
			}},

		// No or malformed credentials.
		{name: "no Authorization header", status: 401,
			req: func(t *testing.T, e *env) *http.Request { return post("", "") }},
		{name: "Basic scheme counts as no credentials", status: 401,
			req: func(t *testing.T, e *env) *http.Request { return post("Basic YTpi", "") }},
		{name: "two Authorization headers", status: 400, code: "invalid_request", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				r := post("Bearer "+e.token(nil), "")
				r.Header.Add("Authorization", "Bearer "+e.token(nil))
				return r
			}},
		{name: "Bearer without token", status: 400, code: "invalid_request", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request { return post("Bearer", "") }},
		{name: "token is not token68", status: 400, code: "invalid_request", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request { return post("Bearer a b", "") }},
		{name: "token is not a JWT", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request { return post("Bearer abc.def", "") }},

		// Token checks.
		{name: "token alg none", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				tok := unsigned(t, map[string]any{"alg": "none", "typ": "at+jwt", "kid": e.key.kid}, e.is.claims(e.clock.Now(), testResource), "")
				return post("Bearer "+tok+"x", "")
			}},
		{name: "token HS256 keyed with the issuer's public key", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				der, err := x509.MarshalPKIXPublicKey(&e.key.priv.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: der},
					(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", e.key.kid))
				if err != nil {
					t.Fatal(err)
				}
				return post("Bearer "+signCompact(t, s, e.is.claims(e.clock.Now(), testResource)), "")
			}},
		{name: "token typ JWT instead of at+jwt", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+signToken(t, e.key, e.is.claims(e.clock.Now(), testResource), map[string]any{"typ": "JWT"}), "")
			}},
		{name: "token with a crit header", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+signToken(t, e.key, e.is.claims(e.clock.Now(), testResource), map[string]any{"crit": []string{"exp"}, "exp": 1}), "")
			}},
		{name: "token for another audience", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+e.token(func(c map[string]any) { c["aud"] = []string{"https://other.example.com/mcp"} }), "")
			}},
		{name: "expired token", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				tok := e.token(nil)
				e.clock.Advance(15*time.Minute + DefaultLeeway)
				return post("Bearer "+tok, "")
			}},
		{name: "token not valid yet (nbf)", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+e.token(func(c map[string]any) { c["nbf"] = e.clock.Now().Add(time.Minute).Unix() }), "")
			}},
		{name: "token issued in the future (iat)", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+e.token(func(c map[string]any) { c["iat"] = e.clock.Now().Add(time.Minute).Unix() }), "")
			}},
		{name: "token of another issuer, signed by the right key", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+e.token(func(c map[string]any) { c["iss"] = e.is.url + "/t/other" }), "")
			}},
		{name: "token of another tenant, signed by its key", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+signToken(t, other, e.is.claims(e.clock.Now(), testResource), nil), "")
			}},
		{name: "token signed by another key under our kid", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				forged := signingKey{kid: e.key.kid, priv: other.priv}
				return post("Bearer "+signToken(t, forged, e.is.claims(e.clock.Now(), testResource), nil), "")
			}},
		{name: "token payload tampered", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				parts := strings.Split(e.token(nil), ".")
				c := e.is.claims(e.clock.Now(), testResource)
				c["scope"] = "mcp:read mcp:admin"
				b, _ := json.Marshal(c)
				return post("Bearer "+parts[0]+"."+b64(b)+"."+parts[2], "")
			}},
		{name: "token without client_id", status: 401, code: "invalid_token", scheme: "Bearer",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+e.token(func(c map[string]any) { delete(c, "client_id") }), "")
			}},
		{name: "missing scope", status: 403, code: "insufficient_scope", scheme: "Bearer", wantScope: "mcp:read",
			req: func(t *testing.T, e *env) *http.Request {
				return post("Bearer "+e.token(func(c map[string]any) { c["scope"] = "mcp:write" }), "")
			}},

		// DPoP: stolen tokens and bad proofs.
		{name: "stolen dpop-bound token presented as Bearer", status: 401, code: "invalid_token", scheme: "Bearer", desc: "DPoP scheme",
			req: func(t *testing.T, e *env) *http.Request { return post("Bearer "+e.boundToken(newProver(t), nil), "") }},
		{name: "stolen dpop-bound token with a proof by another key", status: 401, code: "invalid_token", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				tok := e.boundToken(newProver(t), nil)
				return post("DPoP "+tok, newProver(t).proof(t, "POST", testHTU, tok, e.clock.Now(), nil))
			}},
		{name: "stolen bound token without a proof", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request { return post("DPoP "+e.boundToken(newProver(t), nil), "") }},
		{name: "replayed proof", status: 401, code: "invalid_dpop_proof", scheme: "DPoP", desc: "already used",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				proof := p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil)
				if w := e.do(post("DPoP "+tok, proof)); w.Code != 200 {
					t.Fatalf("first use: %d %s", w.Code, w.Body)
				}
				e.clock.Advance(10 * time.Second)
				return post("DPoP "+tok, proof)
			}},
		{name: "proof wrong htm", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "GET", testHTU, tok, e.clock.Now(), nil))
			}},
		{name: "proof htm in lower case", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "post", testHTU, tok, e.clock.Now(), nil))
			}},
		{name: "proof wrong htu host", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", "https://evil.example.com/mcp", tok, e.clock.Now(), nil))
			}},
		{name: "proof wrong htu path", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", "https://mcp.example.com/mcp/other", tok, e.clock.Now(), nil))
			}},
		{name: "proof htu from the request Host is not trusted", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				r := request("POST", "https://evil.example.com/mcp", "DPoP "+tok, p.proof(t, "POST", "https://evil.example.com/mcp", tok, e.clock.Now(), nil))
				return r
			}},
		{name: "proof wrong ath (made for another token)", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, e.boundToken(p, nil), e.clock.Now(), nil))
			}},
		{name: "proof without ath", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), func(c map[string]any) { delete(c, "ath") }))
			}},
		{name: "proof stale iat", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now().Add(-DefaultProofWindow-time.Second), nil))
			}},
		{name: "proof future iat", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now().Add(DefaultProofWindow+time.Second), nil))
			}},
		{name: "proof without jti", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), func(c map[string]any) { delete(c, "jti") }))
			}},
		{name: "proof alg none", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				h := map[string]any{"alg": "none", "typ": "dpop+jwt", "jwk": p.jwkJSON(t, false)}
				c := map[string]any{"jti": "j1", "htm": "POST", "htu": testHTU, "iat": e.clock.Now().Unix(), "ath": ath(tok)}
				return post("DPoP "+tok, unsigned(t, h, c, "AA"))
			}},
		{name: "proof HS256", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				h := map[string]any{"alg": "HS256", "typ": "dpop+jwt", "jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}
				c := map[string]any{"jti": "j1", "htm": "POST", "htu": testHTU, "iat": e.clock.Now().Unix(), "ath": ath(tok)}
				return post("DPoP "+tok, unsigned(t, h, c, "AA"))
			}},
		{name: "proof typ JWT", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.priv}, (&jose.SignerOptions{EmbedJWK: true}).WithType("JWT"))
				if err != nil {
					t.Fatal(err)
				}
				c := map[string]any{"jti": "j1", "htm": "POST", "htu": testHTU, "iat": e.clock.Now().Unix(), "ath": ath(tok)}
				return post("DPoP "+tok, signCompact(t, s, c))
			}},
		{name: "proof with the private key in jwk", status: 401, code: "invalid_dpop_proof", scheme: "DPoP", desc: "private",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.priv},
					(&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", p.jwkJSON(t, true)))
				if err != nil {
					t.Fatal(err)
				}
				c := map[string]any{"jti": "j1", "htm": "POST", "htu": testHTU, "iat": e.clock.Now().Unix(), "ath": ath(tok)}
				return post("DPoP "+tok, signCompact(t, s, c))
			}},
		{name: "proof signed by a key other than its jwk", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p, q := newProver(t), newProver(t)
				tok := e.boundToken(p, nil)
				s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: q.priv},
					(&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", p.jwkJSON(t, false)))
				if err != nil {
					t.Fatal(err)
				}
				c := map[string]any{"jti": "j1", "htm": "POST", "htu": testHTU, "iat": e.clock.Now().Unix(), "ath": ath(tok)}
				return post("DPoP "+tok, signCompact(t, s, c))
			}},
		{name: "two DPoP headers", status: 401, code: "invalid_dpop_proof", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, nil)
				r := post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))
				r.Header.Add("DPoP", p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))
				return r
			}},
		{name: "DPoP scheme with an unbound token", status: 401, code: "invalid_token", scheme: "DPoP",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.token(nil)
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))
			}},
		{name: "bound token, valid proof, missing scope", status: 403, code: "insufficient_scope", scheme: "DPoP", wantScope: "mcp:read",
			req: func(t *testing.T, e *env) *http.Request {
				p := newProver(t)
				tok := e.boundToken(p, func(c map[string]any) { c["scope"] = "" })
				return post("DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))
			}},
	}
	errs := 0
	for _, c := range cases {
		if c.status != 200 {
			errs++
		}
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			w := e.do(c.req(t, e))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d; body %s; challenges %q", w.Code, c.status, w.Body, w.Result().Header.Values("WWW-Authenticate"))
			}
			if c.status == 200 {
				var got map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if c.wantSub != "" && got["sub"] != c.wantSub {
					t.Errorf("sub %v, want %s", got["sub"], c.wantSub)
				}
				if c.wantScheme != "" && got["scheme"] != c.wantScheme {
					t.Errorf("scheme %v, want %s", got["scheme"], c.wantScheme)
				}
				return
			}
			checkChallenges(t, e, w, c.code, c.scheme, c.wantScope)
			if c.desc != "" && !strings.Contains(challenge(w, c.scheme), c.desc) {
				t.Errorf("challenge %q does not name the rule (%q)", challenge(w, c.scheme), c.desc)
			}
		})
	}
	if errs*2 < len(cases) {
		t.Fatalf("only %d of %d cases are error cases", errs, len(cases))
	}
}

// checkChallenges asserts the RFC 6750 / 9449 / 9728 shape of a refusal.
func checkChallenges(t *testing.T, e *env, w interface {
	Result() *http.Response
}, code, scheme, scope string) {
	t.Helper()
	res := w.Result()
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	vals := res.Header.Values("WWW-Authenticate")
	if len(vals) != 2 {
		t.Fatalf("challenges %q, want Bearer and DPoP", vals)
	}
	md := `resource_metadata="` + e.v.MetadataURL() + `"`
	for _, v := range vals {
		if !strings.Contains(v, md) {
			t.Errorf("challenge %q lacks %s", v, md)
		}
		if strings.HasPrefix(v, "DPoP ") && !strings.Contains(v, `algs="ES256 ES384 ES512 PS256 EdDSA"`) {
			t.Errorf("DPoP challenge %q lacks algs", v)
		}
	}
	if code == "" {
		for _, v := range vals {
			if strings.Contains(v, "error=") {
				t.Errorf("challenge %q has an error code for a request without credentials", v)
			}
		}
		return
	}
	if !strings.HasPrefix(vals[0], scheme+" ") {
		t.Errorf("first challenge %q, want scheme %s first", vals[0], scheme)
	}
	if !strings.Contains(vals[0], `error="`+code+`"`) || !strings.Contains(vals[0], `error_description="`) {
		t.Errorf("challenge %q, want error=%q", vals[0], code)
	}
	if strings.Contains(vals[1], "error=") {
		t.Errorf("second challenge %q carries an error too", vals[1])
	}
	if scope != "" && !strings.Contains(vals[0], `scope="`+scope+`"`) {
		t.Errorf("challenge %q lacks scope=%q", vals[0], scope)
	}
	var body map[string]string
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body["error"] != code {
		t.Errorf("body %v (%v), want error %s", body, err, code)
	}
}

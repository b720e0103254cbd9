package dpop

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestValidate(t *testing.T) {
	p := newProver(t)
	other := newProver(t)
	v := Validator{Now: func() time.Time { return testNow }}
	pub := publicJWKMap(p)
	privJWK, _ := jose.JSONWebKey{Key: p.priv}.MarshalJSON()
	var privMap map[string]any
	_ = jsonUnmarshal(privJWK, &privMap)
	good := claimsOf("POST", tokenURL, testNow)
	with := func(k string, val any) map[string]any {
		c := claimsOf("POST", tokenURL, testNow)
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	at := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	sum := sha256.Sum256([]byte(at))
	ath := base64.RawURLEncoding.EncodeToString(sum[:])
	nonce := func(s string) bool { return s == "n-1" }

	cases := []struct {
		name  string
		proof string
		req   Request
		rule  string // "" = accepted
		nonce bool
	}{
		{name: "sdk proof", proof: p.proof(t), req: Request{Method: "POST", URL: tokenURL}},
		{name: "htu normalised", proof: p.sign(t, claimsOf("POST", "HTTP://LocalHost:80/a%7eb c", testNow), nil), req: Request{Method: "POST", URL: "http://localhost/a~b%20c"}},
		{name: "iat at the window edge", proof: p.sign(t, claimsOf("POST", tokenURL, testNow.Add(-60*time.Second)), nil), req: Request{Method: "POST", URL: tokenURL}},
		{name: "ath matches", proof: p.sign(t, with("ath", ath), nil), req: Request{Method: "POST", URL: tokenURL, AccessToken: at}},
		{name: "nonce accepted", proof: p.sign(t, with("nonce", "n-1"), nil), req: Request{Method: "POST", URL: tokenURL, Nonce: nonce}},
		{name: "rfc 9449 example", proof: rfcProof, req: Request{Method: "POST", URL: "https://server.example.com/token"}},
		// Error paths (WIRE §6 and the attack list).
		{name: "wrong htm", proof: p.sign(t, claimsOf("GET", tokenURL, testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htm"},
		{name: "lower-case htm", proof: p.sign(t, claimsOf("post", tokenURL, testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htm"},
		{name: "wrong htu path", proof: p.sign(t, claimsOf("POST", "http://localhost:8080/oauth/revoke", testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htu"},
		{name: "wrong htu host", proof: p.sign(t, claimsOf("POST", "http://evil.example:8080/oauth/token", testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htu"},
		{name: "wrong htu port", proof: p.sign(t, claimsOf("POST", "http://localhost:8081/oauth/token", testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htu"},
		{name: "htu with query", proof: p.sign(t, claimsOf("POST", tokenURL+"?a=b", testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htu"},
		{name: "htu with fragment", proof: p.sign(t, claimsOf("POST", tokenURL+"#x", testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htu"},
		{name: "htu https for http", proof: p.sign(t, claimsOf("POST", "https://localhost:8080/oauth/token", testNow), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htu"},
		{name: "missing htu", proof: p.sign(t, with("htu", nil), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "htu"},
		{name: "stale iat", proof: p.sign(t, claimsOf("POST", tokenURL, testNow.Add(-61*time.Second)), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "iat is too old"},
		{name: "future iat", proof: p.sign(t, claimsOf("POST", tokenURL, testNow.Add(61*time.Second)), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "iat is in the future"},
		{name: "missing iat", proof: p.sign(t, with("iat", nil), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "iat"},
		{name: "string iat", proof: p.sign(t, with("iat", "1700000000"), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "iat"},
		{name: "missing jti", proof: p.sign(t, with("jti", nil), nil), req: Request{Method: "POST", URL: tokenURL}, rule: "jti"},
		{name: "wrong typ", proof: p.sign(t, good, map[jose.HeaderKey]any{"typ": "JWT"}), req: Request{Method: "POST", URL: tokenURL}, rule: "typ"},
		{name: "missing typ", proof: p.sign(t, good, map[jose.HeaderKey]any{"typ": nil}), req: Request{Method: "POST", URL: tokenURL}, rule: "typ"},
		{name: "alg none", proof: raw(map[string]any{"typ": Type, "alg": "none", "jwk": pub}, good, func(string) []byte { return nil }), req: Request{Method: "POST", URL: tokenURL}, rule: "alg"},
		{name: "HS256 keyed with the public key", proof: raw(map[string]any{"typ": Type, "alg": "HS256", "jwk": pub}, good, hmacWith(mustJSON(pub))), req: Request{Method: "POST", URL: tokenURL}, rule: "alg"},
		{name: "private key in jwk", proof: raw(map[string]any{"typ": Type, "alg": "ES256", "jwk": privMap}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "jwk"},
		{name: "missing jwk", proof: raw(map[string]any{"typ": Type, "alg": "ES256"}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "jwk"},
		{name: "symmetric jwk", proof: raw(map[string]any{"typ": Type, "alg": "ES256", "jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "jwk"},
		{name: "bad signature (other key)", proof: raw(map[string]any{"typ": Type, "alg": "ES256", "jwk": pub}, good, esSign(other)), req: Request{Method: "POST", URL: tokenURL}, rule: "signature"},
		{name: "tampered payload", proof: tamper(p.proof(t)), req: Request{Method: "POST", URL: tokenURL}, rule: "signature"},
		{name: "ath missing", proof: p.proof(t), req: Request{Method: "POST", URL: tokenURL, AccessToken: at}, rule: "ath"},
		{name: "ath of another token", proof: p.sign(t, with("ath", ath), nil), req: Request{Method: "POST", URL: tokenURL, AccessToken: at + "x"}, rule: "ath"},
		{name: "nonce missing", proof: p.proof(t), req: Request{Method: "POST", URL: tokenURL, Nonce: nonce}, rule: "nonce", nonce: true},
		{name: "nonce stale", proof: p.sign(t, with("nonce", "n-0"), nil), req: Request{Method: "POST", URL: tokenURL, Nonce: nonce}, rule: "nonce", nonce: true},
		{name: "not a JWS", proof: "not.a.jws", req: Request{Method: "POST", URL: tokenURL}, rule: "compact"},
		{name: "JSON serialization", proof: `{"payload":"e30","signatures":[]}`, req: Request{Method: "POST", URL: tokenURL}, rule: "compact"},
		{name: "empty", proof: "", req: Request{Method: "POST", URL: tokenURL}, rule: "empty"},
		{name: "too large", proof: strings.Repeat("a", MaxProofSize+1), req: Request{Method: "POST", URL: tokenURL}, rule: "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			val := v
			if tc.name == "rfc 9449 example" {
				val.Now = func() time.Time { return rfcTime }
			}
			got, err := val.Validate(tc.proof, tc.req)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if tc.name == "sdk proof" && (got.JKT != p.jkt(t) || got.JTI != "Ab3dEf6hIj9lMn2pQr5tUv" || !got.IssuedAt.Equal(testNow)) {
					t.Fatalf("proof %+v", got)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("want a rule failure containing %q, got %v", tc.rule, err)
			}
			if !strings.Contains(e.Rule, tc.rule) || e.UseNonce != tc.nonce {
				t.Fatalf("rule %q (nonce %v), want %q (nonce %v)", e.Rule, e.UseNonce, tc.rule, tc.nonce)
			}
		})
	}
}

func TestNormalizeHTU(t *testing.T) {
	cases := []struct{ in, want string }{
		{"HTTP://LocalHost:80/a b", "http://localhost/a%20b"},
		{"https://Example.COM:443/oauth/token", "https://example.com/oauth/token"},
		{"https://example.com:8443/t/acme/oauth/token", "https://example.com:8443/t/acme/oauth/token"},
		{"http://localhost:8080", "http://localhost:8080/"},
		{"http://x/%7Euser/%2f", "http://x/~user/%2F"},
		{"http://[::1]:80/a", "http://[::1]/a"},
		// No normal form.
		{"http://x/a?b", ""},
		{"http://x/a#b", ""},
		{"ftp://x/a", ""},
		{"//x/a", ""},
		{"/oauth/token", ""},
		{"http://user:pw@x/a", ""},
		{"http://x/%zz", ""},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeHTU(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("accepted as %q", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestNonces(t *testing.T) {
	now := testNow
	n := &Nonces{Key: []byte("k"), Now: func() time.Time { return now }, Step: time.Minute}
	a := n.Issue("acme")
	cases := []struct {
		name   string
		tenant string
		nonce  string
		after  time.Duration
		want   bool
	}{
		{"current", "acme", a, 0, true},
		{"previous step", "acme", a, time.Minute, true},
		{"two steps later", "acme", a, 2 * time.Minute, false},
		{"other tenant", "beta", a, 0, false},
		{"forged", "acme", "AAAAAAAAAAAAAAAAAAAAAAAA", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now = testNow.Add(tc.after)
			if got := n.Valid(tc.tenant, tc.nonce); got != tc.want {
				t.Fatalf("Valid = %v", got)
			}
		})
	}
}

package dpop

import (
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Each rule of RFC 9449 §4.3 the validator enforces, named, with the
// neighbouring case that must still pass where one exists.
func TestValidateRules(t *testing.T) {
	p := newProver(t)
	v := Validator{Now: func() time.Time { return testNow }}
	pub := publicJWKMap(p)
	good := claimsOf("POST", tokenURL, testNow)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaJWK, _ := jose.JSONWebKey{Key: &rsaKey.PublicKey}.MarshalJSON()
	var rsaPub map[string]any
	_ = jsonUnmarshal(rsaJWK, &rsaPub)
	htu := func(proofURL, reqURL string) (string, Request) {
		return p.sign(t, claimsOf("POST", proofURL, testNow), nil), Request{Method: "POST", URL: reqURL}
	}

	type tc struct {
		name  string
		proof string
		req   Request
		rule  string // "" = accepted
	}
	var cases []tc
	// alg: the allow-list, not only "none", decides.
	for _, alg := range []string{"HS256", "HS512", "RS1", "ES256K", "XYZ", "es256", ""} {
		cases = append(cases, tc{name: "alg " + alg + " outside the allow-list",
			proof: raw(map[string]any{"typ": Type, "alg": alg, "jwk": pub}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "alg is not allowed"})
	}
	// The key type must be the alg's.
	cases = append(cases,
		tc{name: "RSA jwk with ES256", proof: raw(map[string]any{"typ": Type, "alg": "ES256", "jwk": rsaPub}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "valid public key for the alg"},
		tc{name: "RSA jwk with EdDSA", proof: raw(map[string]any{"typ": Type, "alg": "EdDSA", "jwk": rsaPub}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "valid public key for the alg"},
		tc{name: "EC jwk with RS256", proof: raw(map[string]any{"typ": Type, "alg": "RS256", "jwk": pub}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "valid public key for the alg"},
		tc{name: "P-256 jwk with ES384", proof: raw(map[string]any{"typ": Type, "alg": "ES384", "jwk": pub}, good, esSign(p)), req: Request{Method: "POST", URL: tokenURL}, rule: "valid public key for the alg"},
	)
	// htu: a non-default port is part of the URL; the path is case-sensitive.
	for _, c := range []struct{ name, proof, req, rule string }{
		{"https :80 is not https", "https://h.example:80/oauth/token", "https://h.example/oauth/token", "htu"},
		{"https is not https :80", "https://h.example/oauth/token", "https://h.example:80/oauth/token", "htu"},
		{"http :443 is not http", "http://h.example:443/oauth/token", "http://h.example/oauth/token", "htu"},
		{"https :443 is https", "https://h.example:443/oauth/token", "https://h.example/oauth/token", ""},
		{"http :80 is http", "http://h.example:80/oauth/token", "http://h.example/oauth/token", ""},
		{"path case differs", "https://h.example/OAuth/Token", "https://h.example/oauth/token", "htu"},
		{"host case does not", "https://H.Example/oauth/token", "https://h.example/oauth/token", ""},
		{"trailing slash differs", "https://h.example/oauth/token/", "https://h.example/oauth/token", "htu"},
	} {
		pr, rq := htu(c.proof, c.req)
		cases = append(cases, tc{name: c.name, proof: pr, req: rq, rule: c.rule})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Validate(c.proof, c.req)
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			de, ok := err.(*Error)
			if !ok || !strings.Contains(de.Rule, c.rule) {
				t.Fatalf("err %v, want rule %q", err, c.rule)
			}
		})
	}
}

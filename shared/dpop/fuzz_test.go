package dpop

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// FuzzValidate feeds mutated proofs to the validator. Whatever it accepts
// must satisfy every rule independently re-checked here: one signature with
// an allow-listed alg, typ dpop+jwt, a public asymmetric jwk that verifies
// the signature, htm POST, htu equal to the token URL once normalised, iat
// within the window, a jti, and a thumbprint of that jwk.
func FuzzValidate(f *testing.F) {
	p := newProver(f)
	pub := publicJWKMap(p)
	good := claimsOf("POST", tokenURL, testNow)
	f.Add(p.proof(f))
	f.Add(rfcProof)
	f.Add(p.sign(f, claimsOf("POST", "HTTP://LocalHost:8080/oauth/%74oken", testNow), nil))
	f.Add(raw(map[string]any{"typ": Type, "alg": "none", "jwk": pub}, good, func(string) []byte { return nil }))
	f.Add(raw(map[string]any{"typ": Type, "alg": "HS256", "jwk": pub}, good, hmacWith(mustJSON(pub))))
	f.Add(raw(map[string]any{"typ": Type, "alg": "ES256"}, good, esSign(p)))
	f.Add(p.sign(f, good, map[jose.HeaderKey]any{"typ": "JWT"}))
	f.Add(tamper(p.proof(f)))
	v := Validator{Now: func() time.Time { return testNow }}
	want, _ := NormalizeHTU(tokenURL)
	f.Fuzz(func(t *testing.T, proof string) {
		got, err := v.Validate(proof, Request{Method: "POST", URL: tokenURL})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		jws, perr := jose.ParseSignedCompact(proof, Algs)
		if perr != nil || len(jws.Signatures) != 1 {
			t.Fatalf("accepted a proof that does not parse with an allowed alg: %v", perr)
		}
		h := jws.Signatures[0].Protected
		if !slices.Contains(Algs, jose.SignatureAlgorithm(h.Algorithm)) || strings.HasPrefix(h.Algorithm, "HS") || h.Algorithm == "none" {
			t.Fatalf("accepted alg %q", h.Algorithm)
		}
		if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != Type {
			t.Fatalf("accepted typ %q", typ)
		}
		if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
			t.Fatalf("accepted a missing or private jwk")
		}
		payload, verr := jws.Verify(h.JSONWebKey.Key)
		if verr != nil {
			t.Fatalf("accepted a proof its jwk does not verify")
		}
		var c struct {
			JTI, HTM, HTU string
			IAT           float64
		}
		if json.Unmarshal(payload, &c) != nil || c.JTI == "" || c.HTM != "POST" {
			t.Fatalf("accepted claims %s", payload)
		}
		if n, _ := NormalizeHTU(c.HTU); n != want {
			t.Fatalf("accepted htu %q", c.HTU)
		}
		if d := time.Unix(int64(c.IAT), 0).Sub(testNow); d > DefaultWindow+time.Second || d < -DefaultWindow-time.Second {
			t.Fatalf("accepted iat %v", c.IAT)
		}
		if jkt, _ := Thumbprint(*h.JSONWebKey); jkt != got.JKT {
			t.Fatalf("jkt %q is not the jwk's thumbprint %q", got.JKT, jkt)
		}
	})
}

// FuzzNormalizeHTU: a normal form is a fixed point, has no query, fragment
// or userinfo, and a lower-case http(s) scheme.
func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{"HTTP://LocalHost:80/a b", "https://x:443/%7e", "http://[::1]:8080/t/acme/oauth/token", "http://x/a?b#c", "http://u@x/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeHTU(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(n, "http://") && !strings.HasPrefix(n, "https://") || strings.ContainsAny(n, "?#@") {
			t.Fatalf("normal form %q of %q", n, s)
		}
		again, err := NormalizeHTU(n)
		if err != nil || again != n {
			t.Fatalf("not a fixed point: %q -> %q (%v)", n, again, err)
		}
	})
}

package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// signWith is a go-jose proof (jwk embedded, typ dpop+jwt) signed by key as alg.
func signWith(t *testing.T, key crypto.Signer, alg jose.SignatureAlgorithm) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		&jose.SignerOptions{EmbedJWK: true, ExtraHeaders: map[jose.HeaderKey]any{"typ": Type}})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(mustJSON(claimsOf("POST", tokenURL, testNow)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestValidateEveryAlg: each allow-listed alg is accepted with its key type,
// and the jkt is the RFC 7638 thumbprint go-jose computes for that key.
func TestValidateEveryAlg(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p := newProver(t)
	v := Validator{Now: func() time.Time { return testNow }}
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		key crypto.Signer
	}{
		{jose.ES256, p.priv}, {jose.ES384, p384}, {jose.EdDSA, ed}, {jose.RS256, rsaKey}, {jose.PS256, rsaKey},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			got, err := v.Validate(signWith(t, tc.key, tc.alg), Request{Method: "POST", URL: tokenURL})
			if err != nil {
				t.Fatal(err)
			}
			want, err := Thumbprint(jose.JSONWebKey{Key: tc.key.Public()})
			if err != nil || got.JKT != want {
				t.Fatalf("jkt %q, go-jose's thumbprint %q (%v)", got.JKT, want, err)
			}
		})
	}
}

// TestValidateRefusesMalformedJOSE: the header and jwk are read strictly.
// Each case is a proof correctly signed by p's key except for the one flaw.
func TestValidateRefusesMalformedJOSE(t *testing.T) {
	p := newProver(t)
	v := Validator{Now: func() time.Time { return testNow }}
	good := claimsOf("POST", tokenURL, testNow)
	pub := publicJWKMap(p)
	jwkWith := func(k string, val any) map[string]any {
		m := map[string]any{}
		for name, v := range pub {
			m[name] = v
		}
		if val == nil {
			delete(m, k)
		} else {
			m[k] = val
		}
		return m
	}
	x, _ := base64.RawURLEncoding.DecodeString(pub["x"].(string))
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	big, _ := rsa.GenerateKey(rand.Reader, 2048)
	bigSign := func(input string) []byte {
		sig, _ := rsa.SignPKCS1v15(rand.Reader, big, crypto.SHA256, sha256Sum(input))
		return sig
	}
	smallJWK := map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(small.N.Bytes()), "e": "AQAB"}
	rsaSign := func(input string) []byte {
		sum := sha256Sum(input)
		sig, _ := rsa.SignPKCS1v15(rand.Reader, small, crypto.SHA256, sum)
		return sig
	}
	header := func(h map[string]any) string { return raw(h, good, esSign(p)) }
	// rawHeader signs a header given as its exact JSON text.
	rawHeader := func(h string) string {
		input := base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + b64(good)
		return input + "." + base64.RawURLEncoding.EncodeToString(esSign(p)(input))
	}
	pubJSON := string(mustJSON(pub))

	cases := []struct{ name, proof, rule string }{
		{"ES384 header, P-256 key", header(map[string]any{"typ": Type, "alg": "ES384", "jwk": pub}), "public key"},
		{"RS256 header, EC key", header(map[string]any{"typ": Type, "alg": "RS256", "jwk": pub}), "public key"},
		{"critical extension", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": pub, "crit": []string{"exp"}, "exp": 1}), "crit"},
		{"duplicate alg", rawHeader(`{"typ":"dpop+jwt","alg":"ES256","alg":"ES256","jwk":` + pubJSON + `}`), "compact"},
		{"duplicate alg, escaped", rawHeader(`{"typ":"dpop+jwt","alg":"ES256","\u0061lg":"ES256","jwk":` + pubJSON + `}`), "compact"},
		{"upper-case ALG only", rawHeader(`{"typ":"dpop+jwt","ALG":"ES256","jwk":` + pubJSON + `}`), "alg"},
		{"upper-case TYP only", rawHeader(`{"TYP":"dpop+jwt","alg":"ES256","jwk":` + pubJSON + `}`), "typ"},
		{"duplicate x in jwk", rawHeader(`{"typ":"dpop+jwt","alg":"ES256","jwk":` + strings.Replace(pubJSON, `"kty"`, `"x":"AAAA","kty"`, 1) + `}`), "public key"},
		{"padded header", strings.Replace(header(map[string]any{"typ": Type, "alg": "ES256", "jwk": pub, "p": "x"}), ".", "=.", 1), "compact"},
		{"short x", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": jwkWith("x", base64.RawURLEncoding.EncodeToString(x[1:]))}), "public key"},
		{"point off the curve", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": jwkWith("x", base64.RawURLEncoding.EncodeToString(append([]byte{x[0] ^ 1}, x[1:]...)))}), "public key"},
		{"numeric x", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": jwkWith("x", 7)}), "public key"},
		{"no kty", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": jwkWith("kty", nil)}), "public key"},
		{"P-521", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": jwkWith("crv", "P-521")}), "public key"},
		{"jwk not an object", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": "key"}), "public key"},
		{"EC jwk with d", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": jwkWith("d", "AAAA")}), "public key"},
		{"RSA 1024", raw(map[string]any{"typ": Type, "alg": "RS256", "jwk": smallJWK}, good, rsaSign), "public key"},
		{"RSA with a private member", raw(map[string]any{"typ": Type, "alg": "RS256", "jwk": map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(big.N.Bytes()), "e": "AQAB", "p": "AQ"}}, good, bigSign), "public key"},
		{"Ed25519 key, ES256 alg", header(map[string]any{"typ": Type, "alg": "ES256", "jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}}), "public key"},
		{"claims not an object", raw(map[string]any{"typ": Type, "alg": "ES256", "jwk": pub}, []string{"jti"}, esSign(p)), "claims"},
		{"numeric jti", p.sign(t, map[string]any{"jti": 7, "htm": "POST", "htu": tokenURL, "iat": testNow.Unix()}, nil), "jti"},
		{"four parts", p.proof(t) + ".x", "compact"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Validate(tc.proof, Request{Method: "POST", URL: tokenURL})
			e, ok := err.(*Error)
			if !ok || !strings.Contains(e.Rule, tc.rule) {
				t.Fatalf("want a rule failure containing %q, got %v", tc.rule, err)
			}
		})
	}
}

func sha256Sum(s string) []byte {
	h := crypto.SHA256.New()
	h.Write([]byte(s))
	return h.Sum(nil)
}

// TestDuplicated counts members outside strings and nested values.
func TestDuplicated(t *testing.T) {
	for in, want := range map[string]bool{
		`{"a":1,"b":{"c":2,"d":[":"]}}`: false,
		`{"a":"x\":y","b":2}`:           false,
		`{"a":1,"a":2}`:                 true,
		`{"a":1,"\u0061":2}`:            true,
	} {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			t.Fatal(err)
		}
		if got := duplicated([]byte(in), len(m)); got != want {
			t.Errorf("duplicated(%s) = %v, want %v", in, got, want)
		}
	}
}

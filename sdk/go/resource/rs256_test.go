package resource

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestRS256Tokens: a resource server configured for RS256 (Algorithms)
// verifies tokens signed by the issuer's published RS256 key, refuses the
// algorithms it was not configured for, and never verifies a signature
// under another algorithm than its key's.
func TestRS256Tokens(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: "kid-rsa", Algorithm: "RS256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	rsToken := func(e *env) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: priv},
			(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "kid-rsa"))
		if err != nil {
			t.Fatal(err)
		}
		return signCompact(t, s, e.is.claims(e.clock.Now(), testResource))
	}
	relabel := func(tok, alg, kid string) string {
		h, _ := json.Marshal(map[string]any{"alg": alg, "kid": kid, "typ": "at+jwt"})
		return b64(h) + tok[strings.IndexByte(tok, '.'):]
	}
	newRS := func(algs ...string) *env {
		e := newEnv(t, func(c *Config) { c.Algorithms = algs })
		e.is.extraJWKS = []json.RawMessage{jwk}
		return e
	}
	status := func(e *env, tok string) int {
		return e.do(request("POST", testResource, "Bearer "+tok, "")).Code
	}

	t.Run("an RS256-only verifier accepts RS256 tokens and refuses ES256 ones", func(t *testing.T) {
		e := newRS("RS256")
		if c := status(e, rsToken(e)); c != 200 {
			t.Fatalf("RS256 token: %d", c)
		}
		if c := status(e, e.token(nil)); c != 401 {
			t.Fatalf("ES256 token: %d", c)
		}
	})
	t.Run("the default verifier (ES256) refuses RS256 tokens", func(t *testing.T) {
		e := newRS()
		if c := status(e, rsToken(e)); c != 401 {
			t.Fatalf("RS256 token: %d", c)
		}
	})
	t.Run("no alg confusion with both allowed", func(t *testing.T) {
		e := newRS("ES256", "RS256")
		rs, es := rsToken(e), e.token(nil)
		if status(e, rs) != 200 || status(e, es) != 200 {
			t.Fatal("a valid token refused")
		}
		for name, tok := range map[string]string{
			"RS256 signature relabelled ES256":  relabel(rs, "ES256", "kid-rsa"),
			"RS256 signature under the EC kid":  relabel(rs, "RS256", "kid-current"),
			"ES256 signature under the RSA kid": relabel(es, "ES256", "kid-rsa"),
			"ES256 signature relabelled RS256":  relabel(es, "RS256", "kid-current"),
			"PS256 header with the RSA kid":     relabel(rs, "PS256", "kid-rsa"),
			"HS256 header with the RSA kid":     relabel(rs, "HS256", "kid-rsa"),
			"alg none with the RSA kid":         relabel(rs, "none", "kid-rsa"),
		} {
			if c := status(e, tok); c != 401 {
				t.Errorf("%s: %d", name, c)
			}
		}
	})
}

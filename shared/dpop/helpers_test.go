package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// rfcProof is the example proof of RFC 9449 §4.1 (htu https://server.example.com/token, iat 1562262616).
const rfcProof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"

var rfcTime = time.Unix(1562262616, 0)

var testNow = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

const tokenURL = "http://localhost:8080/oauth/token"

// prover builds proofs for tests, including the malformed ones an attacker sends.
type prover struct {
	priv *ecdsa.PrivateKey
	jwk  jose.JSONWebKey
}

func newProver(t testing.TB) prover {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return prover{priv: priv, jwk: jose.JSONWebKey{Key: &priv.PublicKey}}
}

func (p prover) jkt(t testing.TB) string {
	b, err := p.jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// claimsOf are the SDK's claims: jti, htm, htu, integer iat.
func claimsOf(htm, htu string, iat time.Time) map[string]any {
	return map[string]any{"jti": "Ab3dEf6hIj9lMn2pQr5tUv", "htm": htm, "htu": htu, "iat": iat.Unix()}
}

// sign signs claims with go-jose, the header carrying typ and extra members.
func (p prover) sign(t testing.TB, claims map[string]any, header map[jose.HeaderKey]any) string {
	t.Helper()
	opts := &jose.SignerOptions{EmbedJWK: true, ExtraHeaders: map[jose.HeaderKey]any{"typ": Type}}
	for k, v := range header {
		if v == nil {
			delete(opts.ExtraHeaders, k)
			continue
		}
		opts.ExtraHeaders[k] = v
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (p prover) proof(t testing.TB) string {
	return p.sign(t, claimsOf("POST", tokenURL, testNow), nil)
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// raw assembles a JWS by hand with the given header, claims and signature
// input function: how an attacker builds alg none or HMAC proofs.
func raw(header, claims any, sig func(input string) []byte) string {
	input := b64(header) + "." + b64(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig(input))
}

func hmacWith(key []byte) func(string) []byte {
	return func(input string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
}

func publicJWKMap(p prover) map[string]any {
	b, _ := p.jwk.MarshalJSON()
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// esSign signs the input with p's key as ES256 (r||s, 32 bytes each).
func esSign(p prover) func(string) []byte {
	return func(input string) []byte {
		sum := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, p.priv, sum[:])
		if err != nil {
			panic(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
}

// tamper changes one claim character of a compact JWS, keeping the signature.
func tamper(jws string) string {
	parts := strings.SplitN(jws, ".", 3)
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "POST", "POSU", 1))
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

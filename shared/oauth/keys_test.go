package oauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/keys/keystest"
)

// rsaKeys are the test kit's weak and strong RSA keys.
var rsaKeys = keystest.RSAKeys

func jwkJSON(t testing.TB, key any, extra map[string]any) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: "k", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	if len(extra) == 0 {
		return string(b)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k, v := range extra {
		m[k] = v
	}
	b, _ = json.Marshal(m)
	return string(b)
}

// TestClientKeyChecks: one check decides which keys may verify a client's
// or a software publisher's signatures. ParseKeySet (registration, platform
// API) refuses a set holding any other key; PublicKeySet (token endpoint,
// statement verification) uses only the acceptable keys of a stored or
// fetched set.
func TestClientKeyChecks(t *testing.T) {
	weak, strong := rsaKeys(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name, jwk string
		ok        bool
		why       string // part of the refusal
	}{
		{"EC P-256", jwkJSON(t, &ec.PublicKey, nil), true, ""},
		{"Ed25519", jwkJSON(t, edPub, nil), true, ""},
		{"RSA 2048", jwkJSON(t, &strong.PublicKey, nil), true, ""},
		{"RSA 1024", jwkJSON(t, &weak.PublicKey, nil), false, "2048"},
		{"RSA 2048 private", jwkJSON(t, strong, nil), false, "private"},
		{"EC private", jwkJSON(t, ec, nil), false, "private"},
		{"Ed25519 private", jwkJSON(t, edPriv, nil), false, "private"},
		{"RSA public with a private member p", jwkJSON(t, &strong.PublicKey, map[string]any{"p": "AQAB"}), false, "private member p"},
		{"EC public with a private member d", jwkJSON(t, &ec.PublicKey, map[string]any{"dp": "AQAB"}), false, "private member dp"},
		{"symmetric", `{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0","kid":"k"}`, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := json.RawMessage(`{"keys":[` + c.jwk + `]}`)
			set, err := ParseKeySet(raw)
			if (err == nil) != c.ok {
				t.Fatalf("ParseKeySet: %v, want ok=%v", err, c.ok)
			}
			if err != nil && !strings.Contains(err.Error(), c.why) {
				t.Fatalf("reason %q lacks %q", err, c.why)
			}
			if c.ok && len(set.Keys) != 1 {
				t.Fatalf("keys: %d", len(set.Keys))
			}
			lenient, err := PublicKeySet(raw)
			if err != nil || len(lenient.Keys) != map[bool]int{true: 1, false: 0}[c.ok] {
				t.Fatalf("PublicKeySet kept %d keys (%v), want ok=%v", len(lenient.Keys), err, c.ok)
			}
			// Beside a good key, a bad one spoils a set given for
			// registration, and is only skipped in a stored set.
			mixed := json.RawMessage(`{"keys":[` + jwkJSON(t, &ec.PublicKey, nil) + `,` + c.jwk + `]}`)
			if _, err := ParseKeySet(mixed); (err == nil) != c.ok {
				t.Fatalf("mixed ParseKeySet: %v", err)
			}
			if kept, _ := PublicKeySet(mixed); len(kept.Keys) != map[bool]int{true: 2, false: 1}[c.ok] {
				t.Fatalf("mixed PublicKeySet kept %d", len(kept.Keys))
			}
		})
	}
	for _, bad := range []string{``, `[]`, `{"keys":[]}`, `{"keys":{}}`, `{"keys":[1]}`, `{"keys":[{"kty":"RSA"}]}`} {
		if _, err := ParseKeySet(json.RawMessage(bad)); err == nil {
			t.Errorf("ParseKeySet(%q) accepted", bad)
		}
	}
}

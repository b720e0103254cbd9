package register

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// fixedKey is a deterministic P-256 key so fuzz seeds are reproducible.
func fixedKey() ecKey {
	d := new(big.Int).SetBytes([]byte("software-statement-fuzz-key-0001"))
	priv := &ecdsa.PrivateKey{D: d}
	priv.PublicKey.Curve = elliptic.P256()
	priv.PublicKey.X, priv.PublicKey.Y = elliptic.P256().ScalarBaseMult(d.Bytes())
	return ecKey{priv: priv, kid: "fuzz"}
}

// FuzzVerifyStatement: a statement is accepted only when the trusted key
// signed it; refusals are the two RFC 7591 codes; accepted claims never
// carry the JWT's own claims into the metadata.
func FuzzVerifyStatement(f *testing.F) {
	k := fixedKey()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	pubs := []store.SoftwarePublisher{{Issuer: "https://publisher.example", JWKS: json.RawMessage(k.jwks())}}
	good := k.sign(f, map[string]any{"iss": "https://publisher.example", "software_id": "sw", "client_name": "x", "iat": now.Unix()})
	f.Add(good)
	f.Add(k.sign(f, map[string]any{"iss": "https://other.example"}))
	f.Add(k.sign(f, map[string]any{"iss": "https://publisher.example", "exp": now.Add(-time.Hour).Unix()}))
	f.Add(unsigned(map[string]any{"iss": "https://publisher.example"}))
	f.Add(tamper(good))
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		claims, err := VerifyStatement(raw, pubs, now)
		if err != nil {
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Status != 400 || (oe.Code != InvalidSoftwareStatement && oe.Code != UnapprovedSoftwareStatement) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		for _, c := range reservedClaims {
			if _, ok := claims[c]; ok {
				t.Fatalf("claim %s passed into the metadata", c)
			}
		}
		// Accepted: the trusted key signed it, so an unrelated key with
		// the same kid and issuer must refuse it.
		other := []store.SoftwarePublisher{{Issuer: "https://publisher.example", JWKS: json.RawMessage(newKey(t, "fuzz").jwks())}}
		if _, err := VerifyStatement(raw, other, now); err == nil {
			t.Fatal("a statement verified under an unrelated key")
		}
	})
}

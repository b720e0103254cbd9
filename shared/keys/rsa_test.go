package keys

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/store"
)

// TestRS256KeyInEachMode: in every mode, NewKey(RS256) makes an RSA key of at
// least 2048 bits whose record opens into a key that signs RS256 JWTs (through
// go-jose and through SignJWS, the access token's path) verifying against the
// published JWKS entry {kty RSA, alg RS256, use sig}, and only as RS256.
func TestRS256KeyInEachMode(t *testing.T) {
	spy := motoKMS(t)
	wrap := motoWrappingKey(t, spy)
	envelope, err := NewEnvelope(spy, wrap, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	kmsMode, err := NewKMS(spy, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Sealer{newTestLocal(t), envelope, kmsMode} {
		t.Run(s.Mode(), func(t *testing.T) {
			rec, err := s.NewKey(t.Context(), tenantA, store.AlgRS256)
			if err != nil {
				t.Fatalf("NewKey RS256: %v", err)
			}
			if rec.Alg != store.AlgRS256 || rec.Mode != s.Mode() || rec.KID == "" {
				t.Fatalf("record: alg %q mode %q kid %q", rec.Alg, rec.Mode, rec.KID)
			}
			parsed, err := x509.ParsePKIXPublicKey(rec.PublicDER)
			if pub, ok := parsed.(*rsa.PublicKey); err != nil || !ok || pub.N.BitLen() < 2048 {
				t.Fatalf("public key %T %v", parsed, err)
			}
			rec.State = store.KeyCurrent
			es := mustNew(t, s, tenantA)
			es.State = store.KeyCurrent
			if es.Algorithm() != store.AlgES256 {
				t.Fatalf("New made a %s key", es.Algorithm())
			}
			set := PublicJWKS([]store.SigningKey{rec, es}, epoch) // ES256 first whatever the input order
			raw, _ := json.Marshal(set)
			var members struct{ Keys []map[string]any }
			json.Unmarshal(raw, &members)
			if len(members.Keys) != 2 {
				t.Fatalf("JWKS %s", raw)
			}
			jwk := members.Keys[1]
			if jwk["kty"] != "RSA" || jwk["alg"] != "RS256" || jwk["use"] != "sig" || jwk["kid"] != rec.KID || jwk["e"] != "AQAB" {
				t.Fatalf("RSA JWK %v", jwk)
			}
			if n, _ := base64.RawURLEncoding.DecodeString(jwk["n"].(string)); new(big.Int).SetBytes(n).BitLen() < 2048 {
				t.Fatalf("modulus of %d bits", new(big.Int).SetBytes(n).BitLen())
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if _, ok := jwk[private]; ok {
					t.Fatalf("private member %q published", private)
				}
			}

			before := spy.total()
			k := mustOpen(t, s, tenantA, rec)
			if s.Mode() == store.ModeKMS && spy.total() != before {
				t.Fatalf("kms Open made %d KMS calls, want 0", spy.total()-before)
			}
			if k.KID() != rec.KID || k.Algorithm() != store.AlgRS256 {
				t.Fatalf("opened %s %s", k.KID(), k.Algorithm())
			}
			if kid, err := KID(k.Public()); err != nil || kid != rec.KID {
				t.Fatalf("Public() has kid %q (%v)", kid, err)
			}

			token := signJWT(t.Context(), t, k)
			if h := segmentJSON(t, token, 0); h["alg"] != "RS256" || h["kid"] != rec.KID {
				t.Fatalf("header %v", h)
			}
			if _, err := verifyRS256(token, raw); err != nil {
				t.Fatalf("RS256 token in %s mode does not verify with the JWKS: %v", s.Mode(), err)
			}

			input := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudF8xMjMifQ")
			before = spy.total()
			sig, err := k.SignJWS(t.Context(), input)
			if err != nil {
				t.Fatalf("SignJWS: %v", err)
			}
			if s.Mode() == store.ModeKMS && spy.count("Sign") == 0 || s.Mode() != store.ModeKMS && spy.total() != before {
				t.Fatalf("SignJWS KMS calls: %d", spy.total()-before)
			}
			digest := sha256.Sum256(input)
			pub := k.Public().(*rsa.PublicKey)
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
				t.Fatalf("SignJWS in %s mode: %v", s.Mode(), err)
			}

			// No alg confusion: the RSA token relabelled ES256, and an ES256
			// token naming the RSA kid, do not verify.
			parts := strings.Split(token, ".")
			relabelled := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"`+rec.KID+`","typ":"at+jwt"}`)) + "." + parts[1] + "." + parts[2]
			if _, err := verifyAny(relabelled, raw); err == nil {
				t.Fatal("an RS256 signature verified as ES256")
			}
			esTok := signJWT(t.Context(), t, mustOpen(t, s, tenantA, es))
			ep := strings.Split(esTok, ".")
			wrongKID := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"`+rec.KID+`","typ":"at+jwt"}`)) + "." + ep[1] + "." + ep[2]
			if _, err := verifyAny(wrongKID, raw); err == nil {
				t.Fatal("an ES256 signature verified with the RSA key")
			}
			if s.Mode() != store.ModeKMS {
				if _, err := s.Open(t.Context(), tenantB, rec); !errors.Is(err, ErrRejected) {
					t.Fatalf("tenant B opened tenant A's RSA key: %v", err)
				}
			}
		})
	}
}

// TestRSARecordChecks: a record's algorithm and key type must agree, and an
// RSA key has at least 2048 bits, or the record is not published or opened.
func TestRSARecordChecks(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	local := newTestLocal(t)
	rs, err := local.NewKey(t.Context(), tenantA, store.AlgRS256)
	if err != nil {
		t.Fatal(err)
	}
	es := mustNew(t, local, tenantA)
	smallDER := mustDER(t, &small.PublicKey)
	cases := []struct {
		name string
		rec  store.SigningKey
	}{
		{"RSA key in a record without alg (ES256)", store.SigningKey{KID: rs.KID, PublicDER: rs.PublicDER, Mode: store.ModeLocal}},
		{"RSA key in an ES256 record", store.SigningKey{KID: rs.KID, Alg: store.AlgES256, PublicDER: rs.PublicDER, Mode: store.ModeLocal}},
		{"P-256 key in an RS256 record", store.SigningKey{KID: es.KID, Alg: store.AlgRS256, PublicDER: es.PublicDER, Mode: store.ModeLocal}},
		{"RSA key of 1024 bits", store.SigningKey{KID: kidOfDER(smallDER), Alg: store.AlgRS256, PublicDER: smallDER, Mode: store.ModeLocal}},
		{"unknown alg", store.SigningKey{KID: rs.KID, Alg: "PS256", PublicDER: rs.PublicDER, Mode: store.ModeLocal}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PublicJWK(tc.rec); !errors.Is(err, ErrBadRecord) {
				t.Fatalf("PublicJWK: %v", err)
			}
			tc.rec.State = store.KeyCurrent
			if set := PublicJWKS([]store.SigningKey{tc.rec}, epoch); len(set.Keys) != 0 {
				t.Fatal("published")
			}
			withSeal := tc.rec
			withSeal.Sealed = rs.Sealed
			if _, err := local.Open(t.Context(), tenantA, withSeal); err == nil {
				t.Fatal("opened")
			}
		})
	}
	if _, err := local.NewKey(t.Context(), tenantA, "HS256"); err == nil {
		t.Fatal("NewKey made an HS256 key")
	}
	rs.State, es.State = store.KeyCurrent, store.KeyCurrent
	if cur, err := Current([]store.SigningKey{rs, es}); err != nil || cur.KID != es.KID {
		t.Fatalf("Current picked %s (%v), want the ES256 key", cur.KID, err)
	}
	if cur, err := CurrentFor([]store.SigningKey{rs, es}, store.AlgRS256); err != nil || cur.KID != rs.KID {
		t.Fatalf("CurrentFor RS256 picked %s (%v)", cur.KID, err)
	}
	if _, err := CurrentFor([]store.SigningKey{es}, store.AlgRS256); !errors.Is(err, ErrNoCurrentKey) {
		t.Fatalf("CurrentFor RS256 without one: %v", err)
	}
}

func segmentJSON(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func verifyRS256(token string, jwks []byte) (jwt.Claims, error) {
	return verifyAlgs(token, jwks, []jose.SignatureAlgorithm{jose.RS256})
}

func verifyAny(token string, jwks []byte) (jwt.Claims, error) {
	return verifyAlgs(token, jwks, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
}

func verifyAlgs(token string, jwks []byte, algs []jose.SignatureAlgorithm) (jwt.Claims, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return jwt.Claims{}, err
	}
	tok, err := jwt.ParseSigned(token, algs)
	if err != nil {
		return jwt.Claims{}, err
	}
	found := set.Key(tok.Headers[0].KeyID)
	if len(found) != 1 {
		return jwt.Claims{}, errNoSuchKID
	}
	var c jwt.Claims
	err = tok.Claims(found[0], &c)
	return c, err
}

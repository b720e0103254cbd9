package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/store"
)

// TestTokenSignedInEachModeVerifiesWithJWKS is the package's end-to-end
// promise: in every mode, a key made by New and opened by Open signs a JWT
// through go-jose that verifies against the published JWKS, and only against
// the right key.
func TestTokenSignedInEachModeVerifiesWithJWKS(t *testing.T) {
	spy := motoKMS(t)
	wrap := motoWrappingKey(t, spy)
	local := newTestLocal(t)
	envelope, err := NewEnvelope(spy, wrap, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	kmsMode, err := NewKMS(spy, fixedClock)
	if err != nil {
		t.Fatal(err)
	}

	for _, s := range []Sealer{local, envelope, kmsMode} {
		t.Run(s.Mode(), func(t *testing.T) {
			current := mustNew(t, s, tenantA)
			if current.Mode != s.Mode() || !current.CreatedAt.Equal(epoch) || current.State != "" {
				t.Fatalf("record: mode %q created %v state %q", current.Mode, current.CreatedAt, current.State)
			}
			current.State = store.KeyCurrent
			next := mustNew(t, s, tenantA)
			next.State = store.KeyNext
			other := mustNew(t, s, tenantA) // never published

			jwks, err := json.Marshal(PublicJWKS([]store.SigningKey{next, current}, epoch))
			if err != nil {
				t.Fatal(err)
			}

			before := spy.total()
			k := mustOpen(t, s, tenantA, current)
			if k.KID() != current.KID {
				t.Fatalf("opened kid %q, record %q", k.KID(), current.KID)
			}
			if kid, err := KID(k.Public()); err != nil || kid != current.KID {
				t.Fatalf("Public() has kid %q (%v), record %q", kid, err, current.KID)
			}
			if s.Mode() == store.ModeKMS && spy.total() != before {
				t.Fatalf("kms Open made %d KMS calls, want 0", spy.total()-before)
			}
			token := signJWT(t.Context(), t, k)

			tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatal(err)
			}
			if h := tok.Headers[0]; h.KeyID != current.KID || h.Algorithm != "ES256" || h.ExtraHeaders["typ"] != "at+jwt" {
				t.Fatalf("header kid %q alg %q typ %v", h.KeyID, h.Algorithm, h.ExtraHeaders["typ"])
			}
			claims, err := verifyWithJWKS(t, token, jwks)
			if err != nil {
				t.Fatalf("token signed in %s mode does not verify with the JWKS: %v", s.Mode(), err)
			}
			if claims.Subject != "agent_123" {
				t.Fatalf("sub %q", claims.Subject)
			}

			// SignJWS, the access token's path: r||s over the signing
			// input, which the public key verifies, and only for that input.
			input := []byte("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudF8xMjMifQ")
			sig, err := k.SignJWS(t.Context(), input)
			if err != nil || len(sig) != 64 {
				t.Fatalf("SignJWS: %d bytes, %v", len(sig), err)
			}
			digest := sha256.Sum256(input)
			r, sv := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if !ecdsa.Verify(k.Public().(*ecdsa.PublicKey), digest[:], r, sv) {
				t.Fatalf("SignJWS in %s mode does not verify with the public key", s.Mode())
			}
			if other := sha256.Sum256(append(input, 'x')); ecdsa.Verify(k.Public().(*ecdsa.PublicKey), other[:], r, sv) {
				t.Fatal("SignJWS verified for another input")
			}

			// Error paths: a key that is not published, and a token whose kid
			// is published but whose signature is another key's.
			unpublished := signJWT(t.Context(), t, mustOpen(t, s, tenantA, other))
			if _, err := verifyWithJWKS(t, unpublished, jwks); !errors.Is(err, errNoSuchKID) {
				t.Fatalf("unpublished key: err %v, want %v", err, errNoSuchKID)
			}
			forgedJWKS, _ := json.Marshal(PublicJWKS([]store.SigningKey{
				{KID: current.KID, State: store.KeyCurrent, PublicDER: other.PublicDER},
			}, epoch))
			if string(forgedJWKS) != `{"keys":[]}` {
				t.Fatalf("a record whose kid is not its key's was published: %s", forgedJWKS)
			}
			if _, err := verifyWithJWKS(t, token, []byte(`{"keys":[]}`)); err == nil {
				t.Fatal("verified against an empty JWKS")
			}
		})
	}
}

// TestKMSModeSignsOnMoto checks the kms mode's KMS traffic on the emulator:
// GetPublicKey only at creation, one RAW Sign per token, none to open.
func TestKMSModeSignsOnMoto(t *testing.T) {
	spy := motoKMS(t)
	m, err := NewKMS(spy, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	rec := mustNew(t, m, tenantA)
	rec.State = store.KeyCurrent
	if spy.count("CreateKey") != 1 || spy.count("GetPublicKey") != 1 {
		t.Fatalf("New: %v", spy.calls)
	}
	if rec.KMSKeyID == "" || len(rec.Sealed) != 0 || len(rec.WrappedDataKey) != 0 {
		t.Fatalf("kms record: key id %q, sealed %d bytes, wrapped %d bytes", rec.KMSKeyID, len(rec.Sealed), len(rec.WrappedDataKey))
	}
	k := mustOpen(t, m, tenantA, rec)
	jwks, _ := json.Marshal(PublicJWKS([]store.SigningKey{rec}, epoch))
	const tokens = 5
	for range tokens {
		if _, err := verifyWithJWKS(t, signJWT(t.Context(), t, k), jwks); err != nil {
			t.Fatal(err)
		}
	}
	if got := spy.count("Sign"); got != tokens {
		t.Fatalf("%d Sign calls for %d tokens", got, tokens)
	}
	if got := spy.count("GetPublicKey"); got != 1 {
		t.Fatalf("GetPublicKey called %d times; only New may call it", got)
	}
	for _, in := range spy.signs {
		if in.MessageType != "RAW" || in.SigningAlgorithm != "ECDSA_SHA_256" {
			t.Fatalf("Sign with %s/%s, want RAW/ECDSA_SHA_256", in.MessageType, in.SigningAlgorithm)
		}
	}

	// A cancelled request context reaches KMS Sign.
	ctx, cancel := context.WithCancel(t.Context())
	signer, err := k.Signer(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := jwt.Signed(signer).Claims(testClaims()).Serialize(); err == nil {
		t.Fatal("signed with a cancelled context")
	}
}

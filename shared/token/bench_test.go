package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/accesstoken"
	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// benchHarness is the harness for benchmarks (testing.B has no *testing.T).
func benchHarness(b *testing.B) (*harness, *prover) {
	hs := newHarness(b, nil)
	p := newProver(b)
	hs.client("acme", store.Client{ClientID: "bench", Scopes: []string{"mcp:read"}, Active: true})
	return hs, p
}

// BenchmarkTokenClientCredentialsDPoP is one client_credentials + DPoP token
// through the handler (form parsing, client authentication, proof
// validation, signing, one store transaction on the embedded engine with
// fsync and group commit), 8 requests in flight as DESIGN §8 measures. The
// client's proof is signed outside the timer.
func BenchmarkTokenClientCredentialsDPoP(b *testing.B) {
	hs, p := benchHarness(b)
	body := "grant_type=client_credentials&client_id=bench&client_secret=" + secret + "&scope=mcp%3Aread"
	tn := hs.tenants["acme"]
	rec, err := hs.st.GetTenant(b.Context(), tn.ID)
	if err != nil {
		b.Fatal(err)
	}
	tn.Record = rec
	const pool = 4096
	proofs := make(chan string, pool)
	for range pool {
		proofs <- p.proofAt(b, "POST", tokenURL, hs.now, "")
	}
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var proof string
			select {
			case proof = <-proofs:
			default:
				proof = p.proofAt(b, "POST", tokenURL, hs.now, "")
			}
			r := httptest.NewRequest(http.MethodPost, tokenPath, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("DPoP", proof)
			r = r.WithContext(tenant.With(r.Context(), tn))
			w := httptest.NewRecorder()
			hs.mux.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkCryptoFloor is what a token cannot cost less than: one ES256 DPoP
// proof verification (go-jose, through dpop.Validator) and one ES256 access
// token signature (through the opened key), measured in the same run.
func BenchmarkCryptoFloor(b *testing.B) {
	hs, p := benchHarness(b)
	key, err := hs.h.ring.Signer(b.Context(), tenant.MustID("acme"), nil)
	if err != nil {
		b.Fatal(err)
	}
	v := dpop.Validator{Now: hs.clock}
	proof := p.proofAt(b, "POST", tokenURL, hs.now, "")
	claims := accesstoken.Claims{Issuer: rootIssuer, Subject: "bench", Audience: []string{"bench"}, IssuedAt: hs.now.Unix(),
		NotBefore: hs.now.Unix(), Expiry: hs.now.Add(time.Minute).Unix(), ID: "jti", ClientID: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(proof, dpop.Request{Method: "POST", URL: tokenURL}); err != nil {
			b.Fatal(err)
		}
		if _, err := accesstoken.Issue(b.Context(), key, claims); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkES256Verify is the proof-verification half of the floor, bare go-jose.
func BenchmarkES256Verify(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, nil)
	obj, _ := s.Sign([]byte(`{"a":1}`))
	raw, _ := obj.CompactSerialize()
	b.ReportAllocs()
	for b.Loop() {
		jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.Verify(&priv.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}

package dpop

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"
)

// What the Prover signs is what the Validator accepts, bound to the
// prover's thumbprint, with its nonce and ath; a proof is refused for any
// other request.
func TestProverProofsValidate(t *testing.T) {
	p, err := NewProver()
	if err != nil {
		t.Fatal(err)
	}
	v := Validator{Now: func() time.Time { return testNow }}
	at := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	sum := sha256.Sum256([]byte(at))
	ath := base64.RawURLEncoding.EncodeToString(sum[:])
	proof, err := p.Proof(ProofClaims{HTM: "POST", HTU: tokenURL, IAT: testNow, Nonce: "n-1", ATH: ath})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Validate(proof, Request{Method: "POST", URL: tokenURL, AccessToken: at, Nonce: func(n string) bool { return n == "n-1" }})
	if err != nil {
		t.Fatal(err)
	}
	if got.JKT != p.JKT() || got.JTI == "" || !got.IssuedAt.Equal(testNow) {
		t.Fatalf("proof %+v, prover jkt %s", got, p.JKT())
	}
	if _, err := v.Validate(proof, Request{Method: "GET", URL: tokenURL}); err == nil {
		t.Fatal("a POST proof validated for GET")
	}
	seen := map[string]bool{got.JTI: true}
	for range 20 {
		raw, _ := p.Proof(ProofClaims{HTM: "POST", HTU: tokenURL, IAT: testNow})
		next, err := v.Validate(raw, Request{Method: "POST", URL: tokenURL})
		if err != nil || seen[next.JTI] || next.JKT != p.JKT() {
			t.Fatalf("proof %+v %v: jti repeated or key changed", next, err)
		}
		seen[next.JTI] = true
	}
	if _, err := NewProverWith(nil); err == nil {
		t.Fatal("a prover without a key")
	}
}

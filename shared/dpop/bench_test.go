package dpop

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"
)

// BenchmarkValidate is one ES256 proof through every rule.
func BenchmarkValidate(b *testing.B) {
	p := newProver(b)
	proof := p.proof(b)
	v := Validator{Now: func() time.Time { return testNow }}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(proof, Request{Method: "POST", URL: tokenURL}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkES256VerifyBare is the signature check alone: the floor of Validate.
func BenchmarkES256VerifyBare(b *testing.B) {
	p := newProver(b)
	proof := p.proof(b)
	i := strings.LastIndexByte(proof, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(proof[i+1:])
	sum := sha256.Sum256([]byte(proof[:i]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.Verify(&p.priv.PublicKey, sum[:], r, s) {
			b.Fatal("bad")
		}
	}
}

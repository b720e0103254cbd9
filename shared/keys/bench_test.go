package keys

import (
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/tenant"
)

// BenchmarkSignLocal is the crypto of one access token in local/envelope mode
// once the key is open: build a go-jose signer and sign the claims (ES256).
func BenchmarkSignLocal(b *testing.B) {
	s, err := NewLocal(testMasterKey(1), fixedClock)
	if err != nil {
		b.Fatal(err)
	}
	tid := tenant.MustID("bench")
	rec, err := s.New(b.Context(), tid)
	if err != nil {
		b.Fatal(err)
	}
	k, err := s.Open(b.Context(), tid, rec)
	if err != nil {
		b.Fatal(err)
	}
	claims := testClaims()
	b.ReportAllocs()
	for b.Loop() {
		signer, err := k.Signer(b.Context(), (&jose.SignerOptions{}).WithType("at+jwt"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jwt.Signed(signer).Claims(claims).Serialize(); err != nil {
			b.Fatal(err)
		}
	}
}

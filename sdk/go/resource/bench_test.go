package resource

import (
	"testing"
)

// BenchmarkVerifyBearer: one offline verification of a bearer token with a
// warm JWKS cache (ES256 signature check dominates).
func BenchmarkVerifyBearer(b *testing.B) {
	e := newEnv(b, nil)
	tok := e.token(nil)
	r := request("POST", testResource, "Bearer "+tok, "")
	if _, err := e.v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyDPoP: token and proof verification (two ES256 checks, the
// thumbprint and the replay cache); proof signing is excluded.
func BenchmarkVerifyDPoP(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.ReplayCacheSize = 1 << 22 })
	p := newProver(b)
	tok := e.boundToken(p, nil)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r := request("POST", testResource, "DPoP "+tok, p.proof(b, "POST", testHTU, tok, e.clock.Now(), nil))
		b.StartTimer()
		if _, err := e.v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

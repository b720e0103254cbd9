package keystest

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
)

var (
	rsaOnce          sync.Once
	rsa1024, rsa2048 *rsa.PrivateKey
)

// RSAKeys are a 1024-bit (too weak: RFC 7518 §3.3) and a 2048-bit RSA key,
// generated once per test binary (2048 bits is slow).
func RSAKeys(t testing.TB) (weak, strong *rsa.PrivateKey) {
	t.Helper()
	rsaOnce.Do(func() {
		rsa1024, _ = rsa.GenerateKey(rand.Reader, 1024)
		rsa2048, _ = rsa.GenerateKey(rand.Reader, 2048)
	})
	if rsa1024 == nil || rsa2048 == nil {
		t.Fatal("keystest: rsa keys")
	}
	return rsa1024, rsa2048
}

package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"regexp"
	"testing"
)

// rfc7515A3 is the P-256 public key of RFC 7515 Appendix A.3.
func rfc7515A3(t *testing.T) *ecdsa.PublicKey {
	t.Helper()
	coord := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	return &ecdsa.PublicKey{
		Curve: elliptic.P256(),
		X:     coord("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
		Y:     coord("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"),
	}
}

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16}$`)

func TestKID(t *testing.T) {
	a, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)

	tests := []struct {
		name    string
		pub     *ecdsa.PublicKey
		want    string // "" = any well-formed kid
		wantErr bool
	}{
		// Golden value, computed independently (Python cryptography + hashlib).
		{"RFC 7515 A.3 key", rfc7515A3(t), "K9G7DESol8MKeqCZ", false},
		{"random P-256 key", &a.PublicKey, "", false},
		{"P-384 key", &p384.PublicKey, "", false},
		{"nil key", nil, "", true},
		{"key without a curve", &ecdsa.PublicKey{X: big.NewInt(1), Y: big.NewInt(2)}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kid, err := KID(tt.pub)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error: %v", err, tt.wantErr)
			}
			if err != nil {
				if kid != "" {
					t.Fatalf("kid %q with the error", kid)
				}
				return
			}
			if !kidPattern.MatchString(kid) || (tt.want != "" && kid != tt.want) {
				t.Fatalf("kid %q, want %q", kid, tt.want)
			}
			again, _ := KID(tt.pub)
			if again != kid {
				t.Fatalf("not deterministic: %q then %q", kid, again)
			}
			der, _ := x509.MarshalPKIXPublicKey(tt.pub)
			if kidOfDER(der) != kid {
				t.Fatal("KID and kidOfDER disagree")
			}
		})
	}

	ka, _ := KID(&a.PublicKey)
	kb, _ := KID(&b.PublicKey)
	if ka == kb {
		t.Fatalf("two keys share kid %q", ka)
	}
}

func TestSealersSetTheKIDOfThePublicKey(t *testing.T) {
	l := newTestLocal(t)
	seen := map[string]bool{}
	for range 20 {
		rec := mustNew(t, l, tenantA)
		pub, err := publicOf(rec)
		if err != nil {
			t.Fatal(err)
		}
		if kid, _ := KID(pub); kid != rec.KID || seen[kid] {
			t.Fatalf("kid %q: KID says %q, seen before: %v", rec.KID, kid, seen[kid])
		}
		seen[rec.KID] = true
	}
}

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/sharkauth/serverless/shared/store"
)

// kidLen is the length of a kid: 16 base64url characters (96 bits of SHA-256).
const kidLen = 16

// KID returns the key id of a public key: the first 16 characters of the
// unpadded base64url SHA-256 of its SPKI DER (WIRE §4).
func KID(pub crypto.PublicKey) (string, error) {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if p != nil {
			break
		}
		return "", errors.New("keys: kid of a nil public key")
	case *rsa.PublicKey:
		if p != nil {
			break
		}
		return "", errors.New("keys: kid of a nil public key")
	default:
		return "", fmt.Errorf("keys: kid of a %T public key", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("keys: kid: %w", err)
	}
	return kidOfDER(der), nil
}

func kidOfDER(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])[:kidLen]
}

// publicOf parses and checks the public half of a record: the DER must be a
// SPKI of the record's algorithm (P-256 for ES256, RSA of at least
// MinRSABits with a sane exponent for RS256) whose kid is the record's kid.
// A key of one type never passes as the other's algorithm.
func publicOf(k store.SigningKey) (crypto.PublicKey, error) {
	if k.KID == "" {
		return nil, fmt.Errorf("%w: no kid", ErrBadRecord)
	}
	parsed, err := x509.ParsePKIXPublicKey(k.PublicDER)
	if err != nil {
		return nil, fmt.Errorf("%w: kid %q: public key does not parse", ErrBadRecord, k.KID)
	}
	switch alg := k.Algorithm(); alg {
	case store.AlgES256:
		pub, ok := parsed.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: kid %q: public key is not P-256", ErrBadRecord, k.KID)
		}
	case store.AlgRS256:
		pub, ok := parsed.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: kid %q: public key is not RSA", ErrBadRecord, k.KID)
		}
		if pub.N.BitLen() < MinRSABits || pub.E < 3 || pub.E%2 == 0 {
			return nil, fmt.Errorf("%w: kid %q: RSA key of %d bits (at least %d) or bad exponent", ErrBadRecord, k.KID, pub.N.BitLen(), MinRSABits)
		}
	default:
		return nil, fmt.Errorf("%w: kid %q: unknown algorithm %q", ErrBadRecord, k.KID, alg)
	}
	// Hash the canonical encoding, so an odd but parseable DER cannot carry a
	// kid of its own.
	kid, err := KID(parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: kid %q: %v", ErrBadRecord, k.KID, err)
	}
	if kid != k.KID {
		return nil, fmt.Errorf("%w: kid %q does not match its public key", ErrBadRecord, k.KID)
	}
	return parsed, nil
}

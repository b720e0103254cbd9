package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
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
func KID(pub *ecdsa.PublicKey) (string, error) {
	if pub == nil {
		return "", errors.New("keys: kid of a nil public key")
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
// P-256 SPKI whose kid is the record's kid.
func publicOf(k store.SigningKey) (*ecdsa.PublicKey, error) {
	if k.KID == "" {
		return nil, fmt.Errorf("%w: no kid", ErrBadRecord)
	}
	parsed, err := x509.ParsePKIXPublicKey(k.PublicDER)
	if err != nil {
		return nil, fmt.Errorf("%w: kid %q: public key does not parse", ErrBadRecord, k.KID)
	}
	pub, ok := parsed.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: kid %q: public key is not P-256", ErrBadRecord, k.KID)
	}
	// Hash the canonical encoding, so an odd but parseable DER cannot carry a
	// kid of its own.
	kid, err := KID(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: kid %q: %v", ErrBadRecord, k.KID, err)
	}
	if kid != k.KID {
		return nil, fmt.Errorf("%w: kid %q does not match its public key", ErrBadRecord, k.KID)
	}
	return pub, nil
}

package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
)

// A proof's JOSE parts are read here, by encoding/json into raw members and
// then field by field, instead of through go-jose's generic JWS parser: a
// proof is one small, fixed shape, and go-jose's path cost as much CPU as the
// ECDSA verification itself (BenchmarkValidate). Member names match exactly
// (encoding/json's struct decoding would also take "ALG" for "alg"), every
// base64url value must be canonical and unpadded, and a coordinate must
// have its curve's full width, so the members are also the RFC 7638
// canonical form the thumbprint hashes.

// b64url is base64url without padding, canonical only (RFC 7515 §2).
var b64url = base64.RawURLEncoding.Strict()

// members parses a JSON object into its raw members. A duplicated name is
// refused: two readers of the header could otherwise see different values.
func members(b []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	if duplicated(b, len(m)) {
		return nil, false
	}
	return m, true
}

// duplicated reports whether the object b, valid JSON with n distinct
// names, has more than n members: its colons outside strings at depth 1.
// A name spelled twice with different escapes counts twice here and once in
// the map, so it is caught too.
func duplicated(b []byte, n int) bool {
	depth, count := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				count++
			}
		}
	}
	return count != n
}

// text is member name of m as a string; ok is false when it is present but
// not a string. A missing member is "", true.
func text(m map[string]json.RawMessage, name string) (s string, present, ok bool) {
	raw, present := m[name]
	if !present {
		return "", false, true
	}
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", true, false
	}
	return s, true, true
}

// publicKey is a proof's jwk header: the key, the alg it verifies, and its
// RFC 7638 thumbprint input.
type publicKey struct {
	key crypto.PublicKey
	// alg is the one JWS alg this key may verify: ES256 for P-256, ES384 for
	// P-384, EdDSA for Ed25519; RSA keys take RS256 or PS256.
	alg       string
	canonical []byte
}

var errJWK = errors.New("dpop: jwk is not a valid public key")

// privateMembers are the members only a private or symmetric JWK has
// (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// parseJWK reads the public JWK of a proof header: EC P-256/P-384, OKP
// Ed25519 or RSA of at least 2048 bits; nothing private, nothing symmetric.
func parseJWK(raw json.RawMessage) (publicKey, error) {
	m, ok := members(raw)
	if !ok {
		return publicKey{}, errJWK
	}
	for _, name := range privateMembers {
		if _, has := m[name]; has {
			return publicKey{}, errJWK
		}
	}
	kty, _, _ := text(m, "kty")
	switch kty {
	case "EC":
		return ecKey(m)
	case "OKP":
		return okpKey(m)
	case "RSA":
		return rsaKey(m)
	}
	return publicKey{}, errJWK
}

// coordinate is a base64url member of exactly size bytes.
func coordinate(m map[string]json.RawMessage, name string, size int) (string, []byte, bool) {
	s, _, ok := text(m, name)
	if !ok || b64url.DecodedLen(len(s)) != size {
		return "", nil, false
	}
	b, err := b64url.DecodeString(s)
	return s, b, err == nil && len(b) == size
}

func ecKey(m map[string]json.RawMessage) (publicKey, error) {
	crv, _, _ := text(m, "crv")
	var curve elliptic.Curve
	var alg string
	switch crv {
	case "P-256":
		curve, alg = elliptic.P256(), "ES256"
	case "P-384":
		curve, alg = elliptic.P384(), "ES384"
	default:
		return publicKey{}, errJWK
	}
	size := (curve.Params().BitSize + 7) / 8
	xs, x, okx := coordinate(m, "x", size)
	ys, y, oky := coordinate(m, "y", size)
	if !okx || !oky {
		return publicKey{}, errJWK
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point) // on the curve, not infinity
	if err != nil {
		return publicKey{}, errJWK
	}
	return publicKey{key: pub, alg: alg,
		canonical: []byte(`{"crv":"` + crv + `","kty":"EC","x":"` + xs + `","y":"` + ys + `"}`)}, nil
}

func okpKey(m map[string]json.RawMessage) (publicKey, error) {
	if crv, _, _ := text(m, "crv"); crv != "Ed25519" {
		return publicKey{}, errJWK
	}
	xs, x, ok := coordinate(m, "x", ed25519.PublicKeySize)
	if !ok {
		return publicKey{}, errJWK
	}
	return publicKey{key: ed25519.PublicKey(x), alg: "EdDSA",
		canonical: []byte(`{"crv":"Ed25519","kty":"OKP","x":"` + xs + `"}`)}, nil
}

// MinRSABits is the smallest RSA proof key accepted.
const MinRSABits = 2048

func rsaKey(m map[string]json.RawMessage) (publicKey, error) {
	ns, _, okn := text(m, "n")
	es, _, oke := text(m, "e")
	if !okn || !oke {
		return publicKey{}, errJWK
	}
	n, err1 := b64url.DecodeString(ns)
	e, err2 := b64url.DecodeString(es)
	// Unsigned big-endian in the fewest octets (RFC 7518 §6.3.1): no
	// leading zero, so the members are canonical for the thumbprint.
	if err1 != nil || err2 != nil || len(n) == 0 || n[0] == 0 || len(e) == 0 || e[0] == 0 || len(e) > 4 {
		return publicKey{}, errJWK
	}
	exp := 0
	for _, c := range e {
		exp = exp<<8 | int(c)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
	if pub.N.BitLen() < MinRSABits || pub.N.BitLen() > 8192 || exp < 3 || exp%2 == 0 {
		return publicKey{}, errJWK
	}
	return publicKey{key: pub, alg: "RSA",
		canonical: []byte(`{"e":"` + es + `","kty":"RSA","n":"` + ns + `"}`)}, nil
}

// fits reports whether the key may verify alg.
func (k publicKey) fits(alg string) bool {
	if k.alg == "RSA" {
		return alg == "RS256" || alg == "PS256"
	}
	return k.alg == alg
}

// verify checks sig over input under alg (which the key fits).
func (k publicKey) verify(alg string, input, sig []byte) bool {
	switch pub := k.key.(type) {
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if alg == "ES384" {
			sum := sha512.Sum384(input)
			return ecdsa.Verify(pub, sum[:], r, s)
		}
		sum := sha256.Sum256(input)
		return ecdsa.Verify(pub, sum[:], r, s)
	case ed25519.PublicKey:
		return ed25519.Verify(pub, input, sig)
	case *rsa.PublicKey:
		sum := sha256.Sum256(input)
		if alg == "PS256" {
			return rsa.VerifyPSS(pub, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
	}
	return false
}

// thumbprint is the RFC 7638 SHA-256 thumbprint, base64url.
func (k publicKey) thumbprint() string {
	sum := sha256.Sum256(k.canonical)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

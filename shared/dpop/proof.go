package dpop

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Algs are the proof algorithms we accept: asymmetric only, never "none"
// and never HMAC. The discovery metadata advertises exactly these.
var Algs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// Type is the typ header of every proof.
const Type = "dpop+jwt"

// DefaultWindow is how far a proof's iat may be from the server's clock.
const DefaultWindow = 60 * time.Second

// MaxProofSize bounds a proof; an RSA-4096 proof is well under it.
const MaxProofSize = 8 << 10

// Error is a proof that fails a rule of WIRE §6; Rule names it for the
// error description. UseNonce marks the failure that asks the client to
// retry with the server's nonce (RFC 9449 §8).
type Error struct {
	Rule     string
	UseNonce bool
}

func (e *Error) Error() string { return "dpop: " + e.Rule }

func fail(rule string) *Error { return &Error{Rule: rule} }

// Request is what a proof must match.
type Request struct {
	// Method is the request's HTTP method (htm).
	Method string
	// URL is the request's external URL without query (htu), e.g. the
	// tenant's issuer + "/oauth/token". Never a Lambda-internal host.
	URL string
	// AccessToken, when set, requires ath = base64url(SHA-256(token)).
	AccessToken string
	// Nonce, when set, is the server's nonce check: the proof must carry a
	// nonce it accepts, else the failure has UseNonce.
	Nonce func(string) bool
}

// Proof is a validated proof.
type Proof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's key, base64url.
	JKT      string
	JTI      string
	IssuedAt time.Time
	// Key is the proof's public key: *ecdsa.PublicKey, ed25519.PublicKey
	// or *rsa.PublicKey.
	Key crypto.PublicKey
}

// Validator validates proofs against an injected clock.
type Validator struct {
	Now func() time.Time
	// Window is the allowed distance of iat from Now, either way (default 60 s).
	Window time.Duration
}

// Validate checks raw, the value of the request's one DPoP header, against
// req. Every rule of WIRE §6 is checked; the first failure is returned as an
// *Error naming it. A proof that fails a rule after its signature verified
// and its jti was read is returned with the error (JKT, JTI, Key, and
// IssuedAt when readable), so the caller can spend it: a key holder's
// proof is single-use whatever the outcome (RFC 9449 §11.1).
func (v Validator) Validate(raw string, req Request) (Proof, error) {
	if raw == "" || len(raw) > MaxProofSize {
		return Proof{}, fail("proof is empty or too large")
	}
	// A compact JWS: three base64url parts (RFC 7515 §7.1); an empty
	// signature is "alg":"none", refused below by name.
	h64, rest, ok1 := strings.Cut(raw, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || h64 == "" || p64 == "" || strings.IndexByte(s64, '.') >= 0 {
		return Proof{}, fail("proof is not a compact JWS")
	}
	hb, err1 := b64url.DecodeString(h64)
	payload, err2 := b64url.DecodeString(p64)
	sig, err3 := b64url.DecodeString(s64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Proof{}, fail("proof is not a compact JWS")
	}
	header, ok := members(hb)
	if !ok {
		return Proof{}, fail("proof is not a compact JWS")
	}
	alg, _, _ := text(header, "alg")
	if !allowed(alg) {
		return Proof{}, fail("alg is not allowed (asymmetric algorithms only)")
	}
	// No extension is understood, so none may be critical (RFC 7515 §4.1.11).
	if _, has := header["crit"]; has {
		return Proof{}, fail("crit header parameters are not supported")
	}
	if typ, _, _ := text(header, "typ"); typ != Type {
		return Proof{}, fail("typ must be " + Type)
	}
	rawJWK, has := header["jwk"]
	if !has {
		return Proof{}, fail("jwk header is required")
	}
	key, err := parseJWK(rawJWK)
	if err != nil || !key.fits(alg) {
		return Proof{}, fail("jwk must be a valid public key for the alg")
	}
	if !key.verify(alg, []byte(raw[:len(h64)+1+len(p64)]), sig) {
		return Proof{}, fail("signature does not verify with the jwk")
	}
	c, ok := members(payload)
	if !ok {
		return Proof{}, fail("claims are not a JSON object")
	}
	jti, _, _ := text(c, "jti")
	if jti == "" || len(jti) > 256 {
		return Proof{}, fail("jti is required")
	}
	// From here the proof is the key holder's own: a failure returns it
	// with the error, so the caller can spend it (RFC 9449 §11.1).
	spent := Proof{JKT: key.thumbprint(), JTI: jti, Key: key.key}
	if htm, _, _ := text(c, "htm"); htm == "" || htm != req.Method {
		return spent, fail("htm does not match the request method")
	}
	htu, _, _ := text(c, "htu")
	got, err := NormalizeHTU(htu)
	if err != nil {
		return spent, fail("htu is not a valid URL without query or fragment")
	}
	want, err := NormalizeHTU(req.URL)
	if err != nil || got != want {
		return spent, fail("htu does not match the request URL")
	}
	iat, ok := numericDate(c["iat"])
	if !ok {
		return spent, fail("iat is required and must be a number")
	}
	spent.IssuedAt = iat
	now, window := v.now(), v.window()
	if iat.Before(now.Add(-window)) {
		return spent, fail("iat is too old")
	}
	if iat.After(now.Add(window)) {
		return spent, fail("iat is in the future")
	}
	if req.AccessToken != "" {
		sum := sha256.Sum256([]byte(req.AccessToken))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		ath, present, ok := text(c, "ath")
		if !present || !ok || subtle.ConstantTimeCompare([]byte(ath), []byte(want)) != 1 {
			return spent, fail("ath does not match the access token")
		}
	}
	if req.Nonce != nil {
		nonce, present, ok := text(c, "nonce")
		if !present || !ok || !req.Nonce(nonce) {
			return spent, &Error{Rule: "a fresh server nonce is required", UseNonce: true}
		}
	}
	return spent, nil
}

// allowed reports whether alg is one of Algs.
func allowed(alg string) bool {
	for _, a := range Algs {
		if string(a) == alg {
			return true
		}
	}
	return false
}

func (v Validator) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v Validator) window() time.Duration {
	if v.Window <= 0 {
		return DefaultWindow
	}
	return v.Window
}

// numericDate reads a JSON number as a time (fractions allowed, as RFC 7519 says).
func numericDate(raw json.RawMessage) (time.Time, bool) {
	var f float64
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &f) != nil {
		return time.Time{}, false
	}
	if math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a public key, base64url.
func Thumbprint(k jose.JSONWebKey) (string, error) {
	b, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

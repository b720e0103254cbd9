package dpop

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
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
	Key      jose.JSONWebKey
}

// Validator validates proofs against an injected clock.
type Validator struct {
	Now func() time.Time
	// Window is the allowed distance of iat from Now, either way (default 60 s).
	Window time.Duration
}

// claims are a proof's claims. iat is a JSON number (RFC 7519 NumericDate).
type claims struct {
	JTI   string          `json:"jti"`
	HTM   string          `json:"htm"`
	HTU   string          `json:"htu"`
	IAT   json.RawMessage `json:"iat"`
	ATH   *string         `json:"ath"`
	Nonce *string         `json:"nonce"`
}

// Validate checks raw, the value of the request's one DPoP header, against
// req. Every rule of WIRE §6 is checked; the first failure is returned as an
// *Error naming it.
func (v Validator) Validate(raw string, req Request) (Proof, error) {
	if raw == "" || len(raw) > MaxProofSize {
		return Proof{}, fail("proof is empty or too large")
	}
	jws, err := jose.ParseSignedCompact(raw, Algs)
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &alg) {
			return Proof{}, fail("alg is not allowed (asymmetric algorithms only)")
		}
		if strings.Contains(err.Error(), "JWK") {
			return Proof{}, fail("jwk must be a valid public key")
		}
		return Proof{}, fail("proof is not a compact JWS")
	}
	if len(jws.Signatures) != 1 {
		return Proof{}, fail("proof must have exactly one signature")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != Type {
		return Proof{}, fail("typ must be " + Type)
	}
	if h.JSONWebKey == nil {
		return Proof{}, fail("jwk header is required")
	}
	jwk := *h.JSONWebKey
	if _, symmetric := jwk.Key.([]byte); symmetric || !jwk.IsPublic() || !jwk.Valid() {
		return Proof{}, fail("jwk must be a valid public key")
	}
	payload, err := jws.Verify(jwk.Key)
	if err != nil {
		return Proof{}, fail("signature does not verify with the jwk")
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Proof{}, fail("claims are not a JSON object")
	}
	if c.JTI == "" || len(c.JTI) > 256 {
		return Proof{}, fail("jti is required")
	}
	if c.HTM == "" || c.HTM != req.Method {
		return Proof{}, fail("htm does not match the request method")
	}
	got, err := NormalizeHTU(c.HTU)
	if err != nil {
		return Proof{}, fail("htu is not a valid URL without query or fragment")
	}
	want, err := NormalizeHTU(req.URL)
	if err != nil || got != want {
		return Proof{}, fail("htu does not match the request URL")
	}
	iat, ok := numericDate(c.IAT)
	if !ok {
		return Proof{}, fail("iat is required and must be a number")
	}
	now, window := v.now(), v.window()
	if iat.Before(now.Add(-window)) {
		return Proof{}, fail("iat is too old")
	}
	if iat.After(now.Add(window)) {
		return Proof{}, fail("iat is in the future")
	}
	if req.AccessToken != "" {
		sum := sha256.Sum256([]byte(req.AccessToken))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		if c.ATH == nil || subtle.ConstantTimeCompare([]byte(*c.ATH), []byte(want)) != 1 {
			return Proof{}, fail("ath does not match the access token")
		}
	}
	if req.Nonce != nil && (c.Nonce == nil || !req.Nonce(*c.Nonce)) {
		return Proof{}, &Error{Rule: "a fresh server nonce is required", UseNonce: true}
	}
	jkt, err := Thumbprint(jwk)
	if err != nil {
		return Proof{}, fail("jwk must be a valid public key")
	}
	return Proof{JKT: jkt, JTI: c.JTI, IssuedAt: iat, Key: jwk}, nil
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

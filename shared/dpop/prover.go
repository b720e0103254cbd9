package dpop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Prover makes DPoP proofs (RFC 9449 §4.2) with one ES256 key, as a client
// does: its protected header (typ, alg and the public jwk) is encoded once,
// and each proof signs its own claims. The CLI's token command and load
// generator, and the tests that play a client, all use it.
type Prover struct {
	key    *ecdsa.PrivateKey
	header string // base64url of the protected header
	jwk    map[string]string
	jkt    string
}

// ProofClaims are the claims of one proof. A zero JTI gets 128 random bits;
// Nonce and ATH are sent when set.
type ProofClaims struct {
	JTI, HTM, HTU string
	IAT           time.Time
	Nonce, ATH    string
}

// NewProver returns a prover with a fresh P-256 key.
func NewProver() (*Prover, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewProverWith(key)
}

// NewProverWith returns a prover of key, which must be a P-256 key.
func NewProverWith(key *ecdsa.PrivateKey) (*Prover, error) {
	if key == nil || key.Curve != elliptic.P256() {
		return nil, errors.New("dpop: a prover needs a P-256 key")
	}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	point := pub.Bytes() // 0x04 || x || y
	b64 := base64.RawURLEncoding.EncodeToString
	jwk := map[string]string{"kty": "EC", "crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:])}
	header, err := json.Marshal(map[string]any{"typ": Type, "alg": "ES256", "jwk": jwk})
	if err != nil {
		return nil, err
	}
	jkt, err := Thumbprint(jose.JSONWebKey{Key: &key.PublicKey})
	if err != nil {
		return nil, err
	}
	return &Prover{key: key, header: b64(header), jwk: jwk, jkt: jkt}, nil
}

// JKT is the RFC 7638 thumbprint of the prover's key: the cnf.jkt of the
// tokens bound to it.
func (p *Prover) JKT() string { return p.jkt }

// PublicJWK is the prover's public key as a JWK (kty, crv, x, y).
func (p *Prover) PublicJWK() map[string]string {
	out := make(map[string]string, len(p.jwk))
	for k, v := range p.jwk {
		out[k] = v
	}
	return out
}

// Key is the prover's private key.
func (p *Prover) Key() *ecdsa.PrivateKey { return p.key }

// Proof returns a compact JWS: the header, the claims and the ES256
// signature (r || s, 32 bytes each, RFC 7518 §3.4).
func (p *Prover) Proof(c ProofClaims) (string, error) {
	if c.JTI == "" {
		var jti [16]byte
		rand.Read(jti[:])
		c.JTI = base64.RawURLEncoding.EncodeToString(jti[:])
	}
	claims, err := json.Marshal(struct {
		JTI   string `json:"jti"`
		HTM   string `json:"htm"`
		HTU   string `json:"htu"`
		IAT   int64  `json:"iat"`
		Nonce string `json:"nonce,omitempty"`
		ATH   string `json:"ath,omitempty"`
	}{c.JTI, c.HTM, c.HTU, c.IAT.Unix(), c.Nonce, c.ATH})
	if err != nil {
		return "", err
	}
	input := p.header + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, p.key, digest[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig[:]), nil
}

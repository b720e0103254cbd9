package keys

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Sealer is a key mode: it creates signing key records and opens them.
type Sealer interface {
	// Mode is the mode this sealer handles: store.ModeLocal, store.ModeEnvelope
	// or store.ModeKMS.
	Mode() string
	// New generates an ES256 (P-256) key for tenant t and returns its record
	// with KID, Mode, PublicDER, CreatedAt and the mode's sealed material set.
	// State and the timestamps of later transitions are the caller's.
	New(ctx context.Context, t tenant.ID) (store.SigningKey, error)
	// NewKey is New for a key of algorithm alg: store.AlgES256, or
	// store.AlgRS256 (RSA, RSABits bits; the record's Alg is set).
	NewKey(ctx context.Context, t tenant.ID, alg string) (store.SigningKey, error)
	// Open turns tenant t's record into a usable key. It fails with
	// ErrRejected when the record does not belong to t (or was tampered with),
	// ErrBadRecord when it is malformed and ErrWrongMode when it is another
	// mode's record.
	Open(ctx context.Context, t tenant.ID, k store.SigningKey) (Key, error)
	// Discard releases what New created outside the record, for a key whose
	// record was never stored (a tenant create that failed): kms mode
	// schedules the KMS key for deletion; the other modes hold nothing outside
	// the record.
	Discard(ctx context.Context, k store.SigningKey) error
}

// Key is an opened signing key. Its private half (if it has one in memory)
// never leaves it: printing or logging a Key shows only its kid and mode.
type Key interface {
	// KID is the key's id, the JWS "kid" header of everything it signs.
	KID() string
	// Algorithm is the JWS alg the key signs: store.AlgES256 or AlgRS256.
	Algorithm() string
	// Public is the key's public half: *ecdsa.PublicKey (ES256) or
	// *rsa.PublicKey (RS256).
	Public() crypto.PublicKey
	// Signer returns a go-jose signer of the key's algorithm that puts the
	// kid in the protected header. In kms mode every Sign call is one KMS
	// Sign call made with ctx, so the signer belongs to the request that
	// built it.
	Signer(ctx context.Context, opts *jose.SignerOptions) (jose.Signer, error)
	// SignJWS is the JWS signature of the key's algorithm over a JWS signing
	// input: for ES256 r||s, 32 bytes each (RFC 7518 §3.4); for RS256
	// RSASSA-PKCS1-v1_5 with SHA-256 (§3.3). It is the access token's path:
	// the caller builds the compact JWS around it without a go-jose signer
	// per token. In kms mode it is one KMS Sign call made with ctx.
	SignJWS(ctx context.Context, input []byte) ([]byte, error)
}

// RSABits is the modulus size of the RS256 keys we make (RFC 7518 §3.3:
// at least 2048); MinRSABits the least we publish or open.
const (
	RSABits    = 2048
	MinRSABits = 2048
)

// checkAlg refuses an algorithm we do not make keys for.
func checkAlg(alg string) error {
	if alg != store.AlgES256 && alg != store.AlgRS256 {
		return fmt.Errorf("keys: no signing keys of algorithm %q (ES256 or RS256)", alg)
	}
	return nil
}

// clock returns now, or time.Now when now is nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// generated is a fresh key pair with its kid and DER encodings. The PKCS#8
// bytes are secret: wipe them once sealed.
type generated struct {
	kid    string
	public []byte // SPKI DER
	pkcs8  []byte
}

func generate(alg string) (generated, error) {
	if err := checkAlg(alg); err != nil {
		return generated{}, err
	}
	var priv crypto.Signer
	var err error
	if alg == store.AlgRS256 {
		priv, err = rsa.GenerateKey(rand.Reader, RSABits)
	} else {
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return generated{}, fmt.Errorf("keys: generate %s key: %w", alg, err)
	}
	public, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return generated{}, fmt.Errorf("keys: encode public key: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return generated{}, fmt.Errorf("keys: encode private key: %w", err)
	}
	return generated{kid: kidOfDER(public), public: public, pkcs8: pkcs8}, nil
}

// algField is the record's Alg for alg: empty for ES256, as every record
// written before RS256 existed.
func algField(alg string) string {
	if alg == store.AlgES256 {
		return ""
	}
	return alg
}

// additionalData binds a sealed key to its tenant and kid. A tenant id never
// contains "|", so the encoding is unambiguous.
func additionalData(t tenant.ID, kid string) []byte {
	return []byte(t.String() + "|" + kid)
}

// seal encrypts plaintext with AES-256-GCM under key: a random 12-byte nonce
// followed by the ciphertext and tag.
func seal(key, plaintext, ad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand.Reader, out); err != nil {
		return nil, fmt.Errorf("keys: nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, ad), nil
}

// errOpen is the (cause-free) reason a sealed blob did not open.
var errOpen = errors.New("AES-GCM authentication failed")

// unseal reverses seal. The caller wipes the result.
func unseal(key, sealed, ad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errOpen
	}
	nonce, body := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, body, ad)
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("keys: AES-256 key of %d bytes", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return cipher.NewGCM(block)
}

// checkRecord runs the checks every sealer's Open starts with and returns the
// record's public key (of the record's algorithm).
func checkRecord(mode string, t tenant.ID, k store.SigningKey) (crypto.PublicKey, error) {
	if t.IsZero() {
		return nil, ErrNoTenant
	}
	if k.Mode != mode {
		return nil, fmt.Errorf("%w: kid %q is a %q record, not %q", ErrWrongMode, k.KID, k.Mode, mode)
	}
	return publicOf(k)
}

// rejected builds the error for a sealed key that did not open. cause must not
// carry key material (AES-GCM and KMS errors do not).
func rejected(mode string, t tenant.ID, kid, why string, cause error) error {
	return fmt.Errorf("%w: %s key %q for tenant %q: %s: %w", ErrRejected, mode, kid, t.String(), why, cause)
}

// openPrivate parses an unsealed PKCS#8 key, wipes it, and checks that it is
// the private half of pub (whose type checkRecord matched to the record's
// algorithm).
func openPrivate(mode string, t tenant.ID, kid string, pkcs8 []byte, pub crypto.PublicKey) (Key, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(pkcs8)
	clear(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("%w: %s key %q for tenant %q: private key does not parse", ErrBadRecord, mode, kid, t.String())
	}
	mismatch := fmt.Errorf("%w: %s key %q for tenant %q: private key does not match the public key", ErrBadRecord, mode, kid, t.String())
	switch priv := parsed.(type) {
	case *ecdsa.PrivateKey:
		if !priv.PublicKey.Equal(pub) {
			return nil, mismatch
		}
		return &privateKey{kid: kid, mode: mode, priv: priv}, nil
	case *rsa.PrivateKey:
		if !priv.PublicKey.Equal(pub) {
			return nil, mismatch
		}
		priv.Precompute()
		return &rsaPrivateKey{kid: kid, mode: mode, priv: priv}, nil
	}
	return nil, mismatch
}

// privateKey is an opened local or envelope key.
type privateKey struct {
	kid  string
	mode string
	priv *ecdsa.PrivateKey
}

func (k *privateKey) KID() string              { return k.kid }
func (k *privateKey) Algorithm() string        { return store.AlgES256 }
func (k *privateKey) Public() crypto.PublicKey { return &k.priv.PublicKey }

func (k *privateKey) Signer(_ context.Context, opts *jose.SignerOptions) (jose.Signer, error) {
	return jose.NewSigner(jose.SigningKey{
		Algorithm: jose.ES256,
		Key:       jose.JSONWebKey{Key: k.priv, KeyID: k.kid, Algorithm: string(jose.ES256), Use: "sig"},
	}, opts)
}

func (k *privateKey) SignJWS(_ context.Context, input []byte) ([]byte, error) {
	digest := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		return nil, fmt.Errorf("keys: %s key %q: sign: %w", k.mode, k.kid, err)
	}
	return joseSignature(r, s), nil
}

// String, Format and LogValue keep the private key out of every print and log.
func (k *privateKey) String() string { return describe(k.mode, k.kid) }

func (k *privateKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

func (k *privateKey) LogValue() slog.Value { return logValue(k.mode, k.kid) }

// rsaPrivateKey is an opened local or envelope RS256 key.
type rsaPrivateKey struct {
	kid  string
	mode string
	priv *rsa.PrivateKey
}

func (k *rsaPrivateKey) KID() string              { return k.kid }
func (k *rsaPrivateKey) Algorithm() string        { return store.AlgRS256 }
func (k *rsaPrivateKey) Public() crypto.PublicKey { return &k.priv.PublicKey }

func (k *rsaPrivateKey) Signer(_ context.Context, opts *jose.SignerOptions) (jose.Signer, error) {
	return jose.NewSigner(jose.SigningKey{
		Algorithm: jose.RS256,
		Key:       jose.JSONWebKey{Key: k.priv, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"},
	}, opts)
}

func (k *rsaPrivateKey) SignJWS(_ context.Context, input []byte) ([]byte, error) {
	digest := sha256.Sum256(input)
	sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, digest[:])
	if err != nil {
		return nil, fmt.Errorf("keys: %s key %q: sign: %w", k.mode, k.kid, err)
	}
	return sig, nil
}

func (k *rsaPrivateKey) String() string             { return describe(k.mode, k.kid) }
func (k *rsaPrivateKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }
func (k *rsaPrivateKey) LogValue() slog.Value       { return logValue(k.mode, k.kid) }

func describe(mode, kid string) string { return "keys.Key(" + mode + " " + kid + ")" }

func logValue(mode, kid string) slog.Value {
	return slog.GroupValue(slog.String("kid", kid), slog.String("mode", mode))
}

package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
	// New generates a P-256 key for tenant t and returns its record with KID,
	// Mode, PublicDER, CreatedAt and the mode's sealed material set. State and
	// the timestamps of later transitions are the caller's.
	New(ctx context.Context, t tenant.ID) (store.SigningKey, error)
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
	// Public is the key's public half.
	Public() *ecdsa.PublicKey
	// Signer returns an ES256 go-jose signer that puts the kid in the protected
	// header. In kms mode every Sign call is one KMS Sign call made with ctx,
	// so the signer belongs to the request that built it.
	Signer(ctx context.Context, opts *jose.SignerOptions) (jose.Signer, error)
	// SignES256 is the JWS ES256 signature (RFC 7518 §3.4: r||s, 32 bytes
	// each) of a JWS signing input. It is the access token's path: the
	// caller builds the compact JWS around it without a go-jose signer per
	// token. In kms mode it is one KMS Sign call made with ctx.
	SignES256(ctx context.Context, input []byte) ([]byte, error)
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

func generate() (generated, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return generated{}, fmt.Errorf("keys: generate P-256 key: %w", err)
	}
	public, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return generated{}, fmt.Errorf("keys: encode public key: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return generated{}, fmt.Errorf("keys: encode private key: %w", err)
	}
	return generated{kid: kidOfDER(public), public: public, pkcs8: pkcs8}, nil
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
// record's public key.
func checkRecord(mode string, t tenant.ID, k store.SigningKey) (*ecdsa.PublicKey, error) {
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
// the private half of pub.
func openPrivate(mode string, t tenant.ID, kid string, pkcs8 []byte, pub *ecdsa.PublicKey) (Key, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(pkcs8)
	clear(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("%w: %s key %q for tenant %q: private key does not parse", ErrBadRecord, mode, kid, t.String())
	}
	priv, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || !priv.PublicKey.Equal(pub) {
		return nil, fmt.Errorf("%w: %s key %q for tenant %q: private key does not match the public key", ErrBadRecord, mode, kid, t.String())
	}
	return &privateKey{kid: kid, mode: mode, priv: priv}, nil
}

// privateKey is an opened local or envelope key.
type privateKey struct {
	kid  string
	mode string
	priv *ecdsa.PrivateKey
}

func (k *privateKey) KID() string              { return k.kid }
func (k *privateKey) Public() *ecdsa.PublicKey { return &k.priv.PublicKey }

func (k *privateKey) Signer(_ context.Context, opts *jose.SignerOptions) (jose.Signer, error) {
	return jose.NewSigner(jose.SigningKey{
		Algorithm: jose.ES256,
		Key:       jose.JSONWebKey{Key: k.priv, KeyID: k.kid, Algorithm: string(jose.ES256), Use: "sig"},
	}, opts)
}

func (k *privateKey) SignES256(_ context.Context, input []byte) ([]byte, error) {
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

func describe(mode, kid string) string { return "keys.Key(" + mode + " " + kid + ")" }

func logValue(mode, kid string) slog.Value {
	return slog.GroupValue(slog.String("kid", kid), slog.String("mode", mode))
}

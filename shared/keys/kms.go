package keys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// maxRawMessage is the largest message KMS Sign accepts with MessageType RAW.
const maxRawMessage = 4096

// deletionWindowDays is the pending window for a KMS key abandoned by a failed New.
const deletionWindowDays = 7

// KMS is the kms key mode: the private key is created in KMS (ECC_NIST_P256,
// or RSA_2048 for RS256; SIGN_VERIFY) and never leaves it; every signature is one KMS Sign call. The
// record keeps the KMS key ARN and the public key, fetched once at creation.
type KMS struct {
	client KMSAPI
	now    func() time.Time
}

var _ Sealer = (*KMS)(nil)

// NewKMS returns the kms sealer. now stamps CreatedAt; nil means time.Now.
func NewKMS(client KMSAPI, now func() time.Time) (*KMS, error) {
	if client == nil {
		return nil, errors.New("keys: kms mode needs a KMS client")
	}
	return &KMS{client: client, now: clock(now)}, nil
}

// Mode returns store.ModeKMS.
func (m *KMS) Mode() string { return store.ModeKMS }

// New creates a KMS signing key tagged with the tenant and reads its public
// key (CreateKey + GetPublicKey, the only GetPublicKey this mode makes). When
// the public key cannot be read, the new KMS key is scheduled for deletion.
func (m *KMS) New(ctx context.Context, t tenant.ID) (store.SigningKey, error) {
	return m.NewKey(ctx, t, store.AlgES256)
}

// NewKey is New for a key of algorithm alg: ES256 (ECC_NIST_P256) or RS256
// (RSA_2048, signed with RSASSA_PKCS1_V1_5_SHA_256).
func (m *KMS) NewKey(ctx context.Context, t tenant.ID, alg string) (store.SigningKey, error) {
	if t.IsZero() {
		return store.SigningKey{}, ErrNoTenant
	}
	if err := checkAlg(alg); err != nil {
		return store.SigningKey{}, err
	}
	spec := types.KeySpecEccNistP256
	if alg == store.AlgRS256 {
		spec = types.KeySpecRsa2048
	}
	created, err := m.client.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec:     spec,
		KeyUsage:    types.KeyUsageTypeSignVerify,
		Description: aws.String("sharkauth " + alg + " signing key of tenant " + t.String()),
		Tags:        []types.Tag{{TagKey: aws.String("tenant"), TagValue: aws.String(t.String())}},
	})
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("keys: kms key for tenant %q: KMS CreateKey: %w", t.String(), kmsErr(err))
	}
	if created.KeyMetadata == nil || aws.ToString(created.KeyMetadata.KeyId) == "" {
		return store.SigningKey{}, fmt.Errorf("keys: kms key for tenant %q: KMS CreateKey returned no key id", t.String())
	}
	// The record keeps the ARN; the clean-up uses the bare id, which moto's
	// ScheduleKeyDeletion also understands.
	bareID := aws.ToString(created.KeyMetadata.KeyId)
	keyID := aws.ToString(created.KeyMetadata.Arn)
	if keyID == "" {
		keyID = bareID
	}
	pub, err := m.publicKey(ctx, keyID, alg)
	if err != nil {
		err = fmt.Errorf("keys: kms key for tenant %q: %w", t.String(), err)
		return store.SigningKey{}, errors.Join(err, m.abandon(ctx, bareID))
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		err = fmt.Errorf("keys: kms key for tenant %q: encode public key: %w", t.String(), err)
		return store.SigningKey{}, errors.Join(err, m.abandon(ctx, bareID))
	}
	return store.SigningKey{
		KID:       kidOfDER(der),
		Alg:       algField(alg),
		Mode:      store.ModeKMS,
		PublicDER: der,
		KMSKeyID:  keyID,
		CreatedAt: m.now(),
	}, nil
}

func (m *KMS) publicKey(ctx context.Context, keyID, alg string) (crypto.PublicKey, error) {
	out, err := m.client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("KMS GetPublicKey: %w", kmsErr(err))
	}
	parsed, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("KMS GetPublicKey: public key does not parse: %w", err)
	}
	switch pub := parsed.(type) {
	case *ecdsa.PublicKey:
		if alg == store.AlgES256 && pub.Curve == elliptic.P256() {
			return pub, nil
		}
	case *rsa.PublicKey:
		if alg == store.AlgRS256 && pub.N.BitLen() >= MinRSABits {
			return pub, nil
		}
	}
	if alg == store.AlgRS256 {
		return nil, fmt.Errorf("KMS GetPublicKey: public key is not RSA of at least %d bits", MinRSABits)
	}
	return nil, errors.New("KMS GetPublicKey: public key is not P-256")
}

// abandon schedules a half-created key for deletion. It runs even when ctx is
// already cancelled (that may be why New failed), but not for long.
func (m *KMS) abandon(ctx context.Context, keyID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := m.client.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{
		KeyId:               aws.String(keyID),
		PendingWindowInDays: aws.Int32(deletionWindowDays),
	})
	if err != nil {
		return fmt.Errorf("keys: schedule deletion of abandoned KMS key %s: %w", keyID, err)
	}
	return nil
}

// Discard schedules the KMS key of a record that was never stored for
// deletion.
func (m *KMS) Discard(ctx context.Context, k store.SigningKey) error {
	if k.Mode != store.ModeKMS || k.KMSKeyID == "" {
		return nil
	}
	id := k.KMSKeyID
	if i := strings.LastIndex(id, ":key/"); i >= 0 {
		id = id[i+len(":key/"):] // the bare id from the ARN
	}
	return m.abandon(ctx, id)
}

// Open checks the record and returns a key that signs through KMS. It makes
// no KMS call.
func (m *KMS) Open(_ context.Context, t tenant.ID, k store.SigningKey) (Key, error) {
	pub, err := checkRecord(store.ModeKMS, t, k)
	if err != nil {
		return nil, err
	}
	if k.KMSKeyID == "" {
		return nil, fmt.Errorf("%w: kms key %q has no KMS key id", ErrBadRecord, k.KID)
	}
	return &kmsKey{client: m.client, keyID: k.KMSKeyID, kid: k.KID, alg: jose.SignatureAlgorithm(k.Algorithm()), pub: pub}, nil
}

// kmsKey is an opened kms-mode key.
type kmsKey struct {
	client KMSAPI
	keyID  string
	kid    string
	alg    jose.SignatureAlgorithm // ES256 or RS256, as the record's public key
	pub    crypto.PublicKey
}

func (k *kmsKey) KID() string              { return k.kid }
func (k *kmsKey) Algorithm() string        { return string(k.alg) }
func (k *kmsKey) Public() crypto.PublicKey { return k.pub }

// Signer returns a go-jose signer whose every signature is one KMS Sign call
// made with ctx.
func (k *kmsKey) Signer(ctx context.Context, opts *jose.SignerOptions) (jose.Signer, error) {
	return jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: &kmsSigner{ctx: ctx, key: k}}, opts)
}

// SignJWS is one KMS Sign call made with ctx.
func (k *kmsKey) SignJWS(ctx context.Context, input []byte) ([]byte, error) {
	return (&kmsSigner{ctx: ctx, key: k}).SignPayload(input, k.alg)
}

func (k *kmsKey) String() string             { return describe(store.ModeKMS, k.kid) }
func (k *kmsKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }
func (k *kmsKey) LogValue() slog.Value       { return logValue(store.ModeKMS, k.kid) }

// kmsSigner is the go-jose OpaqueSigner over KMS Sign. It carries the context
// of the request that built it.
type kmsSigner struct {
	ctx context.Context
	key *kmsKey
}

var _ jose.OpaqueSigner = (*kmsSigner)(nil)

func (s *kmsSigner) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: s.key.pub, KeyID: s.key.kid, Algorithm: string(s.key.alg), Use: "sig"}
}

func (s *kmsSigner) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{s.key.alg} }

// SignPayload signs the JWS signing input with KMS over the RAW message (KMS
// hashes it), or over its SHA-256 DIGEST when the input is larger than KMS
// accepts raw: ECDSA_SHA_256 for ES256, whose DER signature is checked against
// the public key and converted to JOSE's fixed-width r||s; or
// RSASSA_PKCS1_V1_5_SHA_256 for RS256, whose signature is checked and used as
// it is.
func (s *kmsSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != s.key.alg {
		return nil, fmt.Errorf("keys: kms key %q signs %s, not %q", s.key.kid, s.key.alg, alg)
	}
	digest := sha256.Sum256(payload)
	spec := types.SigningAlgorithmSpecEcdsaSha256
	if alg == jose.RS256 {
		spec = types.SigningAlgorithmSpecRsassaPkcs1V15Sha256
	}
	in := &kms.SignInput{
		KeyId:            aws.String(s.key.keyID),
		SigningAlgorithm: spec,
		MessageType:      types.MessageTypeRaw,
		Message:          payload,
	}
	if len(payload) > maxRawMessage {
		in.MessageType, in.Message = types.MessageTypeDigest, digest[:]
	}
	out, err := s.key.client.Sign(s.ctx, in)
	if err != nil {
		return nil, fmt.Errorf("keys: kms key %q: KMS Sign: %w", s.key.kid, kmsErr(err))
	}
	if pub, ok := s.key.pub.(*rsa.PublicKey); ok {
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], out.Signature) != nil {
			return nil, fmt.Errorf("keys: kms key %q: KMS signature does not verify with the record's public key", s.key.kid)
		}
		return out.Signature, nil
	}
	pub, ok := s.key.pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("keys: kms key %q: no public key to check the signature", s.key.kid)
	}
	r, sv, err := parseDERSignature(out.Signature)
	if err != nil {
		return nil, fmt.Errorf("keys: kms key %q: KMS Sign: %w", s.key.kid, err)
	}
	if !ecdsa.Verify(pub, digest[:], r, sv) {
		return nil, fmt.Errorf("keys: kms key %q: KMS signature does not verify with the record's public key", s.key.kid)
	}
	return joseSignature(r, sv), nil
}

// p256ScalarLen is the width of r and of s in a JOSE ES256 signature.
const p256ScalarLen = 32

// parseDERSignature parses an ASN.1 DER ECDSA-Sig-Value (SEQUENCE { r
// INTEGER, s INTEGER }) with r and s in [1, 2^256).
func parseDERSignature(der []byte) (r, s *big.Int, err error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil {
		return nil, nil, errors.New("signature is not DER ECDSA")
	}
	if len(rest) != 0 {
		return nil, nil, errors.New("trailing data after DER ECDSA signature")
	}
	// encoding/asn1 ignores extra elements in a SEQUENCE; DER has one
	// encoding per value, so re-encoding must give the input back.
	if again, err := asn1.Marshal(sig); err != nil || !bytes.Equal(again, der) {
		return nil, nil, errors.New("signature is not DER ECDSA (not canonical)")
	}
	for _, v := range []*big.Int{sig.R, sig.S} {
		if v.Sign() <= 0 || v.BitLen() > 8*p256ScalarLen {
			return nil, nil, errors.New("DER ECDSA signature value out of range for P-256")
		}
	}
	return sig.R, sig.S, nil
}

// joseSignature encodes r and s as JOSE wants (RFC 7518 §3.4): each
// big-endian and left-padded with zeros to exactly 32 bytes.
func joseSignature(r, s *big.Int) []byte {
	out := make([]byte, 2*p256ScalarLen)
	r.FillBytes(out[:p256ScalarLen])
	s.FillBytes(out[p256ScalarLen:])
	return out
}

// derToJOSE converts a DER ECDSA P-256 signature to JOSE r||s.
func derToJOSE(der []byte) ([]byte, error) {
	r, s, err := parseDERSignature(der)
	if err != nil {
		return nil, err
	}
	return joseSignature(r, s), nil
}

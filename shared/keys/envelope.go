package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// KMSAPI is the part of the KMS client the envelope and kms modes use.
// *kms.Client implements it; tests wrap it to count or fail calls.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
	CreateKey(ctx context.Context, in *kms.CreateKeyInput, optFns ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
	ScheduleKeyDeletion(ctx context.Context, in *kms.ScheduleKeyDeletionInput, optFns ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error)
}

var _ KMSAPI = (*kms.Client)(nil)

// Envelope is the envelope key mode: each private key is sealed with
// AES-256-GCM under its own KMS data key, whose wrapped form is stored in the
// record. The data key is bound to the tenant and kid by the KMS encryption
// context {"tenant", "kid"}, and the sealed key by the additional data
// "tenant|kid", so only the owning tenant's Open succeeds.
type Envelope struct {
	client KMSAPI
	keyID  string
	now    func() time.Time
}

var _ Sealer = (*Envelope)(nil)

// NewEnvelope returns the envelope sealer that wraps data keys with the KMS
// key keyID (an id, ARN or alias). now stamps CreatedAt; nil means time.Now.
func NewEnvelope(client KMSAPI, keyID string, now func() time.Time) (*Envelope, error) {
	if client == nil {
		return nil, errors.New("keys: envelope mode needs a KMS client")
	}
	if keyID == "" {
		return nil, errors.New("keys: envelope mode needs a KMS key id")
	}
	return &Envelope{client: client, keyID: keyID, now: clock(now)}, nil
}

// Mode returns store.ModeEnvelope.
// Discard does nothing: the sealed key exists only in its record.
func (*Envelope) Discard(context.Context, store.SigningKey) error { return nil }

func (e *Envelope) Mode() string { return store.ModeEnvelope }

// encryptionContext binds a data key to its tenant and kid.
func encryptionContext(t tenant.ID, kid string) map[string]string {
	return map[string]string{"tenant": t.String(), "kid": kid}
}

// New generates a key for t and seals it under a fresh KMS data key (one
// GenerateDataKey call). The record keeps the wrapped data key and the ARN of
// the KMS key that wrapped it.
func (e *Envelope) New(ctx context.Context, t tenant.ID) (store.SigningKey, error) {
	return e.NewKey(ctx, t, store.AlgES256)
}

// NewKey is New for a key of algorithm alg (ES256 or RS256).
func (e *Envelope) NewKey(ctx context.Context, t tenant.ID, alg string) (store.SigningKey, error) {
	if t.IsZero() {
		return store.SigningKey{}, ErrNoTenant
	}
	g, err := generate(alg)
	if err != nil {
		return store.SigningKey{}, err
	}
	defer clear(g.pkcs8)
	out, err := e.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             aws.String(e.keyID),
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: encryptionContext(t, g.kid),
	})
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("keys: envelope key for tenant %q: KMS GenerateDataKey: %w", t.String(), kmsErr(err))
	}
	defer clear(out.Plaintext)
	if len(out.Plaintext) != 32 || len(out.CiphertextBlob) == 0 {
		return store.SigningKey{}, fmt.Errorf("keys: envelope key for tenant %q: KMS returned a malformed data key", t.String())
	}
	sealed, err := seal(out.Plaintext, g.pkcs8, additionalData(t, g.kid))
	if err != nil {
		return store.SigningKey{}, err
	}
	keyID := e.keyID
	if out.KeyId != nil && *out.KeyId != "" {
		keyID = *out.KeyId // the ARN: stays right if an alias moves
	}
	return store.SigningKey{
		KID:            g.kid,
		Alg:            algField(alg),
		Mode:           store.ModeEnvelope,
		PublicDER:      g.public,
		Sealed:         sealed,
		WrappedDataKey: out.CiphertextBlob,
		KMSKeyID:       keyID,
		CreatedAt:      e.now(),
	}, nil
}

// Open unwraps the record's data key (one KMS Decrypt with t's encryption
// context) and unseals the private key. Open it once per process through a
// Cache, not per request.
func (e *Envelope) Open(ctx context.Context, t tenant.ID, k store.SigningKey) (Key, error) {
	pub, err := checkRecord(store.ModeEnvelope, t, k)
	if err != nil {
		return nil, err
	}
	if len(k.WrappedDataKey) == 0 || k.KMSKeyID == "" {
		return nil, fmt.Errorf("%w: envelope key %q has no wrapped data key or KMS key id", ErrBadRecord, k.KID)
	}
	out, err := e.client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    k.WrappedDataKey,
		EncryptionContext: encryptionContext(t, k.KID),
		KeyId:             aws.String(k.KMSKeyID),
	})
	if err != nil {
		var badCiphertext *types.InvalidCiphertextException
		var wrongKey *types.IncorrectKeyException
		if errors.As(err, &badCiphertext) || errors.As(err, &wrongKey) {
			return nil, rejected(store.ModeEnvelope, t, k.KID, "KMS rejected the data key for this encryption context", err)
		}
		return nil, fmt.Errorf("keys: envelope key %q for tenant %q: KMS Decrypt: %w", k.KID, t.String(), kmsErr(err))
	}
	defer clear(out.Plaintext)
	if len(out.Plaintext) != 32 {
		return nil, fmt.Errorf("%w: envelope key %q: data key of %d bytes", ErrBadRecord, k.KID, len(out.Plaintext))
	}
	pkcs8, err := unseal(out.Plaintext, k.Sealed, additionalData(t, k.KID))
	if err != nil {
		return nil, rejected(store.ModeEnvelope, t, k.KID, "the data key and tenant|kid do not authenticate the sealed key", err)
	}
	return openPrivate(store.ModeEnvelope, t, k.KID, pkcs8, pub)
}

package keystest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sharkauth/serverless/shared/keys"
)

// WrapOnly is an in-memory KMS for envelope mode: GenerateDataKey and Decrypt
// of one symmetric key (any KeyId), the encryption context bound as
// additional data as KMS binds it. The other operations fail.
type WrapOnly struct {
	once sync.Once
	aead cipher.AEAD
}

var _ keys.KMSAPI = (*WrapOnly)(nil)

// KeyARN is the ARN WrapOnly reports as the wrapping key.
const KeyARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"

func (k *WrapOnly) init() {
	k.once.Do(func() {
		var key [32]byte
		rand.Read(key[:])
		b, _ := aes.NewCipher(key[:])
		k.aead, _ = cipher.NewGCM(b)
	})
}

func contextAD(ec map[string]string) []byte {
	b, _ := json.Marshal(ec) // sorted keys
	return b
}

func (k *WrapOnly) GenerateDataKey(_ context.Context, in *kms.GenerateDataKeyInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	k.init()
	plain := make([]byte, 32)
	rand.Read(plain)
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	blob := k.aead.Seal(nonce, nonce, plain, contextAD(in.EncryptionContext))
	return &kms.GenerateDataKeyOutput{Plaintext: plain, CiphertextBlob: blob, KeyId: aws.String(KeyARN)}, nil
}

func (k *WrapOnly) Decrypt(_ context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	k.init()
	n := k.aead.NonceSize()
	if len(in.CiphertextBlob) < n {
		return nil, &types.InvalidCiphertextException{Message: aws.String("short")}
	}
	plain, err := k.aead.Open(nil, in.CiphertextBlob[:n], in.CiphertextBlob[n:], contextAD(in.EncryptionContext))
	if err != nil {
		return nil, &types.InvalidCiphertextException{Message: aws.String("does not open")}
	}
	return &kms.DecryptOutput{Plaintext: bytes.Clone(plain), KeyId: aws.String(KeyARN)}, nil
}

var errUnsupported = errors.New("keystest: operation not supported by WrapOnly")

func (k *WrapOnly) CreateKey(context.Context, *kms.CreateKeyInput, ...func(*kms.Options)) (*kms.CreateKeyOutput, error) {
	return nil, errUnsupported
}

func (k *WrapOnly) GetPublicKey(context.Context, *kms.GetPublicKeyInput, ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	return nil, errUnsupported
}

func (k *WrapOnly) Sign(context.Context, *kms.SignInput, ...func(*kms.Options)) (*kms.SignOutput, error) {
	return nil, errUnsupported
}

func (k *WrapOnly) ScheduleKeyDeletion(context.Context, *kms.ScheduleKeyDeletionInput, ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error) {
	return nil, errUnsupported
}

// Faulty wraps a KMS and answers every call with Err while Down is set.
// Calls counts the calls that were answered with Err.
type Faulty struct {
	keys.KMSAPI
	mu    sync.Mutex
	down  bool
	Err   error
	Calls int
}

// SetDown starts (true) or ends (false) the outage.
func (f *Faulty) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *Faulty) fault() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		f.Calls++
		return f.Err
	}
	return nil
}

func (f *Faulty) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, o ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.KMSAPI.GenerateDataKey(ctx, in, o...)
}

func (f *Faulty) Decrypt(ctx context.Context, in *kms.DecryptInput, o ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.KMSAPI.Decrypt(ctx, in, o...)
}

func (f *Faulty) CreateKey(ctx context.Context, in *kms.CreateKeyInput, o ...func(*kms.Options)) (*kms.CreateKeyOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.KMSAPI.CreateKey(ctx, in, o...)
}

func (f *Faulty) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, o ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.KMSAPI.GetPublicKey(ctx, in, o...)
}

func (f *Faulty) Sign(ctx context.Context, in *kms.SignInput, o ...func(*kms.Options)) (*kms.SignOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.KMSAPI.Sign(ctx, in, o...)
}

func (f *Faulty) ScheduleKeyDeletion(ctx context.Context, in *kms.ScheduleKeyDeletionInput, o ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error) {
	if err := f.fault(); err != nil {
		return nil, err
	}
	return f.KMSAPI.ScheduleKeyDeletion(ctx, in, o...)
}

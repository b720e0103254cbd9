package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

var (
	tenantA = tenant.MustID("acme")
	tenantB = tenant.MustID("beta")
	// epoch is the tests' fixed "now".
	epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func fixedClock() time.Time { return epoch }

// testMasterKey is a deterministic 32-byte master key; seed varies it.
func testMasterKey(seed byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func newTestLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(testMasterKey(1), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// motoWrappingKey creates a symmetric KMS key on the emulator and returns its id.
func motoWrappingKey(t *testing.T, c KMSAPI) string {
	t.Helper()
	client, ok := c.(interface {
		CreateKey(context.Context, *kms.CreateKeyInput, ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
	})
	if !ok {
		t.Fatal("client cannot create keys")
	}
	out, err := client.CreateKey(t.Context(), &kms.CreateKeyInput{
		KeySpec:     types.KeySpecSymmetricDefault,
		KeyUsage:    types.KeyUsageTypeEncryptDecrypt,
		Description: aws.String("keys test wrapping key"),
	})
	if err != nil {
		t.Fatalf("create wrapping key: %v", err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

// spyKMS wraps a KMSAPI: it counts calls per operation, lets a hook fail or
// hold a call, and remembers copies of the data keys it handed out.
type spyKMS struct {
	KMSAPI

	mu       sync.Mutex
	calls    map[string]int
	hook     func(ctx context.Context, op string, call int) error
	dataKeys [][]byte // GenerateDataKey plaintexts as returned (the caller should wipe them)
	copies   [][]byte // copies of those plaintexts, taken before the caller saw them
	signs    []*kms.SignInput
	created  []string // ids of the keys CreateKey made
}

func newSpy(inner KMSAPI) *spyKMS { return &spyKMS{KMSAPI: inner, calls: map[string]int{}} }

func (s *spyKMS) enter(ctx context.Context, op string) error {
	s.mu.Lock()
	s.calls[op]++
	n, hook := s.calls[op], s.hook
	s.mu.Unlock()
	if hook != nil {
		return hook(ctx, op, n)
	}
	return nil
}

func (s *spyKMS) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func (s *spyKMS) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

func (s *spyKMS) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, o ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	if err := s.enter(ctx, "GenerateDataKey"); err != nil {
		return nil, err
	}
	out, err := s.KMSAPI.GenerateDataKey(ctx, in, o...)
	if err == nil {
		s.mu.Lock()
		s.dataKeys = append(s.dataKeys, out.Plaintext)
		s.copies = append(s.copies, append([]byte(nil), out.Plaintext...))
		s.mu.Unlock()
	}
	return out, err
}

func (s *spyKMS) Decrypt(ctx context.Context, in *kms.DecryptInput, o ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	if err := s.enter(ctx, "Decrypt"); err != nil {
		return nil, err
	}
	return s.KMSAPI.Decrypt(ctx, in, o...)
}

func (s *spyKMS) CreateKey(ctx context.Context, in *kms.CreateKeyInput, o ...func(*kms.Options)) (*kms.CreateKeyOutput, error) {
	if err := s.enter(ctx, "CreateKey"); err != nil {
		return nil, err
	}
	out, err := s.KMSAPI.CreateKey(ctx, in, o...)
	if err == nil {
		s.mu.Lock()
		s.created = append(s.created, aws.ToString(out.KeyMetadata.KeyId))
		s.mu.Unlock()
	}
	return out, err
}

func (s *spyKMS) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, o ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	if err := s.enter(ctx, "GetPublicKey"); err != nil {
		return nil, err
	}
	return s.KMSAPI.GetPublicKey(ctx, in, o...)
}

func (s *spyKMS) Sign(ctx context.Context, in *kms.SignInput, o ...func(*kms.Options)) (*kms.SignOutput, error) {
	if err := s.enter(ctx, "Sign"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.signs = append(s.signs, in)
	s.mu.Unlock()
	return s.KMSAPI.Sign(ctx, in, o...)
}

func (s *spyKMS) ScheduleKeyDeletion(ctx context.Context, in *kms.ScheduleKeyDeletionInput, o ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error) {
	if err := s.enter(ctx, "ScheduleKeyDeletion"); err != nil {
		return nil, err
	}
	return s.KMSAPI.ScheduleKeyDeletion(ctx, in, o...)
}

// localSignKMS is an in-process stand-in for KMS Sign over one P-256 key; it
// answers RAW and DIGEST the way KMS documents them. tamper, when set, edits
// the DER signature it returns.
type localSignKMS struct {
	KMSAPI // nil: only Sign is implemented

	priv   *ecdsa.PrivateKey
	tamper func(der []byte) []byte

	mu    sync.Mutex
	ins   []*kms.SignInput
	ctxs  []context.Context
	sigs  [][]byte
	other *ecdsa.PrivateKey // when set, signs with this key instead
}

func newLocalSignKMS(t *testing.T) *localSignKMS {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &localSignKMS{priv: priv}
}

func (f *localSignKMS) Sign(ctx context.Context, in *kms.SignInput, _ ...func(*kms.Options)) (*kms.SignOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var digest []byte
	switch in.MessageType {
	case types.MessageTypeRaw:
		if len(in.Message) > maxRawMessage {
			return nil, errorString("ValidationException: message too long for RAW")
		}
		sum := sha256.Sum256(in.Message)
		digest = sum[:]
	case types.MessageTypeDigest:
		digest = in.Message
	default:
		return nil, errorString("ValidationException: bad message type")
	}
	key := f.priv
	if f.other != nil {
		key = f.other
	}
	der, err := ecdsa.SignASN1(rand.Reader, key, digest)
	if err != nil {
		return nil, err
	}
	if f.tamper != nil {
		der = f.tamper(der)
	}
	f.mu.Lock()
	f.ins, f.ctxs, f.sigs = append(f.ins, in), append(f.ctxs, ctx), append(f.sigs, der)
	f.mu.Unlock()
	return &kms.SignOutput{Signature: der, KeyId: in.KeyId, SigningAlgorithm: in.SigningAlgorithm}, nil
}

// record returns a kms-mode record for f's key.
func (f *localSignKMS) record(t *testing.T) store.SigningKey {
	t.Helper()
	g := mustDER(t, &f.priv.PublicKey)
	return store.SigningKey{KID: kidOfDER(g), Mode: store.ModeKMS, PublicDER: g, KMSKeyID: "arn:aws:kms:us-east-1:000000000000:key/local", State: store.KeyCurrent}
}

func mustDER(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// testClaims are the claims of the small JWT every mode signs.
func testClaims() jwt.Claims {
	return jwt.Claims{
		Issuer:   "https://auth.example.com/t/acme",
		Subject:  "agent_123",
		Expiry:   jwt.NewNumericDate(epoch.Add(5 * time.Minute)),
		IssuedAt: jwt.NewNumericDate(epoch),
	}
}

// signJWT signs testClaims with k through go-jose.
func signJWT(ctx context.Context, t *testing.T, k Key) string {
	t.Helper()
	signer, err := k.Signer(ctx, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	tok, err := jwt.Signed(signer).Claims(testClaims()).Serialize()
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tok
}

// verifyWithJWKS verifies token against the JSON of a JWKS the way a resource
// server would: look the kid up, check the signature, validate the claims.
func verifyWithJWKS(t *testing.T, token string, jwksJSON []byte) (jwt.Claims, error) {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwksJSON, &set); err != nil {
		t.Fatalf("parse JWKS: %v", err)
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return jwt.Claims{}, err
	}
	if len(tok.Headers) != 1 {
		t.Fatalf("%d headers", len(tok.Headers))
	}
	found := set.Key(tok.Headers[0].KeyID)
	if len(found) != 1 {
		return jwt.Claims{}, errNoSuchKID
	}
	var c jwt.Claims
	if err := tok.Claims(found[0], &c); err != nil {
		return jwt.Claims{}, err
	}
	if err := c.Validate(jwt.Expected{Issuer: "https://auth.example.com/t/acme", Time: epoch.Add(time.Minute)}); err != nil {
		return jwt.Claims{}, err
	}
	return c, nil
}

var errNoSuchKID = errorString("kid not in JWKS")

type errorString string

func (e errorString) Error() string { return string(e) }

// leaks reports which secret (by name) appears in s, hex, base64 or decimal.
func leaks(s string, secrets map[string][]byte) []string {
	var found []string
	for name, b := range secrets {
		if len(b) == 0 {
			continue
		}
		for _, enc := range []string{
			hex.EncodeToString(b),
			base64.StdEncoding.EncodeToString(b),
			base64.RawURLEncoding.EncodeToString(b),
			bigDecimal(b),
		} {
			if strings.Contains(s, enc) {
				found = append(found, name)
				break
			}
		}
	}
	return found
}

// motoKMS returns a spy over a KMS client on the emulator.
func motoKMS(t *testing.T) *spyKMS {
	t.Helper()
	return newSpy(awstest.KMS(t))
}

// privateD returns the private scalar of an opened local or envelope key.
func privateD(t *testing.T, k Key) []byte {
	t.Helper()
	pk, ok := k.(*privateKey)
	if !ok {
		t.Fatalf("%T is not a private key", k)
	}
	return pk.priv.D.FillBytes(make([]byte, 32))
}

// mustOpen opens rec and fails the test on error.
func mustOpen(t *testing.T, s Sealer, tid tenant.ID, rec store.SigningKey) Key {
	t.Helper()
	k, err := s.Open(t.Context(), tid, rec)
	if err != nil {
		t.Fatalf("open %s: %v", rec.KID, err)
	}
	return k
}

func mustNew(t *testing.T, s Sealer, tid tenant.ID) store.SigningKey {
	t.Helper()
	rec, err := s.New(t.Context(), tid)
	if err != nil {
		t.Fatalf("new %s key: %v", s.Mode(), err)
	}
	return rec
}

func bigDecimal(b []byte) string { return new(big.Int).SetBytes(b).String() }

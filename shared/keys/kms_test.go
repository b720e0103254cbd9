package keys

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// derSig encodes r and s as an ASN.1 ECDSA-Sig-Value.
func derSig(t *testing.T, r, s *big.Int) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func hexInt(t *testing.T, h string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(h, 16)
	if !ok {
		t.Fatalf("bad hex %q", h)
	}
	return v
}

func TestDERToJOSE(t *testing.T) {
	one := big.NewInt(1)
	high := hexInt(t, "80000000000000000000000000000000000000000000000000000000000000ff") // DER needs 33 bytes
	full := hexInt(t, "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff01") // 32 bytes
	short := hexInt(t, "00000000abcdef")                                                  // leading zero bytes
	max := new(big.Int).Sub(new(big.Int).Lsh(one, 256), one)
	tooBig := new(big.Int).Lsh(one, 256)

	pad := func(v *big.Int) []byte { return v.FillBytes(make([]byte, 32)) }
	cat := func(a, b []byte) []byte { return append(append([]byte(nil), a...), b...) }

	tests := []struct {
		name    string
		der     []byte
		want    []byte
		wantErr bool
	}{
		{"both 32 bytes", derSig(t, full, full), cat(pad(full), pad(full)), false},
		{"r is a 33-byte DER integer", derSig(t, high, full), cat(pad(high), pad(full)), false},
		{"s is a 33-byte DER integer", derSig(t, full, high), cat(pad(full), pad(high)), false},
		{"r has leading zeros", derSig(t, short, full), cat(pad(short), pad(full)), false},
		{"s has leading zeros", derSig(t, full, short), cat(pad(full), pad(short)), false},
		{"r and s are 1", derSig(t, one, one), cat(pad(one), pad(one)), false},
		{"r and s are 2^256-1", derSig(t, max, max), cat(pad(max), pad(max)), false},
		{"r is zero", derSig(t, big.NewInt(0), one), nil, true},
		{"s is negative", derSig(t, one, big.NewInt(-5)), nil, true},
		{"r is 2^256", derSig(t, tooBig, one), nil, true},
		{"trailing data", append(derSig(t, one, one), 0), nil, true},
		{"three integers", mustASN1(t, struct{ R, S, X *big.Int }{one, one, one}), nil, true},
		{"one integer", mustASN1(t, struct{ R *big.Int }{one}), nil, true},
		{"non-minimal integer", []byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01}, nil, true},
		{"already r||s", cat(pad(full), pad(full)), nil, true},
		{"empty", nil, nil, true},
		{"truncated", derSig(t, full, full)[:20], nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := derToJOSE(tt.der)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error: %v", err, tt.wantErr)
			}
			if err == nil && (len(got) != 64 || !bytes.Equal(got, tt.want)) {
				t.Fatalf("got %x\nwant %x", got, tt.want)
			}
		})
	}
}

func mustASN1(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKMSSignaturePadding signs through go-jose with a KMS stand-in until it
// has seen r and s both shorter than 32 bytes and longer (33-byte DER
// integers), and checks that every token verifies with the JWKS.
func TestKMSSignaturePadding(t *testing.T) {
	fake := newLocalSignKMS(t)
	m, err := NewKMS(fake, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	rec := fake.record(t)
	k := mustOpen(t, m, tenantA, rec)
	jwks, _ := json.Marshal(PublicJWKS([]store.SigningKey{rec}, epoch))

	seen := map[string]bool{}
	want := []string{"r short", "s short", "r 33-byte DER", "s 33-byte DER"}
	for i := 0; i < 20000 && len(seen) < len(want); i++ {
		token := signJWT(t.Context(), t, k)
		fake.mu.Lock()
		der := fake.sigs[len(fake.sigs)-1]
		fake.mu.Unlock()
		r, s, err := parseDERSignature(der)
		if err != nil {
			t.Fatal(err)
		}
		var cases []string
		for name, v := range map[string]*big.Int{"r": r, "s": s} {
			switch {
			case v.BitLen() <= 248:
				cases = append(cases, name+" short")
			case v.BitLen() == 256:
				cases = append(cases, name+" 33-byte DER")
			}
		}
		fresh := false
		for _, c := range cases {
			if !seen[c] {
				seen[c], fresh = true, true
			}
		}
		if !fresh {
			continue
		}
		if _, err := verifyWithJWKS(t, token, jwks); err != nil {
			t.Fatalf("token with %v does not verify: %v", cases, err)
		}
		parts := strings.Split(token, ".")
		if sig, _ := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256}); sig == nil || len(sig.Signatures[0].Signature) != 64 || len(parts) != 3 {
			t.Fatalf("signature is not 64 bytes of r||s")
		}
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("never saw a signature with %s", w)
		}
	}
}

func TestNewKMS(t *testing.T) {
	if _, err := NewKMS(nil, fixedClock); err == nil {
		t.Fatal("no error for a nil client")
	}
	m, err := NewKMS(newSpy(nil), nil)
	if err != nil || m.Mode() != store.ModeKMS {
		t.Fatalf("%v, %v", m, err)
	}
}

// pubKMS answers GetPublicKey with a fixed DER.
type pubKMS struct {
	*spyKMS
	der []byte
}

func (p *pubKMS) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, o ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	if _, err := p.spyKMS.GetPublicKey(ctx, in, o...); err != nil {
		return nil, err
	}
	return &kms.GetPublicKeyOutput{KeyId: in.KeyId, PublicKey: p.der}, nil
}

func TestKMSNewFailures(t *testing.T) {
	client := awstest.KMS(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)

	failOn := func(ops ...string) func(context.Context, string, int) error {
		return func(_ context.Context, op string, _ int) error {
			for _, o := range ops {
				if o == op {
					return errBoom
				}
			}
			return nil
		}
	}
	tests := []struct {
		name        string
		tenant      tenant.ID
		hook        func(context.Context, string, int) error
		der         []byte // GetPublicKey's answer, when set
		wantMsg     string
		deleteCalls int
		wantPending bool // the half-made KMS key ends pending deletion
	}{
		{"zero tenant", tenant.ID{}, nil, nil, ErrNoTenant.Error(), 0, false},
		{"CreateKey fails", tenantA, failOn("CreateKey"), nil, "CreateKey", 0, false},
		{"GetPublicKey fails", tenantA, failOn("GetPublicKey"), nil, "GetPublicKey", 1, true},
		{"GetPublicKey and the clean-up fail", tenantA, failOn("GetPublicKey", "ScheduleKeyDeletion"), nil, "schedule deletion", 1, false},
		{"public key is P-384", tenantA, nil, mustDER(t, &p384.PublicKey), "not P-256", 1, true},
		{"public key is garbage", tenantA, nil, []byte("garbage"), "does not parse", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spy := newSpy(client)
			spy.hook = tt.hook
			var api KMSAPI = spy
			if tt.der != nil {
				api = &pubKMS{spyKMS: spy, der: tt.der}
			}
			m, _ := NewKMS(api, fixedClock)
			rec, err := m.New(t.Context(), tt.tenant)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err %v, want one saying %q", err, tt.wantMsg)
			}
			if rec.KID != "" || rec.KMSKeyID != "" {
				t.Fatal("a record came back with the error")
			}
			if got := spy.count("ScheduleKeyDeletion"); got != tt.deleteCalls {
				t.Fatalf("%d ScheduleKeyDeletion calls, want %d", got, tt.deleteCalls)
			}
			if !tt.wantPending {
				return
			}
			if len(spy.created) != 1 {
				t.Fatalf("%d keys created", len(spy.created))
			}
			d, err := client.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(spy.created[0])})
			if err != nil {
				t.Fatal(err)
			}
			if d.KeyMetadata.KeyState != types.KeyStatePendingDeletion {
				t.Fatalf("the abandoned KMS key is %s, not pending deletion", d.KeyMetadata.KeyState)
			}
		})
	}
}

func TestKMSOpen(t *testing.T) {
	fake := newLocalSignKMS(t)
	spy := newSpy(fake)
	m, _ := NewKMS(spy, fixedClock)
	rec := fake.record(t)
	edit := func(f func(*store.SigningKey)) store.SigningKey { k := rec; f(&k); return k }
	other := newLocalSignKMS(t).record(t)

	tests := []struct {
		name    string
		tenant  tenant.ID
		rec     store.SigningKey
		wantErr error
	}{
		{"opens", tenantA, rec, nil},
		{"no KMS key id", tenantA, edit(func(k *store.SigningKey) { k.KMSKeyID = "" }), ErrBadRecord},
		{"kid of another key", tenantA, edit(func(k *store.SigningKey) { k.KID = other.KID }), ErrBadRecord},
		{"public key not DER", tenantA, edit(func(k *store.SigningKey) { k.PublicDER = []byte{0x30} }), ErrBadRecord},
		{"envelope record", tenantA, edit(func(k *store.SigningKey) { k.Mode = store.ModeEnvelope }), ErrWrongMode},
		{"zero tenant", tenant.ID{}, rec, ErrNoTenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := m.Open(t.Context(), tt.tenant, tt.rec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if (err == nil) != (k != nil) {
				t.Fatalf("key %v with err %v", k, err)
			}
			if spy.total() != 0 {
				t.Fatalf("Open made KMS calls: %v", spy.calls)
			}
		})
	}
}

type ctxMarker struct{}

func TestKMSSigner(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *localSignKMS)
		payload []byte // signed with SignPayload directly when set
		alg     jose.SignatureAlgorithm
		wantMsg string // "" = success
		wantMT  types.MessageType
	}{
		{"small JWT signs RAW", nil, nil, jose.ES256, "", types.MessageTypeRaw},
		{"input of 4096 bytes signs RAW", nil, bytes.Repeat([]byte("a"), maxRawMessage), jose.ES256, "", types.MessageTypeRaw},
		{"larger input signs its DIGEST", nil, bytes.Repeat([]byte("a"), maxRawMessage+1), jose.ES256, "", types.MessageTypeDigest},
		{"ES384 refused", nil, []byte("x.y"), jose.ES384, "signs ES256", ""},
		{"KMS signs with another key", func(f *localSignKMS) { f.other, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }, nil, jose.ES256, "does not verify", ""},
		{"KMS returns r||s", func(f *localSignKMS) {
			f.tamper = func(der []byte) []byte { j, _ := derToJOSE(der); return j }
		}, nil, jose.ES256, "not DER", ""},
		{"KMS returns a corrupt signature", func(f *localSignKMS) {
			f.tamper = func(der []byte) []byte { der[len(der)-1] ^= 1; return der }
		}, nil, jose.ES256, "does not verify", ""},
		{"KMS returns trailing bytes", func(f *localSignKMS) {
			f.tamper = func(der []byte) []byte { return append(der, 0) }
		}, nil, jose.ES256, "trailing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newLocalSignKMS(t)
			if tt.setup != nil {
				tt.setup(fake)
			}
			m, _ := NewKMS(fake, fixedClock)
			rec := fake.record(t)
			k := mustOpen(t, m, tenantA, rec)
			ctx := context.WithValue(t.Context(), ctxMarker{}, "request-1")

			var err error
			if tt.payload != nil {
				s := &kmsSigner{ctx: ctx, key: k.(*kmsKey)}
				var sig []byte
				sig, err = s.SignPayload(tt.payload, tt.alg)
				if err == nil {
					digest := sha256.Sum256(tt.payload)
					if len(sig) != 64 || !ecdsa.Verify(&fake.priv.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
						t.Fatal("r||s does not verify")
					}
				}
			} else {
				signer, serr := k.Signer(ctx, nil)
				if serr != nil {
					t.Fatal(serr)
				}
				var token string
				token, err = jwt.Signed(signer).Claims(testClaims()).Serialize()
				if err == nil {
					jwks, _ := json.Marshal(PublicJWKS([]store.SigningKey{rec}, epoch))
					if _, verr := verifyWithJWKS(t, token, jwks); verr != nil {
						t.Fatal(verr)
					}
				}
			}
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err %v, want one saying %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.ins) != 1 {
				t.Fatalf("%d Sign calls", len(fake.ins))
			}
			in := fake.ins[0]
			if in.MessageType != tt.wantMT || in.SigningAlgorithm != types.SigningAlgorithmSpecEcdsaSha256 || aws.ToString(in.KeyId) != rec.KMSKeyID {
				t.Fatalf("Sign(%s, %s, %s)", aws.ToString(in.KeyId), in.MessageType, in.SigningAlgorithm)
			}
			if in.MessageType == types.MessageTypeDigest && len(in.Message) != sha256.Size {
				t.Fatalf("DIGEST message of %d bytes", len(in.Message))
			}
			if fake.ctxs[0].Value(ctxMarker{}) != "request-1" {
				t.Fatal("KMS Sign did not get the context the signer was built with")
			}
		})
	}

	t.Run("jose refuses ES384 for the opaque signer", func(t *testing.T) {
		fake := newLocalSignKMS(t)
		m, _ := NewKMS(fake, fixedClock)
		k := mustOpen(t, m, tenantA, fake.record(t))
		_, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: &kmsSigner{ctx: t.Context(), key: k.(*kmsKey)}}, nil)
		if !errors.Is(err, jose.ErrUnsupportedAlgorithm) {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("the opaque signer's public JWK is public", func(t *testing.T) {
		fake := newLocalSignKMS(t)
		m, _ := NewKMS(fake, fixedClock)
		rec := fake.record(t)
		k := mustOpen(t, m, tenantA, rec)
		jwk := (&kmsSigner{ctx: t.Context(), key: k.(*kmsKey)}).Public()
		if !jwk.IsPublic() || jwk.KeyID != rec.KID || jwk.Algorithm != "ES256" {
			t.Fatalf("%+v", jwk)
		}
	})
}

// FuzzDERToJOSE: whatever KMS answers, an accepted signature is canonical DER
// of two integers in [1, 2^256), and the output is exactly those two integers,
// each left-padded to 32 bytes.
func FuzzDERToJOSE(f *testing.F) {
	one := big.NewInt(1)
	high := new(big.Int).Lsh(one, 255)
	for _, seed := range [][]byte{
		mustASN1(f, struct{ R, S *big.Int }{one, one}),
		mustASN1(f, struct{ R, S *big.Int }{high, one}),
		mustASN1(f, struct{ R, S *big.Int }{one, new(big.Int).Lsh(one, 256)}),
		mustASN1(f, struct{ R, S, X *big.Int }{one, one, one}),
		{0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01},
		{0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00},
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		out, err := derToJOSE(der)
		if err != nil {
			return
		}
		if len(out) != 64 {
			t.Fatalf("%d bytes", len(out))
		}
		r, s := new(big.Int).SetBytes(out[:32]), new(big.Int).SetBytes(out[32:])
		if r.Sign() == 0 || s.Sign() == 0 {
			t.Fatal("accepted a zero value")
		}
		if again := mustASN1(t, struct{ R, S *big.Int }{r, s}); !bytes.Equal(again, der) {
			t.Fatalf("accepted non-canonical %x (canonical %x)", der, again)
		}
	})
}

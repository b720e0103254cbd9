package keys

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func TestNewEnvelope(t *testing.T) {
	spy := newSpy(nil)
	tests := []struct {
		name    string
		client  KMSAPI
		keyID   string
		wantErr bool
	}{
		{"client and key", spy, "alias/shark", false},
		{"no client", nil, "alias/shark", true},
		{"no key id", spy, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := NewEnvelope(tt.client, tt.keyID, fixedClock)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error: %v", err, tt.wantErr)
			}
			if err == nil && e.Mode() != store.ModeEnvelope {
				t.Fatalf("mode %q", e.Mode())
			}
		})
	}
}

func TestEnvelopeNew(t *testing.T) {
	spy := motoKMS(t)
	wrap := motoWrappingKey(t, spy)
	e, err := NewEnvelope(spy, wrap, fixedClock)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("one GenerateDataKey, data key wiped", func(t *testing.T) {
		before := spy.count("GenerateDataKey")
		rec := mustNew(t, e, tenantA)
		if got := spy.count("GenerateDataKey") - before; got != 1 {
			t.Fatalf("%d GenerateDataKey calls", got)
		}
		if len(rec.WrappedDataKey) == 0 || !strings.Contains(rec.KMSKeyID, wrap) || !rec.CreatedAt.Equal(epoch) {
			t.Fatalf("record: wrapped %d bytes, KMS key %q, created %v", len(rec.WrappedDataKey), rec.KMSKeyID, rec.CreatedAt)
		}
		spy.mu.Lock()
		handed := spy.dataKeys[len(spy.dataKeys)-1]
		plain := spy.copies[len(spy.copies)-1]
		spy.mu.Unlock()
		if !bytes.Equal(handed, make([]byte, 32)) {
			t.Fatal("the plaintext data key was not wiped after sealing")
		}
		if bytes.Contains(rec.Sealed, plain) || bytes.Contains(rec.WrappedDataKey, plain) {
			t.Fatal("the record contains the plaintext data key")
		}
	})

	failWith := func(op string, err error) func(context.Context, string, int) error {
		return func(_ context.Context, got string, _ int) error {
			if got == op {
				return err
			}
			return nil
		}
	}
	tests := []struct {
		name    string
		tenant  tenant.ID
		hook    func(context.Context, string, int) error
		wantErr error
		wantMsg string
	}{
		{"zero tenant", tenant.ID{}, nil, ErrNoTenant, ""},
		{"GenerateDataKey fails", tenantA, failWith("GenerateDataKey", errBoom), errBoom, "GenerateDataKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spy.mu.Lock()
			spy.hook = tt.hook
			spy.mu.Unlock()
			t.Cleanup(func() { spy.mu.Lock(); spy.hook = nil; spy.mu.Unlock() })
			rec, err := e.New(t.Context(), tt.tenant)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err %v, want %v saying %q", err, tt.wantErr, tt.wantMsg)
			}
			if rec.KID != "" || rec.Sealed != nil {
				t.Fatal("a record came back with the error")
			}
		})
	}

	t.Run("KMS returns a short data key", func(t *testing.T) {
		short, _ := NewEnvelope(&shortDataKeyKMS{spy}, wrap, fixedClock)
		rec, err := short.New(t.Context(), tenantA)
		if err == nil || !strings.Contains(err.Error(), "malformed data key") || rec.KID != "" {
			t.Fatalf("%+v, %v", rec, err)
		}
	})

	t.Run("unknown KMS key", func(t *testing.T) {
		bad, _ := NewEnvelope(spy, "alias/does-not-exist", fixedClock)
		if _, err := bad.New(t.Context(), tenantA); err == nil {
			t.Fatal("sealed under a KMS key that does not exist")
		}
	})
}

var errBoom = errors.New("boom (injected)")

func TestEnvelopeOpenRejects(t *testing.T) {
	spy := motoKMS(t)
	wrap := motoWrappingKey(t, spy)
	otherWrap := motoWrappingKey(t, spy)
	e, err := NewEnvelope(spy, wrap, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	rec := mustNew(t, e, tenantA)
	other := mustNew(t, e, tenantA)
	spy.mu.Lock()
	dataKey := spy.copies[0]
	spy.mu.Unlock()
	d := privateD(t, mustOpen(t, e, tenantA, rec))
	secrets := map[string][]byte{"private key": d, "data key": dataKey, "sealed key": rec.Sealed, "wrapped data key": rec.WrappedDataKey}

	edit := func(f func(*store.SigningKey)) store.SigningKey {
		k := rec
		k.Sealed, k.WrappedDataKey = bytes.Clone(rec.Sealed), bytes.Clone(rec.WrappedDataKey)
		f(&k)
		return k
	}

	tests := []struct {
		name    string
		tenant  tenant.ID
		rec     store.SigningKey
		wantErr error // errAny: some error, not necessarily a sentinel
		wantMsg string
	}{
		{"another tenant", tenantB, rec, ErrRejected, `KMS rejected the data key for this encryption context`},
		{"another tenant's name in the error", tenantB, rec, ErrRejected, `for tenant "beta"`},
		{"kid and public key of another key", tenantA, edit(func(k *store.SigningKey) {
			k.KID, k.PublicDER = other.KID, other.PublicDER
		}), ErrRejected, "encryption context"},
		{"wrapped data key of another key", tenantA, edit(func(k *store.SigningKey) { k.WrappedDataKey = other.WrappedDataKey }), ErrRejected, "encryption context"},
		{"tampered wrapped data key", tenantA, edit(func(k *store.SigningKey) { k.WrappedDataKey[len(k.WrappedDataKey)-1] ^= 1 }), ErrRejected, ""},
		{"tampered sealed key", tenantA, edit(func(k *store.SigningKey) { k.Sealed[len(k.Sealed)/2] ^= 1 }), ErrRejected, "AES-GCM"},
		{"sealed key of another kid", tenantA, edit(func(k *store.SigningKey) { k.Sealed = other.Sealed }), ErrRejected, "AES-GCM"},
		{"truncated sealed key", tenantA, edit(func(k *store.SigningKey) { k.Sealed = k.Sealed[:10] }), ErrRejected, ""},
		{"wrapped by another KMS key", tenantA, edit(func(k *store.SigningKey) { k.KMSKeyID = otherWrap }), errAny, `tenant "acme"`},
		{"no wrapped data key", tenantA, edit(func(k *store.SigningKey) { k.WrappedDataKey = nil }), ErrBadRecord, "no wrapped data key"},
		{"no KMS key id", tenantA, edit(func(k *store.SigningKey) { k.KMSKeyID = "" }), ErrBadRecord, "KMS key id"},
		{"public key of another key", tenantA, edit(func(k *store.SigningKey) { k.PublicDER = other.PublicDER }), ErrBadRecord, ""},
		{"local record", tenantA, edit(func(k *store.SigningKey) { k.Mode = store.ModeLocal }), ErrWrongMode, ""},
		{"zero tenant", tenant.ID{}, rec, ErrNoTenant, ""},
		{"the record itself opens", tenantA, rec, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := e.Open(t.Context(), tt.tenant, tt.rec)
			switch {
			case tt.wantErr == errAny && err == nil:
				t.Fatal("no error")
			case tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			case err == nil:
				if k.KID() != rec.KID || !bytes.Equal(privateD(t, k), d) {
					t.Fatal("opened another key")
				}
				return
			}
			if k != nil {
				t.Fatal("a key came back with the error")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not say %q", err, tt.wantMsg)
			}
			if l := leaks(err.Error(), secrets); l != nil {
				t.Fatalf("error leaks the %v: %v", l, err)
			}
		})
	}

	t.Run("KMS unavailable", func(t *testing.T) {
		spy.mu.Lock()
		spy.hook = func(_ context.Context, op string, _ int) error {
			if op == "Decrypt" {
				return errBoom
			}
			return nil
		}
		spy.mu.Unlock()
		t.Cleanup(func() { spy.mu.Lock(); spy.hook = nil; spy.mu.Unlock() })
		_, err := e.Open(t.Context(), tenantA, rec)
		if !errors.Is(err, errBoom) || errors.Is(err, ErrRejected) {
			t.Fatalf("err %v: want the KMS failure, not a rejection", err)
		}
	})
}

// shortDataKeyKMS hands out 16-byte data keys.
type shortDataKeyKMS struct{ *spyKMS }

func (s *shortDataKeyKMS) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, o ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	out, err := s.spyKMS.GenerateDataKey(ctx, in, o...)
	if err == nil {
		out.Plaintext = out.Plaintext[:16]
	}
	return out, err
}

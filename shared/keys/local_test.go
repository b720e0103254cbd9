package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func TestNewLocal(t *testing.T) {
	tests := []struct {
		name    string
		key     []byte
		wantErr error
	}{
		{"32 bytes", testMasterKey(1), nil},
		{"nil", nil, ErrMasterKey},
		{"16 bytes", make([]byte, 16), ErrMasterKey},
		{"33 bytes", make([]byte, 33), ErrMasterKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLocal(tt.key, fixedClock)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err == nil && l.Mode() != store.ModeLocal {
				t.Fatalf("mode %q", l.Mode())
			}
		})
	}

	t.Run("master key is copied", func(t *testing.T) {
		master := testMasterKey(7)
		l, err := NewLocal(master, fixedClock)
		if err != nil {
			t.Fatal(err)
		}
		rec := mustNew(t, l, tenantA)
		clear(master) // the caller wipes its copy
		mustOpen(t, l, tenantA, rec)
	})
}

func TestLocalNew(t *testing.T) {
	l := newTestLocal(t)
	a, b := mustNew(t, l, tenantA), mustNew(t, l, tenantA)
	if a.KID == b.KID || bytes.Equal(a.Sealed, b.Sealed) {
		t.Fatal("two keys share a kid or a sealed key")
	}
	if !a.CreatedAt.Equal(epoch) {
		t.Fatalf("CreatedAt %v, want the injected clock's %v", a.CreatedAt, epoch)
	}
	if len(a.WrappedDataKey) != 0 || a.KMSKeyID != "" {
		t.Fatal("local record carries KMS fields")
	}
	// nonce (12) + PKCS#8 + tag (16); the private key is not in the clear.
	d := privateD(t, mustOpen(t, l, tenantA, a))
	if bytes.Contains(a.Sealed, d) {
		t.Fatal("the sealed key contains the private scalar")
	}
	if _, err := l.New(t.Context(), tenant.ID{}); !errors.Is(err, ErrNoTenant) {
		t.Fatalf("zero tenant: %v", err)
	}
}

func TestLocalOpenRejects(t *testing.T) {
	l := newTestLocal(t)
	rec := mustNew(t, l, tenantA)
	other := mustNew(t, l, tenantA)
	d := privateD(t, mustOpen(t, l, tenantA, rec))
	otherMaster, err := NewLocal(testMasterKey(2), fixedClock)
	if err != nil {
		t.Fatal(err)
	}

	// sealAs seals arbitrary PKCS#8 bytes the way Local does, for tenant A
	// and rec's kid, so only the content is wrong.
	sealAs := func(pkcs8 []byte) []byte {
		sealed, err := seal(testMasterKey(1), pkcs8, additionalData(tenantA, rec.KID))
		if err != nil {
			t.Fatal(err)
		}
		return sealed
	}
	otherP256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherPKCS8, _ := x509.MarshalPKCS8PrivateKey(otherP256)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER := mustDER(t, &p384.PublicKey)

	edit := func(f func(*store.SigningKey)) store.SigningKey {
		k := rec
		k.Sealed = bytes.Clone(rec.Sealed)
		f(&k)
		return k
	}
	flip := func(i int) store.SigningKey {
		return edit(func(k *store.SigningKey) {
			if i < 0 {
				i += len(k.Sealed)
			}
			k.Sealed[i] ^= 0x01
		})
	}

	tests := []struct {
		name    string
		sealer  Sealer
		tenant  tenant.ID
		rec     store.SigningKey
		wantErr error
		wantMsg string
	}{
		{"another tenant", l, tenantB, rec, ErrRejected, `tenant "beta"`},
		{"another master key", otherMaster, tenantA, rec, ErrRejected, "master key"},
		{"tampered nonce", l, tenantA, flip(0), ErrRejected, "AES-GCM"},
		{"tampered ciphertext", l, tenantA, flip(20), ErrRejected, "AES-GCM"},
		{"tampered tag", l, tenantA, flip(-1), ErrRejected, "AES-GCM"},
		{"truncated sealed key", l, tenantA, edit(func(k *store.SigningKey) { k.Sealed = k.Sealed[:27] }), ErrRejected, ""},
		{"no sealed key", l, tenantA, edit(func(k *store.SigningKey) { k.Sealed = nil }), ErrRejected, ""},
		{"sealed key of another kid", l, tenantA, edit(func(k *store.SigningKey) { k.Sealed = other.Sealed }), ErrRejected, ""},
		{"kid and public key of another key", l, tenantA, edit(func(k *store.SigningKey) {
			k.KID, k.PublicDER = other.KID, other.PublicDER
		}), ErrRejected, ""},
		{"public key of another key", l, tenantA, edit(func(k *store.SigningKey) { k.PublicDER = other.PublicDER }), ErrBadRecord, "does not match"},
		{"kid of another key", l, tenantA, edit(func(k *store.SigningKey) { k.KID = other.KID }), ErrBadRecord, "does not match"},
		{"no kid", l, tenantA, edit(func(k *store.SigningKey) { k.KID = "" }), ErrBadRecord, "no kid"},
		{"public key not DER", l, tenantA, edit(func(k *store.SigningKey) { k.PublicDER = []byte("nope") }), ErrBadRecord, "does not parse"},
		{"P-384 public key", l, tenantA, edit(func(k *store.SigningKey) { k.PublicDER, k.KID = p384DER, kidOfDER(p384DER) }), ErrBadRecord, "not P-256"},
		{"sealed key is another P-256 key", l, tenantA, edit(func(k *store.SigningKey) { k.Sealed = sealAs(otherPKCS8) }), ErrBadRecord, "does not match the public key"},
		{"sealed key is Ed25519", l, tenantA, edit(func(k *store.SigningKey) { k.Sealed = sealAs(edPKCS8) }), ErrBadRecord, "does not match the public key"},
		{"sealed key is not PKCS#8", l, tenantA, edit(func(k *store.SigningKey) { k.Sealed = sealAs([]byte("garbage")) }), ErrBadRecord, "does not parse"},
		{"envelope record", l, tenantA, edit(func(k *store.SigningKey) { k.Mode = store.ModeEnvelope }), ErrWrongMode, ""},
		{"zero tenant", l, tenant.ID{}, rec, ErrNoTenant, ""},
		{"the record itself opens", l, tenantA, rec, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := tt.sealer.Open(t.Context(), tt.tenant, tt.rec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if k.KID() != tt.rec.KID {
					t.Fatalf("kid %q", k.KID())
				}
				return
			}
			if k != nil {
				t.Fatal("a key came back with the error")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not say %q", err, tt.wantMsg)
			}
			if l := leaks(err.Error(), map[string][]byte{"private key": d, "sealed key": rec.Sealed, "master key": testMasterKey(1)}); l != nil {
				t.Fatalf("error leaks the %v: %v", l, err)
			}
		})
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	write := func(t *testing.T, b []byte) string {
		p := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		want    []byte // nil: any fresh key
		wantErr error
	}{
		{"absent: created", func(t *testing.T) string { return filepath.Join(t.TempDir(), "master.key") }, nil, nil},
		{"absent, in a new directory", func(t *testing.T) string { return filepath.Join(t.TempDir(), "data", "keys", "master.key") }, nil, nil},
		{"present: read", func(t *testing.T) string { return write(t, testMasterKey(9)) }, testMasterKey(9), nil},
		{"31 bytes", func(t *testing.T) string { return write(t, make([]byte, 31)) }, nil, ErrMasterKey},
		{"33 bytes", func(t *testing.T) string { return write(t, make([]byte, 33)) }, nil, ErrMasterKey},
		{"empty file", func(t *testing.T) string { return write(t, nil) }, nil, ErrMasterKey},
		{"a directory", func(t *testing.T) string { return t.TempDir() }, nil, errAny},
		{"parent is a file", func(t *testing.T) string { return filepath.Join(write(t, testMasterKey(1)), "master.key") }, nil, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			key, err := LoadOrCreateMasterKey(path)
			switch {
			case tt.wantErr == errAny:
				if err == nil {
					t.Fatal("no error")
				}
				return
			case !errors.Is(err, tt.wantErr):
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			case err != nil:
				if key != nil {
					t.Fatal("a key came back with the error")
				}
				return
			}
			if len(key) != 32 || (tt.want != nil && !bytes.Equal(key, tt.want)) {
				t.Fatalf("key %x", key)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil && fi.Mode().Perm() != 0o600 {
				t.Fatalf("created with mode %v, want 0600", fi.Mode().Perm())
			}
			again, err := LoadOrCreateMasterKey(path)
			if err != nil || !bytes.Equal(again, key) {
				t.Fatalf("second load: %x, %v", again, err)
			}
			if _, err := NewLocal(key, fixedClock); err != nil {
				t.Fatal(err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
				t.Fatalf("directory holds %d files, want only the key", len(entries))
			}
		})
	}

	t.Run("concurrent first calls agree", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "master.key")
		const n = 16
		keys := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { keys[i], errs[i] = LoadOrCreateMasterKey(path) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("call %d: %x, %v; call 0: %x", i, keys[i], errs[i], keys[0])
			}
		}
	})
}

// errAny marks a case that must fail, whatever the error.
var errAny = errors.New("any error")

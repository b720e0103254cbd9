package keys

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// masterKeyLen is the size of the local mode's master key (AES-256).
const masterKeyLen = 32

// Local is the local key mode: private keys are sealed with AES-256-GCM under
// a master key, with "tenant|kid" as additional data, so a record copied to
// another tenant or kid does not open.
type Local struct {
	master []byte
	now    func() time.Time
}

var _ Sealer = (*Local)(nil)

// NewLocal returns the local sealer for a 32-byte master key (see
// LoadOrCreateMasterKey). now stamps CreatedAt; nil means time.Now. The key is
// copied.
func NewLocal(masterKey []byte, now func() time.Time) (*Local, error) {
	if len(masterKey) != masterKeyLen {
		return nil, fmt.Errorf("%w, got %d", ErrMasterKey, len(masterKey))
	}
	return &Local{master: append([]byte(nil), masterKey...), now: clock(now)}, nil
}

// Mode returns store.ModeLocal.
// Discard does nothing: the sealed key exists only in its record.
func (*Local) Discard(context.Context, store.SigningKey) error { return nil }

func (l *Local) Mode() string { return store.ModeLocal }

// New generates a key for t and seals it under the master key.
func (l *Local) New(ctx context.Context, t tenant.ID) (store.SigningKey, error) {
	return l.NewKey(ctx, t, store.AlgES256)
}

// NewKey is New for a key of algorithm alg (ES256 or RS256).
func (l *Local) NewKey(_ context.Context, t tenant.ID, alg string) (store.SigningKey, error) {
	if t.IsZero() {
		return store.SigningKey{}, ErrNoTenant
	}
	g, err := generate(alg)
	if err != nil {
		return store.SigningKey{}, err
	}
	sealed, err := seal(l.master, g.pkcs8, additionalData(t, g.kid))
	clear(g.pkcs8)
	if err != nil {
		return store.SigningKey{}, err
	}
	return store.SigningKey{
		KID:       g.kid,
		Alg:       algField(alg),
		Mode:      store.ModeLocal,
		PublicDER: g.public,
		Sealed:    sealed,
		CreatedAt: l.now(),
	}, nil
}

// Open unseals t's record k.
func (l *Local) Open(_ context.Context, t tenant.ID, k store.SigningKey) (Key, error) {
	pub, err := checkRecord(store.ModeLocal, t, k)
	if err != nil {
		return nil, err
	}
	pkcs8, err := unseal(l.master, k.Sealed, additionalData(t, k.KID))
	if err != nil {
		return nil, rejected(store.ModeLocal, t, k.KID, "the master key and tenant|kid do not authenticate the sealed key", err)
	}
	return openPrivate(store.ModeLocal, t, k.KID, pkcs8, pub)
}

// LoadOrCreateMasterKey returns the 32-byte master key stored at path. When
// the file does not exist it creates it (mode 0600, parent directories 0700)
// with 32 random bytes; concurrent first calls agree on one key. An existing
// file of another size is an error.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := readMasterKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: master key directory: %w", err)
	}
	key = make([]byte, masterKeyLen)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, fmt.Errorf("keys: master key: %w", err)
	}
	// Write a complete temp file, then link it into place: the link fails if
	// another process got there first, and nobody ever reads a partial file.
	tmp, err := os.CreateTemp(dir, ".master-key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("keys: master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(key)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return nil, fmt.Errorf("keys: write master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			clear(key)
			return readMasterKey(path)
		}
		return nil, fmt.Errorf("keys: install master key: %w", err)
	}
	return key, nil
}

func readMasterKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("keys: read master key: %w", err)
	}
	if len(key) != masterKeyLen {
		clear(key)
		return nil, fmt.Errorf("%w: %s holds %d bytes", ErrMasterKey, path, len(key))
	}
	return key, nil
}

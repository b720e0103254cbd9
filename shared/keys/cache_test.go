package keys

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func TestCacheDeduplicatesConcurrentOpens(t *testing.T) {
	spy := motoKMS(t)
	e, err := NewEnvelope(spy, motoWrappingKey(t, spy), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	rec := mustNew(t, e, tenantA)
	c, err := NewCache(e)
	if err != nil {
		t.Fatal(err)
	}

	// Hold the one Decrypt until every other goroutine waits on it, so the
	// 50 opens really are concurrent.
	const n = 50
	var waiting sync.WaitGroup
	waiting.Add(n - 1)
	c.joined = waiting.Done
	spy.hook = func(ctx context.Context, op string, _ int) error {
		if op == "Decrypt" {
			waiting.Wait()
		}
		return nil
	}

	got := make([]Key, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = c.Open(t.Context(), tenantA, rec) })
	}
	wg.Wait()
	c.joined = nil
	for i := range n {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("open %d: %v, %v (open 0: %v)", i, got[i], errs[i], got[0])
		}
	}
	if d := spy.count("Decrypt"); d != 1 {
		t.Fatalf("%d KMS Decrypt calls for %d concurrent opens, want 1", d, n)
	}

	// Later opens are served from the cache.
	for range 10 {
		if k, err := c.Open(t.Context(), tenantA, rec); err != nil || k != got[0] {
			t.Fatalf("%v, %v", k, err)
		}
	}
	if d := spy.count("Decrypt"); d != 1 {
		t.Fatalf("%d KMS Decrypt calls after cached opens, want 1", d)
	}
}

func TestCacheSeparatesTenants(t *testing.T) {
	spy := motoKMS(t)
	e, err := NewEnvelope(spy, motoWrappingKey(t, spy), fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	recA, recB := mustNew(t, e, tenantA), mustNew(t, e, tenantB)
	c, _ := NewCache(e)

	kA, err := c.Open(t.Context(), tenantA, recA)
	if err != nil {
		t.Fatal(err)
	}
	kB, err := c.Open(t.Context(), tenantB, recB)
	if err != nil {
		t.Fatal(err)
	}
	if kA == kB || kA.KID() != recA.KID || kB.KID() != recB.KID {
		t.Fatal("tenants share a cache entry")
	}
	if d := spy.count("Decrypt"); d != 2 {
		t.Fatalf("%d Decrypt calls for two tenants, want 2", d)
	}

	// Tenant A's key is cached; tenant B asking for it with A's record must
	// still go to KMS and be refused, every time.
	for range 2 {
		k, err := c.Open(t.Context(), tenantB, recA)
		if !errors.Is(err, ErrRejected) || k != nil {
			t.Fatalf("tenant B opened tenant A's cached key: %v, %v", k, err)
		}
	}
	if d := spy.count("Decrypt"); d != 4 {
		t.Fatalf("%d Decrypt calls, want 4: a refused open must not be cached", d)
	}
	if k, err := c.Open(t.Context(), tenantA, recA); err != nil || k != kA {
		t.Fatalf("tenant A lost its entry: %v, %v", k, err)
	}
}

// stubSealer is a Sealer whose Open a test scripts per call.
type stubSealer struct {
	Sealer
	calls atomic.Int32
	open  func(ctx context.Context, call int32, t tenant.ID, k store.SigningKey) (Key, error)
}

func (s *stubSealer) Open(ctx context.Context, t tenant.ID, k store.SigningKey) (Key, error) {
	return s.open(ctx, s.calls.Add(1), t, k)
}

func TestCacheErrors(t *testing.T) {
	l := newTestLocal(t)
	rec := mustNew(t, l, tenantA)

	t.Run("failed open is not cached", func(t *testing.T) {
		s := &stubSealer{Sealer: l, open: func(ctx context.Context, call int32, t tenant.ID, k store.SigningKey) (Key, error) {
			if call == 1 {
				return nil, errBoom
			}
			return l.Open(ctx, t, k)
		}}
		c, _ := NewCache(s)
		if _, err := c.Open(t.Context(), tenantA, rec); !errors.Is(err, errBoom) {
			t.Fatalf("first open: %v", err)
		}
		k, err := c.Open(t.Context(), tenantA, rec)
		if err != nil || k.KID() != rec.KID || s.calls.Load() != 2 {
			t.Fatalf("second open: %v, %v after %d calls", k, err, s.calls.Load())
		}
		c.Open(t.Context(), tenantA, rec)
		if s.calls.Load() != 2 {
			t.Fatal("a good open was not cached")
		}
	})

	t.Run("a sealer returning another kid", func(t *testing.T) {
		other := mustNew(t, l, tenantA)
		s := &stubSealer{Sealer: l, open: func(ctx context.Context, _ int32, t tenant.ID, _ store.SigningKey) (Key, error) {
			return l.Open(ctx, t, other)
		}}
		c, _ := NewCache(s)
		if k, err := c.Open(t.Context(), tenantA, rec); !errors.Is(err, ErrBadRecord) || k != nil {
			t.Fatalf("%v, %v", k, err)
		}
	})

	t.Run("a panicking open releases the key", func(t *testing.T) {
		s := &stubSealer{Sealer: l, open: func(ctx context.Context, call int32, t tenant.ID, k store.SigningKey) (Key, error) {
			if call == 1 {
				panic("sealer bug")
			}
			return l.Open(ctx, t, k)
		}}
		c, _ := NewCache(s)
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic was swallowed")
				}
			}()
			c.Open(t.Context(), tenantA, rec)
		}()
		if k, err := c.Open(t.Context(), tenantA, rec); err != nil || k == nil {
			t.Fatalf("after the panic: %v, %v", k, err)
		}
	})

	c, _ := NewCache(l)
	tests := []struct {
		name    string
		tenant  tenant.ID
		rec     store.SigningKey
		wantErr error
	}{
		{"zero tenant", tenant.ID{}, rec, ErrNoTenant},
		{"no kid", tenantA, store.SigningKey{Mode: store.ModeLocal}, ErrBadRecord},
		{"mode without a sealer", tenantA, func() store.SigningKey { k := rec; k.Mode = store.ModeKMS; return k }(), ErrUnknownMode},
		{"empty mode", tenantA, func() store.SigningKey { k := rec; k.Mode = ""; return k }(), ErrUnknownMode},
		{"another tenant", tenantB, rec, ErrRejected},
		{"the record opens", tenantA, rec, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := c.Open(t.Context(), tt.tenant, tt.rec)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (k != nil) {
				t.Fatalf("%v, %v; want %v", k, err, tt.wantErr)
			}
		})
	}

	t.Run("NewCache", func(t *testing.T) {
		if _, err := NewCache(l, newTestLocal(t)); err == nil {
			t.Fatal("two sealers for one mode")
		}
		if _, err := NewCache(nil); err == nil {
			t.Fatal("nil sealer")
		}
		if _, err := NewCache(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCacheContexts(t *testing.T) {
	l := newTestLocal(t)
	rec := mustNew(t, l, tenantA)

	t.Run("a waiter gives up with its own context", func(t *testing.T) {
		entered, release := make(chan struct{}), make(chan struct{})
		s := &stubSealer{Sealer: l, open: func(ctx context.Context, _ int32, t tenant.ID, k store.SigningKey) (Key, error) {
			close(entered)
			<-release
			return l.Open(ctx, t, k)
		}}
		c, _ := NewCache(s)
		joined := make(chan struct{})
		c.joined = func() { close(joined) }

		leader := make(chan error, 1)
		go func() { _, err := c.Open(t.Context(), tenantA, rec); leader <- err }()
		<-entered
		ctx, cancel := context.WithCancel(t.Context())
		waiter := make(chan error, 1)
		go func() { _, err := c.Open(ctx, tenantA, rec); waiter <- err }()
		<-joined
		cancel()
		if err := <-waiter; !errors.Is(err, context.Canceled) {
			t.Fatalf("waiter: %v", err)
		}
		close(release)
		if err := <-leader; err != nil {
			t.Fatalf("leader: %v", err)
		}
		if s.calls.Load() != 1 {
			t.Fatalf("%d opens", s.calls.Load())
		}
	})

	t.Run("a waiter takes over when the leader's context ends", func(t *testing.T) {
		entered := make(chan struct{})
		s := &stubSealer{Sealer: l, open: func(ctx context.Context, call int32, t tenant.ID, k store.SigningKey) (Key, error) {
			if call == 1 {
				close(entered)
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return l.Open(ctx, t, k)
		}}
		c, _ := NewCache(s)
		joined := make(chan struct{})
		c.joined = func() { close(joined) }

		ctx, cancel := context.WithCancel(t.Context())
		leader := make(chan error, 1)
		go func() { _, err := c.Open(ctx, tenantA, rec); leader <- err }()
		<-entered
		waiter := make(chan error, 1)
		go func() { _, err := c.Open(t.Context(), tenantA, rec); waiter <- err }()
		<-joined
		cancel()
		if err := <-leader; !errors.Is(err, context.Canceled) {
			t.Fatalf("leader: %v", err)
		}
		if err := <-waiter; err != nil {
			t.Fatalf("waiter: %v", err)
		}
		if s.calls.Load() != 2 {
			t.Fatalf("%d opens, want 2", s.calls.Load())
		}
	})

	t.Run("Forget drops the entry", func(t *testing.T) {
		s := &stubSealer{Sealer: l, open: func(ctx context.Context, _ int32, t tenant.ID, k store.SigningKey) (Key, error) {
			return l.Open(ctx, t, k)
		}}
		c, _ := NewCache(s)
		c.Open(t.Context(), tenantA, rec)
		c.Open(t.Context(), tenantA, rec)
		c.Forget(tenantA, rec.KID)
		c.Open(t.Context(), tenantA, rec)
		if s.calls.Load() != 2 {
			t.Fatalf("%d opens, want 2", s.calls.Load())
		}
	})
}

package keys

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Cache opens each (tenant, kid) once per process and keeps the opened Key.
// Concurrent opens of the same key share one Sealer.Open (in envelope mode:
// one KMS Decrypt however many requests ask at once). Failed opens are not
// kept, so the next caller tries again. A Cache is safe for concurrent use.
type Cache struct {
	sealers map[string]Sealer

	mu      sync.Mutex
	entries map[cacheKey]*entry

	// joined, when set (by tests), is called when a caller starts waiting for
	// another caller's open of the same key.
	joined func()
}

type cacheKey struct {
	tenant string
	kid    string
}

// entry is one open, in flight until done is closed; key and err are set
// before that.
type entry struct {
	done chan struct{}
	key  Key
	err  error
}

// errOpenPanicked is what waiters see when the open they waited for panicked.
var errOpenPanicked = errors.New("keys: opening the key panicked")

// NewCache returns a cache that opens each record with the sealer of its
// mode. Pass every mode the process may meet (tenants may use different modes).
func NewCache(sealers ...Sealer) (*Cache, error) {
	c := &Cache{sealers: make(map[string]Sealer, len(sealers)), entries: make(map[cacheKey]*entry)}
	for _, s := range sealers {
		if s == nil {
			return nil, errors.New("keys: nil sealer")
		}
		if _, dup := c.sealers[s.Mode()]; dup {
			return nil, fmt.Errorf("keys: two sealers for mode %q", s.Mode())
		}
		c.sealers[s.Mode()] = s
	}
	return c, nil
}

// Open returns tenant t's opened key for record k, opening it on first use.
// A caller whose ctx ends while it waits for another caller's open returns
// ctx's error; the open goes on for the others.
func (c *Cache) Open(ctx context.Context, t tenant.ID, k store.SigningKey) (Key, error) {
	if t.IsZero() {
		return nil, ErrNoTenant
	}
	if k.KID == "" {
		return nil, fmt.Errorf("%w: no kid", ErrBadRecord)
	}
	s, ok := c.sealers[k.Mode]
	if !ok {
		return nil, fmt.Errorf("%w: kid %q has mode %q", ErrUnknownMode, k.KID, k.Mode)
	}
	ck := cacheKey{tenant: t.String(), kid: k.KID}
	for {
		c.mu.Lock()
		e, inFlight := c.entries[ck]
		if !inFlight {
			e = &entry{done: make(chan struct{})}
			c.entries[ck] = e
			c.mu.Unlock()
			c.fill(ctx, ck, e, s, t, k)
			return e.key, e.err
		}
		c.mu.Unlock()
		if c.joined != nil {
			c.joined()
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e.key, nil
		}
		// The open we waited for ended with its caller's context: ours is still
		// alive, so open it ourselves.
		if isContextErr(e.err) && ctx.Err() == nil {
			continue
		}
		return nil, e.err
	}
}

// fill runs the open for e and publishes its result. A failure removes the
// entry before waking the waiters, so no one finds a failed entry.
func (c *Cache) fill(ctx context.Context, ck cacheKey, e *entry, s Sealer, t tenant.ID, k store.SigningKey) {
	finished := false
	defer func() {
		if !finished { // Open panicked: release the waiters, then re-panic.
			e.key, e.err = nil, errOpenPanicked
			c.forget(ck, e)
			close(e.done)
		}
	}()
	key, err := s.Open(ctx, t, k)
	if err == nil && key.KID() != k.KID {
		key, err = nil, fmt.Errorf("%w: opened kid %q for record %q", ErrBadRecord, key.KID(), k.KID)
	}
	e.key, e.err = key, err
	if err != nil {
		e.key = nil
		c.forget(ck, e)
	}
	finished = true
	close(e.done)
}

func (c *Cache) forget(ck cacheKey, e *entry) {
	c.mu.Lock()
	if c.entries[ck] == e {
		delete(c.entries, ck)
	}
	c.mu.Unlock()
}

// Forget drops tenant t's key kid from the cache (for example once it is
// retired and no longer signs). An open in flight is not interrupted.
func (c *Cache) Forget(t tenant.ID, kid string) {
	c.mu.Lock()
	delete(c.entries, cacheKey{tenant: t.String(), kid: kid})
	c.mu.Unlock()
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

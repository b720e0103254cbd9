package token

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// overlapStore holds the client read until the signing keys are read (or
// 2 s pass): a handler that reads the keys only after authenticating the
// client waits the whole 2 s and is caught.
type overlapStore struct {
	Store
	once       sync.Once
	keysRead   chan struct{}
	overlapped atomic.Bool
	keyReads   atomic.Int32
}

func (s *overlapStore) SigningKeys(ctx context.Context, t tenant.ID) ([]store.SigningKey, error) {
	s.keyReads.Add(1)
	s.once.Do(func() { close(s.keysRead) })
	return s.Store.SigningKeys(ctx, t)
}

func (s *overlapStore) GetClient(ctx context.Context, t tenant.ID, clientID string) (store.Client, error) {
	select {
	case <-s.keysRead:
		s.overlapped.Store(true)
	case <-time.After(2 * time.Second):
	}
	return s.Store.GetClient(ctx, t, clientID)
}

// The first token request of an instance reads the tenant's signing keys
// (and opens the current one: a KMS Decrypt in envelope mode) while the
// client is authenticated, not after: on a cold start these round trips
// overlap. Later requests find the keys cached and read nothing more; a
// refused request still answers its error.
func TestFirstTokenOpensTheSigningKeyWhileTheClientIsRead(t *testing.T) {
	hs := newHarness(t, nil)
	hs.client("acme", store.Client{ClientID: "shark_agent_1", Scopes: []string{"mcp:read"}, Active: true})
	ov := &overlapStore{Store: hs.tokens, keysRead: make(chan struct{})}
	hs.h = &Handler{Store: ov, Keys: hs.h.Keys, Now: hs.clock}
	hs.mux = newMux(hs.h)
	cc := form("grant_type", "client_credentials", "client_id", "shark_agent_1", "client_secret", secret)
	start := time.Now()
	if w := hs.do(call{form: cc}); w.Code != 200 {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	if !ov.overlapped.Load() || time.Since(start) > time.Second {
		t.Fatalf("the signing keys were read after the client (%v)", time.Since(start))
	}
	if w := hs.do(call{form: cc}); w.Code != 200 || ov.keyReads.Load() != 1 {
		t.Fatalf("second token: %d, %d key reads", w.Code, ov.keyReads.Load())
	}
	// Another tenant's first request, refused: it answers its error.
	hs.client("beta", store.Client{ClientID: "shark_agent_1", Scopes: []string{"mcp:read"}, Active: true})
	bad := form("grant_type", "client_credentials", "client_id", "shark_agent_1", "client_secret", "nope")
	if w := hs.do(call{tenant: "beta", form: bad}); w.Code != 401 {
		t.Fatalf("wrong secret: %d %s", w.Code, w.Body)
	}
}

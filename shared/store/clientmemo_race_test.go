package store_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Readers racing a writer on one client (the token endpoint while an admin
// changes the client) each read a client whose fields are those of the
// version read, and never an older version after a newer one; the clients
// they read are theirs to mutate. Run with -race.
func TestClientReadsRacingUpdates(t *testing.T) {
	ctx := t.Context()
	clock := tabletest.NewClock()
	tb, err := embedded.OpenPebble(t.TempDir(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	s := store.New(tb, clock.Now)
	id := tenant.MustID("race")
	now := s.Now()
	c := store.Client{ID: "agent_r", ClientID: "shark_agent_r", Kind: store.KindAgent, Scopes: []string{"v1"},
		Metadata: map[string]any{"v": "v1"}, Active: true, CreatedAt: now, UpdatedAt: now}
	ev := func(n int) store.AuditEvent {
		return store.AuditEvent{ID: "aud_" + strconv.Itoa(n), Event: "agent.updated", ActorType: "admin", Status: "success", CreatedAt: now}
	}
	if err := s.CreateClient(ctx, id, c, ev(0)); err != nil {
		t.Fatal(err)
	}
	const updates = 200
	var wg sync.WaitGroup
	done := make(chan struct{})
	for r := range 4 {
		wg.Go(func() {
			last := int64(0)
			for {
				select {
				case <-done:
					return
				default:
				}
				read := s.GetClient
				if r%2 == 1 {
					read = func(_ context.Context, t tenant.ID, _ string) (store.Client, error) {
						return s.GetClientByID(ctx, t, c.ID)
					}
				}
				got, err := read(ctx, id, c.ClientID)
				if err != nil {
					t.Error(err)
					return
				}
				want := "v" + strconv.FormatInt(got.Version, 10)
				if len(got.Scopes) != 1 || got.Scopes[0] != want || got.Metadata["v"] != want {
					t.Errorf("version %d read with scopes %v, metadata %v", got.Version, got.Scopes, got.Metadata)
					return
				}
				if got.Version < last {
					t.Errorf("version %d read after version %d", got.Version, last)
					return
				}
				last = got.Version
				got.Scopes[0], got.Metadata["v"] = "mutated", "mutated" // the reader's own copy
			}
		})
	}
	cur := c
	cur.Version = 1
	for n := 1; n <= updates; n++ {
		cur.Scopes = []string{"v" + strconv.Itoa(n+1)}
		cur.Metadata = map[string]any{"v": "v" + strconv.Itoa(n+1)}
		if cur, err = s.UpdateClient(ctx, id, cur, ev(n)); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
}

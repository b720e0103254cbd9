package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// The Contention tier: updates that race (issue 20, P6). An update that loses
// to concurrent ones on every retry is store.ErrContended, a transient error
// (503 with Retry-After at the HTTP edge), never store.ErrConflict (409, or
// 500 where a handler does not expect it), and it writes nothing. Revoking a
// token is idempotent under a race: every caller succeeds and one event is
// written. Windowed rate counters take a burst without giving up, and never
// allow more than their limit.

// unavailable is how the HTTP edge recognises a transient store error
// (httpx.Unavailable), restated so this package does not import httpx.
func unavailable(err error) bool {
	var u interface{ Unavailable() bool }
	return errors.As(err, &u) && u.Unavailable()
}

func wantContended(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrContended) || errors.Is(err, store.ErrConflict) || !unavailable(err) {
		t.Fatalf("%s: want ErrContended (transient, not a conflict), got %v", what, err)
	}
}

// losingPuts answers every conditional Put with ErrConditionFailed without
// running it: a writer that loses to a concurrent one on every attempt.
type losingPuts struct {
	store.Table
	lost atomic.Int64
}

func (l *losingPuts) Put(ctx context.Context, it store.Item, c store.Cond) (int64, error) {
	if c.Kind != store.Always {
		l.lost.Add(1)
		return 0, store.ErrConditionFailed
	}
	return l.Table.Put(ctx, it, c)
}

// puts records the keys of the puts that succeeded.
type puts struct {
	store.Table
	mu   sync.Mutex
	keys map[store.Key]int
}

func (p *puts) Put(ctx context.Context, it store.Item, c store.Cond) (int64, error) {
	v, err := p.Table.Put(ctx, it, c)
	if err == nil {
		p.mu.Lock()
		p.keys[it.Key]++
		p.mu.Unlock()
	}
	return v, err
}

// count returns how many events named name target target holds in tenant id.
func count(t *testing.T, s *store.Store, id tenant.ID, name, target string) int {
	t.Helper()
	evs, _ := walk(t, s, id, store.AuditFilter{Events: []string{name}, TargetID: target}, store.MaxPageLimit)
	return len(evs)
}

// parallel runs fn(i) for i in 0..n-1 at once and returns their errors.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func domainContention(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "race")
	// raw writes beside e.s without passing through e.f, so they do not
	// count as calls of the operation under test.
	raw := store.New(e.f.Table, e.clock.Now)

	t.Run("an update that loses every retry is ErrContended and writes nothing", func(t *testing.T) {
		c := e.client(t, fx.id, "loser")
		bumps := 0
		var bump func()
		bump = func() {
			bumps++
			if _, err := raw.ChangeClient(ctx, fx.id, c.ClientID, func(x *store.Client) error {
				x.Description = fmt.Sprintf("bump %d", bumps)
				return nil
			}, func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", x.ClientID) }); err != nil {
				t.Errorf("bump: %v", err)
			}
			e.f.Interleave(2, bump) // before the next attempt's write (a get, then the write)
		}
		e.f.Interleave(2, bump)
		_, err := e.s.ChangeClient(ctx, fx.id, c.ClientID, func(x *store.Client) error {
			x.Name = "the loser's"
			return nil
		}, func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.secret_rotated", x.ClientID) })
		e.f.Interleave(0, nil)
		wantContended(t, "ChangeClient", err)
		if bumps < 3 {
			t.Fatalf("gave up after %d losses: retries must ride out a short burst", bumps)
		}
		got, _ := e.s.GetClient(ctx, fx.id, c.ClientID)
		if got.Name == "the loser's" || got.Version != int64(1+bumps) {
			t.Fatalf("the loser wrote: %+v (after %d bumps)", got, bumps)
		}
		if n := count(t, e.s, fx.id, "agent.secret_rotated", c.ClientID); n != 0 {
			t.Fatalf("%d events of the update that gave up", n)
		}
	})

	t.Run("a delete that loses to a delete is ErrNotFound", func(t *testing.T) {
		gone := e.client(t, fx.id, "deleted twice")
		e.f.Interleave(2, func() { // between the read and the write
			if err := raw.DeleteClient(ctx, fx.id, gone.ClientID, event(e.s.Now(), "app.deleted", gone.ClientID)); err != nil {
				t.Errorf("the winner: %v", err)
			}
		})
		err := e.s.DeleteClient(ctx, fx.id, gone.ClientID, event(e.s.Now(), "app.deleted", gone.ClientID))
		e.f.Interleave(0, nil)
		wantErr(t, "delete after a concurrent delete", err, store.ErrNotFound)
		// (A delete that loses to an update is ErrConflict: regressions.go.)
		if n := count(t, e.s, fx.id, "app.deleted", gone.ClientID); n != 1 {
			t.Fatalf("%d delete events, want 1", n)
		}

	})

	t.Run("parallel updates of one record: each succeeds or is ErrContended, one event each", func(t *testing.T) {
		c := e.client(t, fx.id, "hot")
		const n = 8
		errs := parallel(n, func(i int) error {
			_, err := e.s.ChangeClient(ctx, fx.id, c.ClientID, func(x *store.Client) error {
				x.Description = fmt.Sprintf("writer %d", i)
				return nil
			}, func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", x.ClientID) })
			return err
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			wantContended(t, "parallel ChangeClient", err)
		}
		if ok == 0 {
			t.Fatal("no update of the burst succeeded")
		}
		got, _ := e.s.GetClient(ctx, fx.id, c.ClientID)
		if got.Version != int64(1+ok) {
			t.Fatalf("version %d after %d successful updates", got.Version, ok)
		}
		if evs := count(t, e.s, fx.id, "agent.updated", c.ClientID); evs != ok {
			t.Fatalf("%d events for %d successful updates", evs, ok)
		}
	})

	t.Run("parallel revocations of one token all succeed with one event", func(t *testing.T) {
		c := e.client(t, fx.id, "revoked")
		rec := e.token(t, fx.id, c, time.Hour, "")
		for i, err := range parallel(8, func(int) error {
			return e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI))
		}) {
			if err != nil {
				t.Fatalf("revocation %d: %v", i, err)
			}
		}
		got, _ := e.s.GetToken(ctx, fx.id, rec.JTI)
		if got.RevokedAt.IsZero() {
			t.Fatal("not revoked")
		}
		if n := count(t, e.s, fx.id, "oauth.token_revoked", rec.JTI); n != 1 {
			t.Fatalf("%d revocation events, want 1", n)
		}
	})

	t.Run("a revocation that loses to another succeeds without a second event", func(t *testing.T) {
		c := e.client(t, fx.id, "revoked-2")
		rec := e.token(t, fx.id, c, time.Hour, "")
		e.f.Interleave(2, func() { // between the read and the write
			if err := raw.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
				t.Errorf("the winner: %v", err)
			}
		})
		err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI))
		e.f.Interleave(0, nil)
		if err != nil {
			t.Fatalf("the loser: %v", err)
		}
		if n := count(t, e.s, fx.id, "oauth.token_revoked", rec.JTI); n != 1 {
			t.Fatalf("%d revocation events, want 1", n)
		}
		// Revoking a revoked token again changes nothing and writes no event.
		if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, e.s, fx.id, "oauth.token_revoked", rec.JTI); n != 1 {
			t.Fatalf("%d revocation events after a second revocation, want 1", n)
		}
	})

	t.Run("a burst of rate-counter hits is counted exactly", func(t *testing.T) {
		const burst, limit = 12, 600
		errs := parallel(burst, func(int) error {
			d, err := e.s.Hit(ctx, fx.id, "burst", time.Hour, limit)
			if err == nil && !d.Allowed {
				return fmt.Errorf("refused under the limit: %+v", d)
			}
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("hit %d of a burst of %d under a limit of %d: %v", i, burst, limit, err)
			}
		}
		d, err := e.s.Hit(ctx, fx.id, "burst", time.Hour, limit)
		if err != nil || !d.Allowed || d.Count != burst+1 {
			t.Fatalf("the hit after the burst: %+v %v, want count %d", d, err, burst+1)
		}
	})

	t.Run("a window's hits are spread over several items", func(t *testing.T) {
		// One item per window made every hit of a burst queue on it, and
		// twelve parallel registrations gave up (issue 20, P6).
		rec := &puts{Table: e.f.Table, keys: map[store.Key]int{}}
		s := store.New(rec, e.clock.Now)
		for i := range 40 {
			if d, err := s.Hit(ctx, fx.id, "spread", time.Hour, 600); err != nil || d.Count != i+1 {
				t.Fatalf("hit %d: %+v %v", i+1, d, err)
			}
		}
		if len(rec.keys) < 2 {
			t.Fatalf("40 hits wrote %d item(s): %v", len(rec.keys), rec.keys)
		}
	})

	t.Run("a burst over the limit allows exactly the limit", func(t *testing.T) {
		const burst, limit = 12, 5
		allowed := atomic.Int64{}
		for i, err := range parallel(burst, func(int) error {
			d, err := e.s.Hit(ctx, fx.id, "over", time.Hour, limit)
			if d.Allowed {
				allowed.Add(1)
			}
			return err
		}) {
			if err != nil && !errors.Is(err, store.ErrContended) {
				t.Fatalf("hit %d: %v", i, err)
			}
		}
		if allowed.Load() > limit {
			t.Fatalf("%d hits allowed over a limit of %d", allowed.Load(), limit)
		}
		// Whatever the burst left, the counter allows up to the limit and no more.
		for allowed.Load() < limit {
			d, err := e.s.Hit(ctx, fx.id, "over", time.Hour, limit)
			if err != nil || !d.Allowed {
				t.Fatalf("refused at %d of %d: %+v %v", allowed.Load(), limit, d, err)
			}
			allowed.Add(1)
		}
		for range 3 {
			if d, err := e.s.Hit(ctx, fx.id, "over", time.Hour, limit); err != nil || d.Allowed || d.Count != limit || d.RetryAfter <= 0 {
				t.Fatalf("past the limit: %+v %v", d, err)
			}
		}
	})

	t.Run("a rate counter that loses every write is ErrContended and counts nothing", func(t *testing.T) {
		lose := &losingPuts{Table: e.f.Table}
		loser := store.New(lose, e.clock.Now)
		_, err := loser.Hit(ctx, fx.id, "lost", time.Hour, 10)
		wantContended(t, "Hit", err)
		if lose.lost.Load() < 3 {
			t.Fatalf("gave up after %d lost writes", lose.lost.Load())
		}
		if d, err := e.s.Hit(ctx, fx.id, "lost", time.Hour, 10); err != nil || d.Count != 1 {
			t.Fatalf("the counter after the lost hit: %+v %v", d, err)
		}
	})
}

package embedded

import (
	"errors"
	"runtime"
)

// maxGroup bounds how many writes share one commit.
const maxGroup = 512

// syncYields is how many times the syncer yields its processor before a
// sync, gathering the groups applied meanwhile. Writers the committer is
// about to apply are often runnable at that moment; a yield lets them (and
// the committer) run first, so they share this sync instead of waiting for
// the next. A lone writer loses nothing: with nothing else runnable a yield
// returns at once. No timer: a sleep and its wake-up cost more context
// switches than a larger group saves (Pebble's WALMinSyncInterval at
// 250-600 us measured no better). Measured under shark load -dpop,
// alternated (BENCHMARKS.md): at 8 connections 0.31 syncs per token instead
// of 0.35-0.37, 3.7 context switches instead of 4.6-4.9, 363-366 us of
// CPU per token instead of 377-383, 3,412-3,460 tokens/s instead of
// 3,251-3,266; at 1 connection no change.
const syncYields = 2

// pending is one write waiting for its group's commit.
type pending struct {
	fn      func(w kvWriter) (outcome, failure error)
	outcome error
	result  chan error
}

// synced is a group applied but not yet durable.
type synced struct {
	group   []*pending
	durable func() error
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("embedded: table closed")

// Group commit: writers queue their work; one committer applies everything
// queued in one batch (so checks and writes are serialised), then the next
// group. A binding that syncs inside Apply (bbolt) makes the next group
// gather while it syncs; one that returns a durable wait (Pebble) hands the
// group to the syncer, which answers every group applied meanwhile after one
// shared sync, while the committer already applies the next. Either way a
// writer is answered only once its write is on disk, and a lone writer
// never waits for a timer.

// write runs fn in a shared (group-committed) batch. fn returns its outcome
// for the caller separately from a failure that must roll the batch back: a
// failed condition writes nothing, so it is an outcome and does not undo, or
// re-run, the other writes of its group. fn may run more than once (alone,
// after a failure of its group) and must only have effects through w and
// what it returns.
func (t *Table) write(fn func(w kvWriter) (outcome, failure error)) error {
	p := &pending{fn: fn, result: make(chan error, 1)}
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return ErrClosed
	}
	t.queue <- p
	t.mu.RUnlock()
	return <-p.result
}

// commitLoop commits queued writes in groups until the queue is closed.
func (t *Table) commitLoop() {
	defer close(t.syncq)
	group := make([]*pending, 0, maxGroup)
	for first := range t.queue {
		group = append(group[:0], first)
	gather:
		for len(group) < maxGroup {
			select {
			case p, ok := <-t.queue:
				if !ok {
					break gather
				}
				group = append(group, p)
			default:
				break gather
			}
		}
		t.commit(group)
	}
}

// commit applies a group in one batch. A failure (not a failed condition,
// which writes nothing and is an outcome) discards the batch; then each
// write runs alone, so one writer's failure never undoes another's.
func (t *Table) commit(group []*pending) {
	var written [][]byte
	durable, err := t.kv.Apply(func(w kvWriter) error {
		written = written[:0]
		w = recordingWriter{kvWriter: w, keys: &written}
		for _, p := range group {
			var failure error
			p.outcome, failure = p.fn(w)
			if failure != nil {
				return failure
			}
		}
		return nil
	})
	// Visible now (or discarded): drop what the cache held of these keys
	// before any writer of the group is answered.
	t.cache.written(written)
	if err != nil && len(group) > 1 {
		for _, p := range group {
			t.commit([]*pending{p})
		}
		return
	}
	if err != nil || durable == nil {
		answer(group, err)
		return
	}
	t.syncq <- synced{group: append([]*pending(nil), group...), durable: durable}
}

// syncLoop makes applied groups durable: one sync covers every group
// applied before it, so it answers all those queued meanwhile.
func (t *Table) syncLoop() {
	defer close(t.done)
	var batch []synced
	for first := range t.syncq {
		batch = gatherSynced(t.syncq, append(batch[:0], first))
		for range syncYields {
			runtime.Gosched()
			batch = gatherSynced(t.syncq, batch)
		}
		err := batch[len(batch)-1].durable()
		for _, s := range batch {
			answer(s.group, err)
		}
	}
}

// gatherSynced appends to batch the groups queued on syncq, without waiting.
func gatherSynced(syncq <-chan synced, batch []synced) []synced {
	for {
		select {
		case s, ok := <-syncq:
			if !ok {
				return batch
			}
			batch = append(batch, s)
		default:
			return batch
		}
	}
}

func answer(group []*pending, err error) {
	for _, p := range group {
		if err != nil {
			p.result <- err
		} else {
			p.result <- p.outcome
		}
	}
}

package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/sharkauth/serverless/shared/store"
)

// maxGroup bounds how many writes share one commit.
const maxGroup = 512

var (
	bucketItems  = []byte("items")
	bucketGSI1   = []byte("gsi1")
	bucketExpiry = []byte("expiry")
)

// Table is a store.Table in one bbolt file. It is safe for concurrent use; bbolt
// serialises writers, so conditional writes and transactions are isolated.
type Table struct {
	db  *bolt.DB
	now func() time.Time

	// Group commit: writers queue their work; one committer runs everything
	// queued in one bbolt transaction and one fsync, then the next group.
	// While a commit's fsync runs, the next group gathers, so the group
	// size follows the disk's latency and a lone writer never waits for a
	// timer.
	mu     sync.RWMutex // held for reading to enqueue, for writing to close
	closed bool
	queue  chan *pending
	done   chan struct{}

	stopSweep chan struct{}
	swept     chan struct{}
	stopOnce  sync.Once
}

// pending is one write waiting for its group's commit.
type pending struct {
	fn      func(tx *bolt.Tx) (outcome, failure error)
	outcome error
	result  chan error
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("embedded: table closed")

var _ store.Table = (*Table)(nil)

// Open opens (creating if needed) the database file at path. now is the clock
// that decides expiry. Open fails when another process holds the file.
func Open(path string, now func() time.Time) (*Table, error) {
	return open(path, now, sweepEvery, releaseEvery)
}

// open is Open with the periods of the background sweep and release.
func open(path string, now func() time.Time, sweep, release time.Duration) (*Table, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("embedded: %s is locked by another process (is another stack running on this data directory?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketItems, bucketGSI1} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if tx.Bucket(bucketExpiry) == nil {
			return indexExpiry(tx)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: init %s: %w", path, err)
	}
	t := &Table{db: db, now: now, queue: make(chan *pending, maxGroup), done: make(chan struct{}),
		stopSweep: make(chan struct{}), swept: make(chan struct{})}
	go t.commitLoop()
	go t.sweepLoop(sweep, release)
	return t, nil
}

// indexExpiry creates the expiry bucket and indexes the expiring items of a
// file written before it existed (once, when such a file is opened).
func indexExpiry(tx *bolt.Tx) error {
	exp, err := tx.CreateBucket(bucketExpiry)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketItems).ForEach(func(_, v []byte) error {
		it, err := decode(v)
		if err != nil || it.ExpiresAt == 0 {
			return err
		}
		return exp.Put(expiryKey(it), nil)
	})
}

// sweepEvery is how often expired items are deleted from the file (DynamoDB's
// TTL does it on AWS; reads treat them as absent either way).
const sweepEvery = time.Minute

// releaseEvery is how often the pages of the file that reads and commits
// mapped in are released from the resident set (releaseMapped). Every commit
// reads the leaves it writes, and random keys (token ids, proof ids) land on
// a different leaf each time; the kernel maps up to 16 neighbouring pages
// per fault (fault-around), so the resident set is about what the load
// touched since the last release: under 8 DPoP connections on a 1 GB file,
// 60-120 MB per second. Every 200 ms keeps it near 40 MB for about 5% of
// the throughput (BENCHMARKS.md, 2026-12-02); every 5 s let it pass 200 MB.
const releaseEvery = 200 * time.Millisecond

func (t *Table) sweepLoop(every, releaseEvery time.Duration) {
	defer close(t.swept)
	sweep := time.NewTicker(every)
	defer sweep.Stop()
	release := time.NewTicker(releaseEvery)
	defer release.Stop()
	for {
		select {
		case <-t.stopSweep:
			return
		case <-sweep.C:
			t.Sweep()
		case <-release.C:
			t.db.View(func(tx *bolt.Tx) error {
				releaseMapped(tx)
				return nil
			})
		}
	}
}

// sweepChunk is how many expired items one write of a sweep deletes. The
// expired keys are random (proof and token ids), so each delete rewrites its
// own leaf: a small chunk keeps each sweep write's share of a group commit,
// and the memory of its dirty pages, small.
const sweepChunk = 500

// Sweep deletes the items that have expired (and their index entries), in
// chunks of one read and one write each, and says how many it deleted. It
// reads the expiry index up to now, never the rest of the file, so its cost
// follows what expired, not the size of the file.
func (t *Table) Sweep() (int, error) {
	total := 0
	for {
		n, more, err := t.sweep(sweepChunk)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// sweep deletes up to limit of the items whose expiry has passed and says
// whether more may remain.
func (t *Table) sweep(limit int) (int, bool, error) {
	now := t.nowUnix()
	var entries [][]byte
	err := t.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketExpiry).Cursor()
		for k, _ := c.First(); k != nil && len(entries) < limit; k, _ = c.Next() {
			if int64(binary.BigEndian.Uint64(k[:8])) > now {
				break
			}
			entries = append(entries, bytes.Clone(k))
		}
		releaseMapped(tx) // the pages this chunk read are not the process's working set
		return nil
	})
	if err != nil || len(entries) == 0 {
		return 0, false, err
	}
	deleted := 0
	err = t.write(func(tx *bolt.Tx) (error, error) {
		deleted = 0
		items, exp := tx.Bucket(bucketItems), tx.Bucket(bucketExpiry)
		for _, e := range entries {
			// Still expired? A write since the read may have replaced the
			// item (and moved its entry) or deleted it.
			if v := items.Get(e[8:]); v != nil {
				it, err := decode(v)
				if err != nil {
					return nil, err
				}
				if !it.Live(now) {
					if err := t.del(tx, it.Key); err != nil {
						return nil, err
					}
					deleted++
					continue
				}
			}
			if err := exp.Delete(e); err != nil { // an entry whose item left or lives on elsewhere
				return nil, err
			}
		}
		return nil, nil
	})
	return deleted, len(entries) == limit, err
}

// Close finishes the queued writes and closes the file.
func (t *Table) Close() error {
	t.stopOnce.Do(func() { close(t.stopSweep) })
	<-t.swept
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.queue)
	}
	t.mu.Unlock()
	<-t.done
	return t.db.Close()
}

// commitLoop commits queued writes in groups until the queue is closed.
func (t *Table) commitLoop() {
	defer close(t.done)
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

// commit runs a group in one transaction. A failure (not a failed
// condition, which writes nothing and is an outcome) rolls the transaction
// back; then each write runs alone, so one writer's failure never undoes
// another's.
func (t *Table) commit(group []*pending) {
	err := t.db.Update(func(tx *bolt.Tx) error {
		for _, p := range group {
			var failure error
			p.outcome, failure = p.fn(tx)
			if failure != nil {
				return failure
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		for _, p := range group {
			t.commit([]*pending{p})
		}
		return
	}
	for _, p := range group {
		if err != nil {
			p.result <- err
		} else {
			p.result <- p.outcome
		}
	}
}

func (t *Table) nowUnix() int64 { return t.now().Unix() }

// Get implements store.Table.
func (t *Table) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, err
	}
	var it store.Item
	err := t.db.View(func(tx *bolt.Tx) error {
		var err error
		it, err = t.live(tx, key, t.nowUnix())
		return err
	})
	return it, err
}

// live reads the live item at key or returns store.ErrNotFound.
func (t *Table) live(tx *bolt.Tx, key store.Key, now int64) (store.Item, error) {
	v := tx.Bucket(bucketItems).Get(itemKey(key))
	if v == nil {
		return store.Item{}, store.ErrNotFound
	}
	it, err := decode(v)
	if err != nil {
		return store.Item{}, err
	}
	if !it.Live(now) {
		return store.Item{}, store.ErrNotFound
	}
	return it, nil
}

// check evaluates cond against the live item at key; it returns the live item's
// version (0 when absent).
func (t *Table) check(tx *bolt.Tx, key store.Key, cond store.Cond, now int64) (int64, error) {
	cur, err := t.live(tx, key, now)
	exists := err == nil
	if err != nil && err != store.ErrNotFound {
		return 0, err
	}
	ok := true
	switch cond.Kind {
	case store.Always:
	case store.IfAbsent:
		ok = !exists
	case store.IfExists:
		ok = exists
	case store.IfVersion:
		ok = exists && cur.Version == cond.Version
	default:
		return 0, fmt.Errorf("embedded: unknown condition %d", cond.Kind)
	}
	if !ok {
		return 0, store.ErrConditionFailed
	}
	return cur.Version, nil
}

func (t *Table) put(tx *bolt.Tx, it store.Item, prevVersion int64) error {
	items, gsi := tx.Bucket(bucketItems), tx.Bucket(bucketGSI1)
	k := itemKey(it.Key)
	if old := items.Get(k); old != nil {
		if err := unindex(tx, old); err != nil {
			return err
		}
	}
	it.Version = prevVersion + 1
	if err := items.Put(k, encode(it)); err != nil {
		return err
	}
	if it.ExpiresAt != 0 {
		if err := tx.Bucket(bucketExpiry).Put(expiryKey(it), nil); err != nil {
			return err
		}
	}
	if it.GSI1PK != "" {
		return gsi.Put(gsiKey(it), nil)
	}
	return nil
}

func (t *Table) del(tx *bolt.Tx, key store.Key) error {
	items := tx.Bucket(bucketItems)
	k := itemKey(key)
	old := items.Get(k)
	if old == nil {
		return nil
	}
	if err := unindex(tx, old); err != nil {
		return err
	}
	return items.Delete(k)
}

// unindex removes a stored item's entries from the GSI and the expiry index.
func unindex(tx *bolt.Tx, stored []byte) error {
	o, err := decode(stored)
	if err != nil {
		return err
	}
	if o.GSI1PK != "" {
		if err := tx.Bucket(bucketGSI1).Delete(gsiKey(o)); err != nil {
			return err
		}
	}
	if o.ExpiresAt != 0 {
		return tx.Bucket(bucketExpiry).Delete(expiryKey(o))
	}
	return nil
}

// Put implements store.Table.
func (t *Table) Put(ctx context.Context, it store.Item, cond store.Cond) (int64, error) {
	if err := store.ValidateItem(it); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var version int64
	err := t.write(func(tx *bolt.Tx) (error, error) {
		prev, err := t.check(tx, it.Key, cond, t.nowUnix())
		if err != nil {
			return err, nil
		}
		version = prev + 1
		return nil, t.put(tx, it, prev)
	})
	return version, err
}

// write runs fn in a shared (group-committed) write transaction. fn returns
// its outcome for the caller separately from a failure that must roll the
// transaction back: a failed condition writes nothing, so it is an outcome
// and does not undo, or re-run, the other writes of its group. fn may run
// more than once (alone, after a failure of its group) and must only have
// effects through tx and what it returns.
func (t *Table) write(fn func(tx *bolt.Tx) (outcome, failure error)) error {
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

// Delete implements store.Table.
func (t *Table) Delete(ctx context.Context, key store.Key, cond store.Cond) error {
	if key.PK == "" || key.SK == "" {
		return fmt.Errorf("embedded: delete with an empty key")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.write(func(tx *bolt.Tx) (error, error) {
		if _, err := t.check(tx, key, cond, t.nowUnix()); err != nil {
			return err, nil
		}
		return nil, t.del(tx, key)
	})
}

// Transact implements store.Table: every condition is checked before anything is
// written, inside one bbolt transaction.
func (t *Table) Transact(ctx context.Context, writes []store.Write) error {
	if err := store.ValidateWrites(writes); err != nil {
		return err
	}
	for _, w := range writes {
		if w.Op == store.OpPut {
			if err := store.ValidateItem(w.Item); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.write(func(tx *bolt.Tx) (error, error) {
		now := t.nowUnix()
		prev := make([]int64, len(writes))
		for i, w := range writes {
			v, err := t.check(tx, w.Target(), w.Cond, now)
			if err == store.ErrConditionFailed {
				return &store.TxCanceled{Index: i}, nil
			}
			if err != nil {
				return nil, err
			}
			prev[i] = v
		}
		for i, w := range writes {
			var err error
			switch w.Op {
			case store.OpPut:
				err = t.put(tx, w.Item, prev[i])
			case store.OpDelete:
				err = t.del(tx, w.Key)
			}
			if err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// Query implements store.Table.
func (t *Table) Query(ctx context.Context, q store.Query) (store.Page, error) {
	if err := q.Validate(); err != nil {
		return store.Page{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	kr := q.SortRange()
	if kr.Empty {
		return store.Page{}, nil
	}
	lo, hi := kr.Lo, ""
	if kr.HasHi {
		hi = kr.Hi
	}
	limit := q.EffectiveLimit()
	var page store.Page
	err := t.db.View(func(tx *bolt.Tx) error {
		now := t.nowUnix()
		items := tx.Bucket(bucketItems)
		bucket := items
		if q.Index == store.GSI1 {
			bucket = tx.Bucket(bucketGSI1)
		}
		p := partKey(q.Partition)
		inRange := func(k []byte) bool {
			if !bytes.HasPrefix(k, p) {
				return false
			}
			rest := k[len(p):]
			if string(rest) < lo {
				return false
			}
			return hi == "" || string(rest) < hi
		}
		c := bucket.Cursor()
		k, raw := first(c, q, p, lo, hi)
		var last store.Item
		for ; k != nil && inRange(k); k, raw = step(c, q.Desc) {
			if q.Index == store.GSI1 {
				raw = items.Get(k[len(p)+bytes.IndexByte(k[len(p):], 0)+1:])
			}
			if raw == nil {
				continue
			}
			it, err := decode(raw)
			if err != nil {
				return err
			}
			if !it.Live(now) {
				continue
			}
			if len(page.Items) == limit {
				page.Next = &store.Position{PK: last.PK, SK: last.SK, GSI1SK: last.GSI1SK}
				return nil
			}
			page.Items = append(page.Items, it)
			last = it
		}
		return nil
	})
	return page, err
}

// first positions the cursor on the first candidate of a query.
func first(c *bolt.Cursor, q store.Query, p []byte, lo, hi string) ([]byte, []byte) {
	var seek []byte
	exclusive := false // skip an exact match of seek when ascending
	switch {
	case q.After != nil:
		seek = append([]byte(nil), p...)
		if q.Index == store.GSI1 {
			seek = append(seek, q.After.GSI1SK...)
			seek = append(seek, 0)
			seek = append(seek, itemKey(store.Key{PK: q.After.PK, SK: q.After.SK})...)
		} else {
			seek = append(seek, q.After.SK...)
		}
		exclusive = true
	case !q.Desc:
		seek = append(append([]byte(nil), p...), lo...)
	case hi != "":
		seek = append(append([]byte(nil), p...), hi...)
	default:
		end, ok := prefixAfter(p)
		if !ok {
			return c.Last()
		}
		seek = end
	}
	k, v := c.Seek(seek)
	if !q.Desc {
		if exclusive && k != nil && bytes.Equal(k, seek) {
			return c.Next()
		}
		return k, v
	}
	// Descending: start at the greatest key below seek.
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}

func step(c *bolt.Cursor, desc bool) ([]byte, []byte) {
	if desc {
		return c.Prev()
	}
	return c.Next()
}

// prefixAfter returns the smallest key greater than every key starting with p.
func prefixAfter(p []byte) ([]byte, bool) {
	b := append([]byte(nil), p...)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return b[:i+1], true
		}
	}
	return nil, false
}

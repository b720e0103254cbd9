package embedded

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sharkauth/serverless/shared/store/table"
)

// Table is a table.Table over an ordered key-value store (kv.go): a bbolt
// file or a Pebble directory. It is safe for concurrent use; one committer
// applies every write, so conditional writes and transactions are isolated.
type Table struct {
	kv    kv
	now   func() time.Time
	cache *itemCache // items read by Get (itemcache.go)

	mu     sync.RWMutex // held for reading to enqueue, for writing to close
	closed bool
	queue  chan *pending
	syncq  chan synced
	done   chan struct{}

	stopSweep chan struct{}
	swept     chan struct{}
	stopOnce  sync.Once
}

var _ table.Table = (*Table)(nil)

// Open opens (creating if needed) the bbolt file at path. now is the clock
// that decides expiry. Open fails when another process holds the file.
func Open(path string, now func() time.Time) (*Table, error) {
	return open(path, now, sweepEvery, releaseEvery)
}

// open is Open with the periods of the background sweep and release.
func open(path string, now func() time.Time, sweep, release time.Duration) (*Table, error) {
	b, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	return newTable(b, now, sweep, release), nil
}

func newTable(k kv, now func() time.Time, sweep, maintain time.Duration) *Table {
	t := &Table{kv: k, now: now, cache: newItemCache(), queue: make(chan *pending, maxGroup), syncq: make(chan synced, 64),
		done: make(chan struct{}), stopSweep: make(chan struct{}), swept: make(chan struct{})}
	go t.commitLoop()
	go t.syncLoop()
	go t.sweepLoop(sweep, maintain)
	return t
}

// Close finishes the queued writes and closes the store.
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
	return t.kv.Close()
}

func (t *Table) nowUnix() int64 { return t.now().Unix() }

// Get implements table.Table.
func (t *Table) Get(ctx context.Context, key table.Key) (table.Item, error) {
	if err := ctx.Err(); err != nil {
		return table.Item{}, err
	}
	k := itemKey(key)
	now := t.nowUnix()
	e, hit, epoch := t.cache.lookup(k)
	if !hit {
		err := t.viewOne(func(r kvReader) error {
			v, err := r.Get(spaceItems, k)
			if err != nil || v == nil {
				return err
			}
			e.item, err = decode(v)
			e.found = err == nil
			return err
		})
		if err != nil {
			return table.Item{}, err
		}
		t.cache.fill(k, e, epoch)
	}
	if !e.found || !e.item.Live(now) {
		return table.Item{}, table.ErrNotFound
	}
	it := e.item
	it.Data = bytes.Clone(it.Data) // the entry's stays as read
	return it, nil
}

// live reads the live item at key or returns table.ErrNotFound.
func live(r kvReader, key table.Key, now int64) (table.Item, error) {
	v, err := r.Get(spaceItems, itemKey(key))
	if err != nil {
		return table.Item{}, err
	}
	if v == nil {
		return table.Item{}, table.ErrNotFound
	}
	it, err := decode(v)
	if err != nil {
		return table.Item{}, err
	}
	if !it.Live(now) {
		return table.Item{}, table.ErrNotFound
	}
	return it, nil
}

// stored is what a write's condition read at its key: the item stored there,
// live or expired (nil when absent), so that the write needs no second read.
type stored = *table.Item

// check evaluates cond against the live item at key; it returns the live
// item's version (0 when absent) and the item stored at key.
func check(r kvReader, key table.Key, cond table.Cond, now int64) (int64, stored, error) {
	v, err := r.Get(spaceItems, itemKey(key))
	if err != nil {
		return 0, nil, err
	}
	var old stored
	if v != nil {
		it, err := decode(v)
		if err != nil {
			return 0, nil, err
		}
		old = &it
	}
	exists := old != nil && old.Live(now)
	ok := true
	switch cond.Kind {
	case table.Always:
	case table.IfAbsent:
		ok = !exists
	case table.IfExists:
		ok = exists
	case table.IfVersion:
		ok = exists && old.Version == cond.Version
	default:
		return 0, nil, fmt.Errorf("embedded: unknown condition %d", cond.Kind)
	}
	if !ok {
		return 0, nil, table.ErrConditionFailed
	}
	if !exists {
		return 0, old, nil
	}
	return old.Version, old, nil
}

// put writes it over old (what check read at its key) with the version
// after prevVersion.
func put(w kvWriter, it table.Item, prevVersion int64, old stored) error {
	if old != nil {
		if err := unindex(w, *old); err != nil {
			return err
		}
	}
	it.Version = prevVersion + 1
	if err := w.Set(spaceItems, itemKey(it.Key), encode(it)); err != nil {
		return err
	}
	if it.ExpiresAt != 0 {
		if err := w.Set(spaceExpiry, expiryKey(it), nil); err != nil {
			return err
		}
	}
	for _, ix := range table.Indexes {
		if pk, _ := it.IndexKeys(ix); pk != "" {
			if err := w.Set(indexSpace(ix), gsiKey(it, ix), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// del deletes old (what check read at key), if any.
func del(w kvWriter, key table.Key, old stored) error {
	if old == nil {
		return nil
	}
	if err := unindex(w, *old); err != nil {
		return err
	}
	return w.Delete(spaceItems, itemKey(key))
}

// unindex removes a stored item's entries from the GSIs and the expiry index.
func unindex(w kvWriter, o table.Item) error {
	for _, ix := range table.Indexes {
		if pk, _ := o.IndexKeys(ix); pk != "" {
			if err := w.Delete(indexSpace(ix), gsiKey(o, ix)); err != nil {
				return err
			}
		}
	}
	if o.ExpiresAt != 0 {
		return w.Delete(spaceExpiry, expiryKey(o))
	}
	return nil
}

// Put implements table.Table.
func (t *Table) Put(ctx context.Context, it table.Item, cond table.Cond) (int64, error) {
	if err := table.ValidateItem(it); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var version int64
	err := t.write(func(w kvWriter) (error, error) {
		prev, old, err := check(w, it.Key, cond, t.nowUnix())
		if err == table.ErrConditionFailed {
			return err, nil
		}
		if err != nil {
			return nil, err
		}
		version = prev + 1
		return nil, put(w, it, prev, old)
	})
	return version, err
}

// Delete implements table.Table.
func (t *Table) Delete(ctx context.Context, key table.Key, cond table.Cond) error {
	if key.PK == "" || key.SK == "" {
		return fmt.Errorf("embedded: delete with an empty key")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.write(func(w kvWriter) (error, error) {
		_, old, err := check(w, key, cond, t.nowUnix())
		if err == table.ErrConditionFailed {
			return err, nil
		}
		if err != nil {
			return nil, err
		}
		return nil, del(w, key, old)
	})
}

// Transact implements table.Table: every condition is checked before anything is
// written, inside one batch.
func (t *Table) Transact(ctx context.Context, writes []table.Write) error {
	if err := table.ValidateWrites(writes); err != nil {
		return err
	}
	for _, w := range writes {
		if w.Op == table.OpPut {
			if err := table.ValidateItem(w.Item); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.write(func(kw kvWriter) (error, error) {
		now := t.nowUnix()
		// Every condition first; each key's read serves its write
		// (a transaction addresses each key once).
		prev := make([]int64, len(writes))
		olds := make([]stored, len(writes))
		for i, w := range writes {
			v, old, err := check(kw, w.Target(), w.Cond, now)
			if err == table.ErrConditionFailed {
				return &table.TxCanceled{Index: i}, nil
			}
			if err != nil {
				return nil, err
			}
			prev[i], olds[i] = v, old
		}
		for i, w := range writes {
			var err error
			switch w.Op {
			case table.OpPut:
				err = put(kw, w.Item, prev[i], olds[i])
			case table.OpDelete:
				err = del(kw, w.Key, olds[i])
			}
			if err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// Query implements table.Table.
func (t *Table) Query(ctx context.Context, q table.Query) (table.Page, error) {
	if err := q.Validate(); err != nil {
		return table.Page{}, err
	}
	if err := ctx.Err(); err != nil {
		return table.Page{}, err
	}
	kr := q.SortRange()
	if kr.Empty {
		return table.Page{}, nil
	}
	lo, hi := kr.Lo, ""
	if kr.HasHi {
		hi = kr.Hi
	}
	limit := q.EffectiveLimit()
	var page table.Page
	err := t.kv.View(func(r kvReader) error {
		now := t.nowUnix()
		sp := spaceItems
		if q.Index != table.Primary {
			sp = indexSpace(q.Index)
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
		c, err := r.Iter(sp)
		if err != nil {
			return err
		}
		defer c.Close()
		var last table.Item
		for ok := first(c, q, p, lo, hi); ok && inRange(c.Key()); ok = step(c, q.Desc) {
			raw := c.Value()
			if q.Index != table.Primary {
				k := c.Key()
				if raw, err = r.Get(spaceItems, k[len(p)+bytes.IndexByte(k[len(p):], 0)+1:]); err != nil {
					return err
				}
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
				page.Next = table.PositionOf(last, q.Index)
				return nil
			}
			page.Items = append(page.Items, it)
			last = it
		}
		return nil
	})
	return page, err
}

// first positions the iterator on the first candidate of a query.
func first(c kvIter, q table.Query, p []byte, lo, hi string) bool {
	var seek []byte
	switch {
	case q.After != nil:
		seek = append([]byte(nil), p...)
		if q.Index != table.Primary {
			seek = append(seek, q.After.SortKey(q.Index)...)
			seek = append(seek, 0)
			seek = append(seek, itemKey(table.Key{PK: q.After.PK, SK: q.After.SK})...)
		} else {
			seek = append(seek, q.After.SK...)
		}
		if q.Desc {
			return c.SeekLT(seek)
		}
		ok := c.SeekGE(seek)
		if ok && bytes.Equal(c.Key(), seek) {
			return c.Next() // resume after the item, not on it
		}
		return ok
	case !q.Desc:
		return c.SeekGE(append(append([]byte(nil), p...), lo...))
	case hi != "":
		return c.SeekLT(append(append([]byte(nil), p...), hi...))
	default:
		end, ok := prefixAfter(p)
		if !ok {
			return c.Last()
		}
		return c.SeekLT(end)
	}
}

func step(c kvIter, desc bool) bool {
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

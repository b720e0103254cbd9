package embedded

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// The Pebble binding: a log-structured store in one directory. A commit is an
// append to the write-ahead log; deleted and overwritten data leaves the
// files in compaction, so the space of swept items is reclaimed and the
// directory does not keep the high-water mark of the load.
//
// Durability with a shared sync: the committer applies each group's batch
// with NoSync (visible to the next group at once, so checks stay
// serialised), and the syncer then writes one empty log record with Sync:
// the log is sequential, so that one fsync makes durable every group
// applied before it. Writers are answered only after it (commit.go). A
// crash before the sync loses only writes no one was told succeeded.

type pebbleKV struct {
	db    *pebble.DB
	syncs atomic.Int64 // how many syncs the syncer asked for (tests)
}

// OpenPebble opens (creating if needed) a Pebble store in the directory dir.
// now is the clock that decides expiry. It fails when another process holds
// the directory.
func OpenPebble(dir string, now func() time.Time) (*Table, error) {
	p, err := openPebble(dir)
	if err != nil {
		return nil, err
	}
	return newTable(p, now, sweepEvery, releaseEvery), nil
}

func openPebble(dir string) (*pebbleKV, error) {
	// Private to the user, as the bbolt file is: Pebble creates its files
	// with the process's default mode.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	db, err := pebble.Open(dir, pebbleOptions())
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) || strings.Contains(err.Error(), "lock held") {
			return nil, fmt.Errorf("embedded: %s is locked by another process (is another stack running on this data directory?)", dir)
		}
		return nil, fmt.Errorf("embedded: open %s: %w", dir, err)
	}
	return &pebbleKV{db: db}, nil
}

// pebbleOptions are the store's Pebble options. Most of a token's reads are
// of keys that do not exist yet (conditions "absent": its replay mark, its
// record, its audit event); without a filter each one searches every L0
// table and level, reading and decompressing their blocks. A bloom filter
// per table (10 bits per key, ~1% false positives; set on L0, the deeper
// levels inherit it) answers most of them from the filter block.
//
// A 16 MB memtable (Pebble's default is 4 MB): a token writes ~3 KB to it,
// so the default flushed an L0 table every ~1,300 tokens, and every point
// read searched the L0 tables not yet compacted. Measured under shark load
// -dpop -c 8: ~12% less runner CPU per token, RSS at rest 55 -> 78 MB
// (reached in the first minute: the memtable is full-sized by the end of a
// warm-up, so the soak's RSS ratio does not move).
//
// The block cache: Pebble charges every memtable's size to it (a
// reservation, not an allocation), so with Pebble's default 8 MB and a 16 MB
// memtable nothing was ever cached: 0 hits, every read of a table block a
// pread and a decompression. It is sized for the most the memtables can
// hold (writes stop when the queued memtables reach memTablesHeld times
// memTableSize, Pebble's MemTableStopWritesThreshold, set here so that the two
// cannot drift apart) plus Pebble's 8 MB for blocks. Measured under shark
// load -dpop -c 8 (BENCHMARKS.md): ~80% of block reads hit, the absent-key
// read of a token 29 -> 18 us of CPU.
const (
	memTableSize  = 16 << 20
	memTablesHeld = 2
	blockCache    = 8 << 20
)

func pebbleOptions() *pebble.Options {
	o := &pebble.Options{
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{},
		MemTableSize:                memTableSize,
		MemTableStopWritesThreshold: memTablesHeld,
		CacheSize:                   memTablesHeld*memTableSize + blockCache,
	}
	o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	return o
}

// pebbleLogger keeps Pebble's routine messages (flushes, compactions) out of
// the server's output and passes its errors on.
type pebbleLogger struct{}

func (pebbleLogger) Infof(string, ...any) {}
func (pebbleLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (pebbleLogger) Fatalf(format string, args ...any) { log.Fatalf("pebble: "+format, args...) }

// pk is the Pebble key of k in space sp: the space's byte, then k.
func pk(sp space, k []byte) []byte {
	b := make([]byte, 0, 1+len(k))
	return append(append(b, byte(sp)), k...)
}

// getter is what both a snapshot and an indexed batch read with.
type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

type pebbleReader struct{ g getter }

func (r pebbleReader) Get(sp space, k []byte) ([]byte, error) {
	v, c, err := r.g.Get(pk(sp, k))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v = append(make([]byte, 0, len(v)), v...) // valid after the closer
	return v, c.Close()
}

func (r pebbleReader) Iter(sp space) (kvIter, error) {
	it, err := r.g.NewIter(&pebble.IterOptions{LowerBound: []byte{byte(sp)}, UpperBound: []byte{byte(sp) + 1}})
	if err != nil {
		return nil, err
	}
	return &pebbleIter{it: it, sp: sp}, nil
}

type pebbleWriter struct {
	pebbleReader
	b *pebble.Batch
}

func (w pebbleWriter) Set(sp space, k, v []byte) error { return w.b.Set(pk(sp, k), v, nil) }
func (w pebbleWriter) Delete(sp space, k []byte) error { return w.b.Delete(pk(sp, k), nil) }

func (p *pebbleKV) View(fn func(r kvReader) error) error {
	s := p.db.NewSnapshot()
	defer s.Close()
	return fn(pebbleReader{s})
}

func (p *pebbleKV) pointReads() kvReader { return pebbleReader{p.db} }

func (p *pebbleKV) Apply(fn func(w kvWriter) error) (func() error, error) {
	b := p.db.NewIndexedBatch()
	defer b.Close()
	if err := fn(pebbleWriter{pebbleReader{b}, b}); err != nil {
		return nil, err
	}
	if b.Empty() {
		return nil, nil
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return nil, err
	}
	return p.sync, nil
}

// sync makes durable everything applied before it (one log record, synced).
func (p *pebbleKV) sync() error {
	p.syncs.Add(1)
	return p.db.LogData(nil, pebble.Sync)
}

func (p *pebbleKV) Maintain() {}

func (p *pebbleKV) Close() error { return p.db.Close() }

type pebbleIter struct {
	it *pebble.Iterator
	sp space
}

func (i *pebbleIter) First() bool          { return i.it.First() }
func (i *pebbleIter) Last() bool           { return i.it.Last() }
func (i *pebbleIter) SeekGE(k []byte) bool { return i.it.SeekGE(pk(i.sp, k)) }
func (i *pebbleIter) SeekLT(k []byte) bool { return i.it.SeekLT(pk(i.sp, k)) }
func (i *pebbleIter) Next() bool           { return i.it.Next() }
func (i *pebbleIter) Prev() bool           { return i.it.Prev() }
func (i *pebbleIter) Key() []byte          { return i.it.Key()[1:] }
func (i *pebbleIter) Value() []byte        { return i.it.Value() }
func (i *pebbleIter) Close() error         { return i.it.Close() }

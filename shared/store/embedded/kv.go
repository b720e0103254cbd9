package embedded

import "github.com/sharkauth/serverless/shared/store/table"

// The table logic (conditions, transactions, queries, pages, the sweep) runs
// over kv, a small ordered key-value store with three key spaces; a binding
// (bbolt, Pebble) implements it. Keys and values are the codec's bytes.

// space is one of the table's orderings (codec.go).
type space byte

const (
	spaceItems  space = 'i'
	spaceGSI1   space = 'g'
	spaceGSI2   space = 'h'
	spaceExpiry space = 'x'
)

// indexSpace is the space of a secondary index.
func indexSpace(ix table.Index) space {
	if ix == table.GSI2 {
		return spaceGSI2
	}
	return spaceGSI1
}

// kv is an ordered key-value store.
type kv interface {
	// View runs fn over a consistent snapshot of what is applied.
	View(fn func(r kvReader) error) error
	// Apply runs fn in one atomic batch. When fn fails nothing is written.
	// When Apply returns, the batch is visible to later reads and batches;
	// durable, when not nil, waits until it is on disk (a binding whose
	// Apply already synced returns nil). Apply is only called by the
	// table's single committer.
	Apply(fn func(w kvWriter) error) (durable func() error, err error)
	// Maintain runs periodically beside the sweep (bbolt releases the pages
	// it mapped in).
	Maintain()
	Close() error
}

// kvReader reads a snapshot or a batch (which sees its own writes).
type kvReader interface {
	// Get returns the value at k or nil when absent; the value is valid
	// until the end of the View or Apply.
	Get(sp space, k []byte) ([]byte, error)
	// Iter iterates one space; it is not positioned until a seek.
	Iter(sp space) (kvIter, error)
}

// kvWriter is a batch being built.
type kvWriter interface {
	kvReader
	Set(sp space, k, v []byte) error
	Delete(sp space, k []byte) error
}

// kvIter iterates the keys of one space in byte order. The positioning
// methods report whether the iterator is on a key; Key and Value are valid
// until the next call.
type kvIter interface {
	First() bool
	Last() bool
	SeekGE(k []byte) bool
	SeekLT(k []byte) bool
	Next() bool
	Prev() bool
	Key() []byte
	Value() []byte
	Close() error
}

// pointReader is a binding whose single reads are consistent by themselves
// (Pebble: a Get reads at one sequence number), so one read needs no
// snapshot to be made and released.
type pointReader interface {
	pointReads() kvReader
}

// viewOne runs fn, which makes one read, over the binding's point reader
// when it has one, else over a View.
func (t *Table) viewOne(fn func(r kvReader) error) error {
	if p, ok := t.kv.(pointReader); ok {
		return fn(p.pointReads())
	}
	return t.kv.View(fn)
}

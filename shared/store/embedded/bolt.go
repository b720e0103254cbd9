package embedded

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The bbolt binding: one file, a bucket per space (the layout of files
// written before the split, so they keep opening). bbolt serialises writers
// and syncs each write transaction before Update returns.

var (
	bucketItems  = []byte("items")
	bucketGSI1   = []byte("gsi1")
	bucketGSI2   = []byte("gsi2")
	bucketExpiry = []byte("expiry")
)

func bucketOf(sp space) []byte {
	switch sp {
	case spaceItems:
		return bucketItems
	case spaceGSI1:
		return bucketGSI1
	case spaceGSI2:
		return bucketGSI2
	default:
		return bucketExpiry
	}
}

type boltKV struct{ db *bolt.DB }

// openBolt opens (creating if needed) the bbolt file at path.
func openBolt(path string) (*boltKV, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("embedded: %s is locked by another process (is another stack running on this data directory?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketItems, bucketGSI1, bucketGSI2} {
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
	return &boltKV{db: db}, nil
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

func (b *boltKV) View(fn func(r kvReader) error) error {
	return b.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (b *boltKV) Apply(fn func(w kvWriter) error) (func() error, error) {
	return nil, b.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (b *boltKV) Maintain() {
	b.db.View(func(tx *bolt.Tx) error {
		releaseMapped(tx)
		return nil
	})
}

func (b *boltKV) Close() error { return b.db.Close() }

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) Get(sp space, k []byte) ([]byte, error) {
	return t.tx.Bucket(bucketOf(sp)).Get(k), nil
}

func (t boltTx) Set(sp space, k, v []byte) error { return t.tx.Bucket(bucketOf(sp)).Put(k, v) }

func (t boltTx) Delete(sp space, k []byte) error { return t.tx.Bucket(bucketOf(sp)).Delete(k) }

func (t boltTx) Iter(sp space) (kvIter, error) {
	return &boltIter{c: t.tx.Bucket(bucketOf(sp)).Cursor()}, nil
}

type boltIter struct {
	c    *bolt.Cursor
	k, v []byte
}

func (i *boltIter) at(k, v []byte) bool {
	i.k, i.v = k, v
	return k != nil
}

func (i *boltIter) First() bool          { return i.at(i.c.First()) }
func (i *boltIter) Last() bool           { return i.at(i.c.Last()) }
func (i *boltIter) SeekGE(k []byte) bool { return i.at(i.c.Seek(k)) }
func (i *boltIter) Next() bool           { return i.at(i.c.Next()) }
func (i *boltIter) Prev() bool           { return i.at(i.c.Prev()) }
func (i *boltIter) Key() []byte          { return i.k }
func (i *boltIter) Value() []byte        { return i.v }
func (i *boltIter) Close() error         { return nil }

func (i *boltIter) SeekLT(k []byte) bool {
	if !i.at(i.c.Seek(k)) {
		return i.at(i.c.Last())
	}
	return i.at(i.c.Prev())
}

// pagesWritten is how many pages the commits have written to the file.
func (b *boltKV) pagesWritten() int64 {
	s := b.db.Stats()
	return s.TxStats.GetWrite()
}

package embedded

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sharkauth/serverless/shared/store/table"
)

// openAt opens a table at path whose clock reads *now, closed with the test.
func openAt(t *testing.T, path string, now *time.Time) *Table {
	t.Helper()
	tab, err := Open(path, func() time.Time { return *now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	return tab
}

// openPebbleAt is openAt on the Pebble binding, in the directory dir.
func openPebbleAt(t *testing.T, dir string, now *time.Time) *Table {
	t.Helper()
	p, err := openPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	tab := newTable(p, func() time.Time { return *now }, time.Hour, time.Hour)
	t.Cleanup(func() { tab.Close() })
	return tab
}

// bothBindings runs f on a fresh table of each binding whose clock reads *now.
func bothBindings(t *testing.T, f func(t *testing.T, open func(now *time.Time) *Table)) {
	t.Run("bbolt", func(t *testing.T) {
		f(t, func(now *time.Time) *Table { return openAt(t, filepath.Join(t.TempDir(), "s.db"), now) })
	})
	t.Run("pebble", func(t *testing.T) {
		f(t, func(now *time.Time) *Table { return openPebbleAt(t, filepath.Join(t.TempDir(), "p"), now) })
	})
}

// Expired items leave the file (as DynamoDB's TTL removes them), index
// entries with them; live and never-expiring items stay.
func TestSweepDeletesExpiredItems(t *testing.T) { bothBindings(t, sweepDeletesExpiredItems) }

func sweepDeletesExpiredItems(t *testing.T, open func(*time.Time) *Table) {
	now := time.Unix(1_800_000_000, 0)
	tab := open(&now)
	ctx := t.Context()
	put := func(sk string, exp int64) {
		it := table.Item{Key: table.Key{PK: "T#a#X", SK: sk}, GSI1PK: "T#a#G", GSI1SK: sk, ExpiresAt: exp, Data: []byte("{}")}
		if _, err := tab.Put(ctx, it, table.CondAlways); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 12000 { // more than two chunks, expired items in each
		put(fmt.Sprintf("bulk%05d", i), int64(i%2)*(now.Unix()+5)) // even: never; odd: soon
	}
	put("soon", now.Unix()+10)
	put("later", now.Unix()+1000)
	put("never", 0)
	now = now.Add(time.Minute)
	n, err := tab.Sweep()
	if err != nil || n != 6001 {
		t.Fatalf("swept %d: %v", n, err)
	}
	items, gsi := countKeys(t, tab, spaceItems), countKeys(t, tab, spaceGSI1)
	if items != 6002 || gsi != 6002 {
		t.Fatalf("%d items and %d index entries left, want 6002 and 6002", items, gsi)
	}
	if _, err := tab.Get(ctx, table.Key{PK: "T#a#X", SK: "later"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Get(ctx, table.Key{PK: "T#a#X", SK: "soon"}); !errors.Is(err, table.ErrNotFound) {
		t.Fatal(err)
	}
	if n, _ := tab.Sweep(); n != 0 {
		t.Fatalf("second sweep deleted %d", n)
	}
}

// expiryEntries counts the expiry index's entries.
func expiryEntries(t *testing.T, tab *Table) int {
	t.Helper()
	return countKeys(t, tab, spaceExpiry)
}

// countKeys counts the keys of one space.
func countKeys(t *testing.T, tab *Table, sp space) int {
	t.Helper()
	n := 0
	err := tab.kv.View(func(r kvReader) error {
		c, err := r.Iter(sp)
		if err != nil {
			return err
		}
		defer c.Close()
		for ok := c.First(); ok; ok = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The sweep reads only the expiry index, so the index must follow every
// write: an item given a later expiry, or none, is not swept at its old
// expiry; a deleted item leaves no entry behind.
func TestSweepFollowsRewrittenExpiry(t *testing.T) { bothBindings(t, sweepFollowsRewrittenExpiry) }

func sweepFollowsRewrittenExpiry(t *testing.T, open func(*time.Time) *Table) {
	now := time.Unix(1_800_000_000, 0)
	tab := open(&now)
	ctx := t.Context()
	key := func(sk string) table.Key { return table.Key{PK: "T#a#X", SK: sk} }
	put := func(sk string, exp int64) {
		if _, err := tab.Put(ctx, table.Item{Key: key(sk), ExpiresAt: exp, Data: []byte("{}")}, table.CondAlways); err != nil {
			t.Fatal(err)
		}
	}
	soon, later := now.Unix()+10, now.Unix()+1000
	put("extended", soon)
	put("extended", later)
	put("kept", soon)
	put("kept", 0)
	put("deleted", soon)
	if err := tab.Delete(ctx, key("deleted"), table.CondAlways); err != nil {
		t.Fatal(err)
	}
	put("expires", soon)
	if n := expiryEntries(t, tab); n != 2 {
		t.Fatalf("%d expiry entries, want 2 (extended, expires)", n)
	}
	now = now.Add(time.Minute)
	if n, err := tab.Sweep(); err != nil || n != 1 {
		t.Fatalf("swept %d: %v", n, err)
	}
	for _, sk := range []string{"extended", "kept"} {
		if _, err := tab.Get(ctx, key(sk)); err != nil {
			t.Fatalf("%s: %v", sk, err)
		}
	}
	if n := expiryEntries(t, tab); n != 1 {
		t.Fatalf("%d expiry entries after the sweep, want 1 (extended)", n)
	}
}

// A file written before the expiry index existed gets it when opened, so its
// expired items are still swept.
func TestOpenIndexesTheExpiryOfAnOlderFile(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	path := filepath.Join(t.TempDir(), "s.db")
	tab, err := Open(path, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		it := table.Item{Key: table.Key{PK: "T#a#X", SK: fmt.Sprint(i)}, ExpiresAt: int64(i%2) * (now.Unix() + 5), Data: []byte("{}")}
		if _, err := tab.Put(t.Context(), it, table.CondAlways); err != nil {
			t.Fatal(err)
		}
	}
	if err := tab.kv.(*boltKV).db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketExpiry) }); err != nil {
		t.Fatal(err)
	}
	tab.Close()
	now = now.Add(time.Minute)
	tab = openAt(t, path, &now)
	if n, err := tab.Sweep(); err != nil || n != 5 {
		t.Fatalf("swept %d: %v", n, err)
	}
}

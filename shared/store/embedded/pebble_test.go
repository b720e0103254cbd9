package embedded

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store/table"
)

// dirBytes is the size of the files in dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// On Pebble the sweep's deletes are tombstones; compaction must then take the
// expired items' bytes out of the directory, not only hide them.
func TestPebbleReclaimsTheSpaceOfExpiredItems(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	dir := filepath.Join(t.TempDir(), "p")
	tab := openPebbleAt(t, dir, &now)
	db := tab.kv.(*pebbleKV).db
	for b := range 100 { // 10,000 items of ~2 KB that expire, 100 that never do
		putItems(t, tab, 100, func(i int) table.Item {
			data := fmt.Appendf(nil, "%x", bytes.Repeat([]byte{byte(b), byte(i)}, 1000))
			exp := now.Unix() + 10
			if i == 0 {
				exp = 0
			}
			return table.Item{Key: table.Key{PK: "T#a#X", SK: fmt.Sprintf("k%03d-%03d", b, i)}, ExpiresAt: exp, Data: data}
		})
	}
	compact := func() {
		t.Helper()
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := db.Compact(context.Background(), []byte{0}, []byte{0xff}, false); err != nil {
			t.Fatal(err)
		}
	}
	compact()
	full := db.Metrics().Total().TablesSize
	now = now.Add(time.Minute)
	if n, err := tab.Sweep(); err != nil || n != 9900 {
		t.Fatalf("swept %d: %v", n, err)
	}
	compact()
	after := db.Metrics().Total().TablesSize
	if after > full/5 {
		t.Fatalf("the tables hold %d bytes after sweeping 99%% of items that took %d bytes", after, full)
	}
	if n := countKeys(t, tab, spaceItems); n != 100 {
		t.Fatalf("%d items left, want 100", n)
	}
	t.Logf("tables %d bytes before the sweep, %d after (directory %d)", full, after, dirBytes(t, dir))
}

// Concurrent writers share syncs: the syncer makes every group applied
// before it durable with one, so 8 writers need far fewer syncs than writes,
// and each writer returns only after a sync that covers its write.
func TestPebbleWritersShareSyncs(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tab := openPebbleAt(t, filepath.Join(t.TempDir(), "p"), &now)
	p := tab.kv.(*pebbleKV)
	const writers, each = 8, 100
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				_, err := tab.Put(t.Context(), table.Item{Key: table.Key{PK: "T#a#X", SK: fmt.Sprintf("%d-%d", w, i)}}, table.CondAbsent)
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := countKeys(t, tab, spaceItems); n != writers*each {
		t.Fatalf("%d items, want %d", n, writers*each)
	}
	syncs := p.syncs.Load()
	t.Logf("%d writes, %d syncs", writers*each, syncs)
	if syncs == 0 || syncs > writers*each/2 {
		t.Fatalf("%d syncs for %d writes from %d writers", syncs, writers*each, writers)
	}
}

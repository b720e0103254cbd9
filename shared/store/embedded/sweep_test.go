package embedded

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sharkauth/serverless/shared/store"
)

// Expired items leave the file (as DynamoDB's TTL removes them), index
// entries with them; live and never-expiring items stay.
func TestSweepDeletesExpiredItems(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tab, err := Open(filepath.Join(t.TempDir(), "s.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	ctx := t.Context()
	put := func(sk string, exp int64) {
		it := store.Item{Key: store.Key{PK: "T#a#X", SK: sk}, GSI1PK: "T#a#G", GSI1SK: sk, ExpiresAt: exp, Data: []byte("{}")}
		if _, err := tab.Put(ctx, it, store.CondAlways); err != nil {
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
	var items, gsi int
	tab.db.View(func(tx *bolt.Tx) error {
		items, gsi = tx.Bucket(bucketItems).Stats().KeyN, tx.Bucket(bucketGSI1).Stats().KeyN
		return nil
	})
	if items != 6002 || gsi != 6002 {
		t.Fatalf("%d items and %d index entries left, want 6002 and 6002", items, gsi)
	}
	if _, err := tab.Get(ctx, store.Key{PK: "T#a#X", SK: "later"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Get(ctx, store.Key{PK: "T#a#X", SK: "soon"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	if n, _ := tab.Sweep(); n != 0 {
		t.Fatalf("second sweep deleted %d", n)
	}
}

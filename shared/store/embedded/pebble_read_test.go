package embedded

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store/table"
)

// Most of a token's reads are of keys that do not exist yet (its replay
// mark, its record, its audit event: conditions "absent"). Each table's
// bloom filter must answer those without reading the table's blocks.
func TestPebbleAbsentKeysAreAnsweredByTheFilters(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tab := openPebbleAt(t, filepath.Join(t.TempDir(), "p"), &now)
	db := tab.kv.(*pebbleKV).db
	// Three L0 tables of 100 items over the same key range: below Pebble's
	// L0 compaction threshold (4), so they stay in L0 and every absent key
	// is checked against each. (Pebble's Get skips the filters of the last
	// level, L6; reading them through a prefix iterator instead measured
	// slower per token, so the store keeps Get.)
	for b := range 3 {
		var ws []table.Write
		for i := range 100 {
			it := table.Item{Key: table.Key{PK: "T#a#X", SK: fmt.Sprintf("k%03d-%d", i, b)}, Data: []byte("x")}
			ws = append(ws, table.Write{Op: table.OpPut, Item: it, Cond: table.CondAlways})
		}
		if err := tab.Transact(t.Context(), ws); err != nil {
			t.Fatal(err)
		}
		if err := db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	before := db.Metrics().Filter
	const reads = 200
	for i := range reads {
		_, err := tab.Get(t.Context(), table.Key{PK: "T#a#X", SK: fmt.Sprintf("k%03d-%d+absent", i%100, i%3)})
		if !errors.Is(err, table.ErrNotFound) {
			t.Fatalf("absent key %d: %v", i, err)
		}
	}
	after := db.Metrics().Filter
	if hits := after.Hits - before.Hits; hits < reads*9/10 {
		t.Fatalf("the filters skipped %d table reads for %d absent keys (misses %d); want nearly every one", hits, reads, after.Misses-before.Misses)
	}
}

package embedded

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sharkauth/serverless/shared/store/table"
)

// rssFileKB is the file-backed part of this process's resident set.
func rssFileKB(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// After a sweep the process must not keep the file's pages resident, however
// many of them were read before (a long-running local stack's RSS grew to the
// size of its data file, though it held none of it).
func TestSweepLeavesTheFileOutOfTheResidentSet(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	// No background release during the test: only the sweep may release.
	tab, err := open(filepath.Join(t.TempDir(), "s.db"), func() time.Time { return now }, time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	value := bytes.Repeat([]byte("x"), 2000)
	for b := range 200 { // 20,000 items of 2 KB: a file of about 60 MB
		putItems(t, tab, 100, func(i int) table.Item {
			return table.Item{Key: table.Key{PK: "T#a#X", SK: fmt.Sprintf("k%03d-%03d", b, i)}, Data: value}
		})
	}
	before := rssFileKB(t)
	var read int
	tab.kv.(*boltKV).db.View(func(tx *bolt.Tx) error { // every page read through the map
		return tx.Bucket(bucketItems).ForEach(func(k, v []byte) error { read += len(v); return nil })
	})
	touched := rssFileKB(t)
	if touched-before < 30_000 {
		t.Fatalf("reading %d MB raised RssFile only from %d to %d kB: the test does not see the map", read>>20, before, touched)
	}
	if _, err := tab.Sweep(); err != nil {
		t.Fatal(err)
	}
	if after := rssFileKB(t); after > before+10_000 {
		t.Fatalf("RssFile %d kB after the sweep, %d kB before the file was read (%d kB while read)", after, before, touched)
	}
}

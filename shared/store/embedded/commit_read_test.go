package embedded

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store/table"
)

// countingKV counts the point reads of items a commit makes.
type countingKV struct {
	kv
	gets atomic.Int64
}

type countingWriter struct {
	kvWriter
	c *countingKV
}

func (c *countingKV) Apply(fn func(w kvWriter) error) (func() error, error) {
	return c.kv.Apply(func(w kvWriter) error { return fn(countingWriter{w, c}) })
}

func (w countingWriter) Get(sp space, k []byte) ([]byte, error) {
	if sp == spaceItems {
		w.c.gets.Add(1)
	}
	return w.kvWriter.Get(sp, k)
}

// A conditional write reads each key it writes once: the write reuses what
// its condition read (a token's transaction is three conditional puts).
func TestACommitReadsEachKeyOnce(t *testing.T) {
	for _, binding := range []string{"bbolt", "pebble"} {
		t.Run(binding, func(t *testing.T) {
			var k kv
			var err error
			if binding == "bbolt" {
				k, err = openBolt(filepath.Join(t.TempDir(), "s.db"))
			} else {
				k, err = openPebble(filepath.Join(t.TempDir(), "p"))
			}
			if err != nil {
				t.Fatal(err)
			}
			c := &countingKV{kv: k}
			now := time.Unix(1_800_000_000, 0)
			tab := newTable(c, func() time.Time { return now }, time.Hour, time.Hour)
			t.Cleanup(func() { tab.Close() })
			ctx := t.Context()
			item := func(sk string) table.Item {
				return table.Item{Key: table.Key{PK: "T#a#X", SK: sk}, GSI1PK: "T#a#G", GSI1SK: sk, ExpiresAt: now.Unix() + 60, Data: []byte("{}")}
			}
			if _, err := tab.Put(ctx, item("old"), table.CondAlways); err != nil {
				t.Fatal(err)
			}
			c.gets.Store(0)
			err = tab.Transact(ctx, []table.Write{
				{Op: table.OpPut, Item: item("a"), Cond: table.CondAbsent},
				{Op: table.OpPut, Item: item("b"), Cond: table.CondAbsent},
				{Op: table.OpPut, Item: item("old"), Cond: table.Cond{Kind: table.IfVersion, Version: 1}},
				{Op: table.OpDelete, Key: table.Key{PK: "T#a#X", SK: "gone"}, Cond: table.CondAlways},
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := c.gets.Load(); n != 4 {
				t.Fatalf("a transaction of 4 writes read items %d times; want 4", n)
			}
			c.gets.Store(0)
			if _, err := tab.Put(ctx, item("c"), table.CondAbsent); err != nil {
				t.Fatal(err)
			}
			if err := tab.Delete(ctx, item("c").Key, table.CondExists); err != nil {
				t.Fatal(err)
			}
			if n := c.gets.Load(); n != 2 {
				t.Fatalf("a put and a delete read items %d times; want 2", n)
			}
			// The rewritten and deleted items left their old index entries.
			p, err := tab.Query(ctx, table.Query{Index: table.GSI1, Partition: "T#a#G"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range p.Items {
				got = append(got, it.SK+"@"+string(rune('0'+it.Version)))
			}
			if want := []string{"a@1", "b@1", "old@2"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Fatalf("GSI1 holds %v; want %v", got, want)
			}
		})
	}
}

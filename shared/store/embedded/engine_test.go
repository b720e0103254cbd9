package embedded_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/store/table"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
)

// bindings open a table in an empty directory, one per key-value binding.
var bindings = []struct {
	name string
	open func(dir string, now func() time.Time) (*embedded.Table, error)
}{
	{"bbolt", func(dir string, now func() time.Time) (*embedded.Table, error) {
		return embedded.Open(filepath.Join(dir, "shark.db"), now)
	}},
	{"pebble", func(dir string, now func() time.Time) (*embedded.Table, error) {
		return embedded.OpenPebble(filepath.Join(dir, "pebble"), now)
	}},
}

// eachBinding runs f once per binding, with a constructor of that binding's tables.
func eachBinding(t *testing.T, f func(t *testing.T, newTable func(*testing.T, *tabletest.Clock) table.Table)) {
	for _, bd := range bindings {
		t.Run(bd.name, func(t *testing.T) {
			f(t, func(t *testing.T, clock *tabletest.Clock) table.Table {
				t.Helper()
				tb, err := bd.open(t.TempDir(), clock.Now)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { tb.Close() })
				return tb
			})
		})
	}
}

func TestConformanceTable(t *testing.T) {
	eachBinding(t, func(t *testing.T, newTable func(*testing.T, *tabletest.Clock) table.Table) {
		tabletest.RunTable(t, newTable)
	})
}

func TestConformanceStore(t *testing.T) {
	eachBinding(t, func(t *testing.T, newTable func(*testing.T, *tabletest.Clock) table.Table) {
		storetest.Run(t, newTable)
	})
}

// benchEngine is the binding the benchmarks run on: SHARK_BENCH_ENGINE=pebble
// or bbolt (the default).
func benchEngine() string {
	if e := os.Getenv("SHARK_BENCH_ENGINE"); e != "" {
		return e
	}
	return "bbolt"
}

func benchTable(b *testing.B) *embedded.Table {
	tb, _ := benchTableDir(b)
	return tb
}

// benchTableDir is benchTable and the directory that holds its files.
func benchTableDir(b *testing.B) (*embedded.Table, string) {
	b.Helper()
	for _, bd := range bindings {
		if bd.name == benchEngine() {
			dir := b.TempDir()
			tb, err := bd.open(dir, tabletest.NewClock().Now)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { tb.Close() })
			return tb, dir
		}
	}
	b.Fatalf("no binding %q", benchEngine())
	return nil, ""
}

// writeBytes is how many bytes this process has caused to be written to
// storage (/proc/self/io write_bytes; -1 where it cannot be read).
func writeBytes() int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// dirBytes is the size of the files under dir.
func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkTransact3 is a token issuance's write: DPoP jti, token record and
// audit event in one transaction (one fsync), from 8 concurrent writers.
func BenchmarkTransact3(b *testing.B) {
	tb := benchTable(b)
	data := make([]byte, 300)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4) // 2 cores × 4 = 8 writers
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			k := strconv.FormatInt(i, 10)
			err := tb.Transact(b.Context(), []table.Write{
				{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#b#JTI#" + k, SK: "JTI"}, ExpiresAt: 1 << 40}, Cond: table.CondAbsent},
				{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#b#TOK#" + k, SK: "TOK"}, Data: data}, Cond: table.CondAbsent},
				{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#b#AUDIT#d", SK: k}, Data: data}, Cond: table.CondAbsent},
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	tb := benchTable(b)
	k := table.Key{PK: "T#b#CLIENT#x", SK: "CLIENT"}
	if _, err := tb.Put(b.Context(), table.Item{Key: k, Data: make([]byte, 500)}, table.CondAlways); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tb.Get(b.Context(), k); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOpenLockedFile(t *testing.T) {
	for _, bd := range bindings {
		t.Run(bd.name, func(t *testing.T) {
			dir := t.TempDir()
			first, err := bd.open(dir, tabletest.NewClock().Now)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			_, err = bd.open(dir, tabletest.NewClock().Now)
			if err == nil || !strings.Contains(err.Error(), "locked by another process") {
				t.Fatalf("second open of a held store: %v", err)
			}
		})
	}
}

// TestBatchedWritesWithFailures: writers that share a group commit do not
// disturb each other; a failed condition in the batch neither undoes nor
// duplicates the others' writes.
func TestBatchedWritesWithFailures(t *testing.T) {
	eachBinding(t, func(t *testing.T, newTable func(*testing.T, *tabletest.Clock) table.Table) {
		batchedWritesWithFailures(t, newTable(t, tabletest.NewClock()))
	})
}

func batchedWritesWithFailures(t *testing.T, tb table.Table) {
	ctx := t.Context()
	for i := range 20 {
		if _, err := tb.Put(ctx, table.Item{Key: table.Key{PK: "T#a#X", SK: "taken-" + strconv.Itoa(i)}}, table.CondAlways); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sk := "new-" + strconv.Itoa(i)
			if i%2 == 1 {
				sk = "taken-" + strconv.Itoa(i/2) // exists: the condition fails
			}
			errs[i] = tb.Transact(ctx, []table.Write{
				{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#X", SK: sk}, Data: []byte("w")}, Cond: table.CondAbsent},
				{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#LOG", SK: strconv.Itoa(i)}}, Cond: table.CondAbsent},
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		var canceled *table.TxCanceled
		if i%2 == 0 && err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
		if i%2 == 1 && (!errors.As(err, &canceled) || canceled.Index != 0) {
			t.Fatalf("writer %d: want TxCanceled at 0, got %v", i, err)
		}
		_, logErr := tb.Get(ctx, table.Key{PK: "T#a#LOG", SK: strconv.Itoa(i)})
		if (i%2 == 0) != (logErr == nil) {
			t.Fatalf("writer %d: its second write is %v after outcome %v", i, logErr, err)
		}
	}
	for i := range 20 {
		it, err := tb.Get(ctx, table.Key{PK: "T#a#X", SK: "taken-" + strconv.Itoa(i)})
		if err != nil || it.Version != 1 || len(it.Data) != 0 {
			t.Fatalf("pre-existing item %d changed: %+v %v", i, it, err)
		}
	}
}

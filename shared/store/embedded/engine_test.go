package embedded_test

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
)

func newTable(t *testing.T, clock *storetest.Clock) store.Table {
	t.Helper()
	tb, err := embedded.Open(filepath.Join(t.TempDir(), "shark.db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

func TestConformanceTable(t *testing.T) {
	storetest.RunTable(t, newTable)
}

func TestConformanceStore(t *testing.T) {
	storetest.Run(t, newTable)
}

func benchTable(b *testing.B) *embedded.Table {
	b.Helper()
	tb, err := embedded.Open(filepath.Join(b.TempDir(), "bench.db"), storetest.NewClock().Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tb.Close() })
	return tb
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
			err := tb.Transact(b.Context(), []store.Write{
				{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#b#JTI#" + k, SK: "JTI"}, ExpiresAt: 1 << 40}, Cond: store.CondAbsent},
				{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#b#TOK#" + k, SK: "TOK"}, Data: data}, Cond: store.CondAbsent},
				{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#b#AUDIT#d", SK: k}, Data: data}, Cond: store.CondAbsent},
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	tb := benchTable(b)
	k := store.Key{PK: "T#b#CLIENT#x", SK: "CLIENT"}
	if _, err := tb.Put(b.Context(), store.Item{Key: k, Data: make([]byte, 500)}, store.CondAlways); err != nil {
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
	path := filepath.Join(t.TempDir(), "shark.db")
	first, err := embedded.Open(path, storetest.NewClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = embedded.Open(path, storetest.NewClock().Now)
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second open of a held file: %v", err)
	}
}

// TestBatchedWritesWithFailures: writers that share a group commit do not
// disturb each other; a failed condition in the batch neither undoes nor
// duplicates the others' writes.
func TestBatchedWritesWithFailures(t *testing.T) {
	tb := newTable(t, storetest.NewClock())
	ctx := t.Context()
	for i := range 20 {
		if _, err := tb.Put(ctx, store.Item{Key: store.Key{PK: "T#a#X", SK: "taken-" + strconv.Itoa(i)}}, store.CondAlways); err != nil {
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
			errs[i] = tb.Transact(ctx, []store.Write{
				{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#a#X", SK: sk}, Data: []byte("w")}, Cond: store.CondAbsent},
				{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#a#LOG", SK: strconv.Itoa(i)}}, Cond: store.CondAbsent},
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		var canceled *store.TxCanceled
		if i%2 == 0 && err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
		if i%2 == 1 && (!errors.As(err, &canceled) || canceled.Index != 0) {
			t.Fatalf("writer %d: want TxCanceled at 0, got %v", i, err)
		}
		_, logErr := tb.Get(ctx, store.Key{PK: "T#a#LOG", SK: strconv.Itoa(i)})
		if (i%2 == 0) != (logErr == nil) {
			t.Fatalf("writer %d: its second write is %v after outcome %v", i, logErr, err)
		}
	}
	for i := range 20 {
		it, err := tb.Get(ctx, store.Key{PK: "T#a#X", SK: "taken-" + strconv.Itoa(i)})
		if err != nil || it.Version != 1 || len(it.Data) != 0 {
			t.Fatalf("pre-existing item %d changed: %+v %v", i, it, err)
		}
	}
}

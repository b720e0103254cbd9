package tabletest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store/table"
)

// TableFactory returns an empty table whose expiry follows clock.
type TableFactory func(t *testing.T, clock *Clock) table.Table

// RunTable runs the table.Table contract against an engine.
func RunTable(t *testing.T, newTable TableFactory) {
	tiers := []struct {
		name string
		run  func(*testing.T, TableFactory)
	}{
		{"CRUD", tableCRUD},
		{"ConditionalWrites", tableConditional},
		{"Concurrency", tableConcurrency},
		{"Transactions", tableTransactions},
		{"Pagination", tablePagination},
		{"Expiry", tableExpiry},
		{"GSI2", tableGSI2},
	}
	for _, tier := range tiers {
		t.Run(tier.name, func(t *testing.T) { tier.run(t, newTable) })
	}
}

func item(pk, sk, data string) table.Item {
	return table.Item{Key: table.Key{PK: pk, SK: sk}, Data: []byte(data)}
}

func mustPut(t *testing.T, tb table.Table, it table.Item) int64 {
	t.Helper()
	v, err := tb.Put(t.Context(), it, table.CondAlways)
	if err != nil {
		t.Fatalf("put %v: %v", it.Key, err)
	}
	return v
}

func mustGet(t *testing.T, tb table.Table, k table.Key) table.Item {
	t.Helper()
	it, err := tb.Get(t.Context(), k)
	if err != nil {
		t.Fatalf("get %v: %v", k, err)
	}
	return it
}

func wantNotFound(t *testing.T, tb table.Table, k table.Key) {
	t.Helper()
	if _, err := tb.Get(t.Context(), k); !errors.Is(err, table.ErrNotFound) {
		t.Fatalf("get %v: want ErrNotFound, got %v", k, err)
	}
}

func tableCRUD(t *testing.T, newTable TableFactory) {
	tb := newTable(t, NewClock())
	ctx := t.Context()
	k := table.Key{PK: "T#a#X", SK: "one"}
	wantNotFound(t, tb, k)

	in := table.Item{Key: k, GSI1PK: "T#a#G", GSI1SK: "s1", Data: []byte{0, 1, 2, 0xff}}
	if v := mustPut(t, tb, in); v != 1 {
		t.Fatalf("first put version = %d, want 1", v)
	}
	got := mustGet(t, tb, k)
	if got.PK != k.PK || got.SK != k.SK || got.GSI1PK != "T#a#G" || got.GSI1SK != "s1" || string(got.Data) != string(in.Data) || got.Version != 1 {
		t.Fatalf("get = %+v", got)
	}

	// Overwrite drops the GSI entry when the new item has none.
	if v := mustPut(t, tb, item(k.PK, k.SK, "v2")); v != 2 {
		t.Fatalf("second put version = %d, want 2", v)
	}
	got = mustGet(t, tb, k)
	if string(got.Data) != "v2" || got.GSI1PK != "" || got.Version != 2 {
		t.Fatalf("after overwrite: %+v", got)
	}
	page, err := tb.Query(ctx, table.Query{Index: table.GSI1, Partition: "T#a#G"})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("GSI after overwrite without GSI keys: %v %v", page.Items, err)
	}

	// Same SK in another partition is another item.
	mustPut(t, tb, item("T#b#X", "one", "other"))
	if got := mustGet(t, tb, k); string(got.Data) != "v2" {
		t.Fatalf("partition bleed: %q", got.Data)
	}

	if err := tb.Delete(ctx, k, table.CondAlways); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, tb, k)
	if err := tb.Delete(ctx, k, table.CondAlways); err != nil {
		t.Fatalf("delete of an absent item: %v", err)
	}

	bad := []struct {
		name string
		it   table.Item
	}{
		{"empty PK", item("", "x", "")},
		{"empty SK", item("p", "", "")},
		{"GSI1PK without GSI1SK", table.Item{Key: table.Key{PK: "p", SK: "s"}, GSI1PK: "g"}},
		{"NUL in key", item("p\x00q", "s", "")},
	}
	for _, c := range bad {
		t.Run("rejects "+c.name, func(t *testing.T) {
			if _, err := tb.Put(ctx, c.it, table.CondAlways); err == nil {
				t.Fatal("put accepted an invalid item")
			}
		})
	}
}

func tableConditional(t *testing.T, newTable TableFactory) {
	tb := newTable(t, NewClock())
	ctx := t.Context()
	k := table.Key{PK: "T#a#C", SK: "c"}

	if _, err := tb.Put(ctx, item(k.PK, k.SK, "x"), table.CondExists); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("IfExists on absent: %v", err)
	}
	if _, err := tb.Put(ctx, item(k.PK, k.SK, "x"), table.CondVersion(1)); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("IfVersion on absent: %v", err)
	}
	wantNotFound(t, tb, k)
	if v, err := tb.Put(ctx, item(k.PK, k.SK, "first"), table.CondAbsent); err != nil || v != 1 {
		t.Fatalf("IfAbsent on absent: %d %v", v, err)
	}
	if _, err := tb.Put(ctx, item(k.PK, k.SK, "second"), table.CondAbsent); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("IfAbsent on present: %v", err)
	}
	if _, err := tb.Put(ctx, item(k.PK, k.SK, "stale"), table.CondVersion(7)); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("IfVersion with a stale version: %v", err)
	}
	if v, err := tb.Put(ctx, item(k.PK, k.SK, "v2"), table.CondVersion(1)); err != nil || v != 2 {
		t.Fatalf("IfVersion with the current version: %d %v", v, err)
	}
	if v, err := tb.Put(ctx, item(k.PK, k.SK, "v3"), table.CondExists); err != nil || v != 3 {
		t.Fatalf("IfExists on present: %d %v", v, err)
	}
	if got := mustGet(t, tb, k); string(got.Data) != "v3" {
		t.Fatalf("data = %q", got.Data)
	}
	if err := tb.Delete(ctx, k, table.CondVersion(2)); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("delete with a stale version: %v", err)
	}
	if err := tb.Delete(ctx, table.Key{PK: "T#a#C", SK: "absent"}, table.CondExists); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("delete IfExists on absent: %v", err)
	}
	if err := tb.Delete(ctx, k, table.CondVersion(3)); err != nil {
		t.Fatalf("delete with the current version: %v", err)
	}
	wantNotFound(t, tb, k)
}

// tableConcurrency races plain conditional writes (not transactions: the
// emulator does not isolate concurrent transactions).
func tableConcurrency(t *testing.T, newTable TableFactory) {
	tb := newTable(t, NewClock())
	ctx := t.Context()

	t.Run("two creators, one wins", func(t *testing.T) {
		for round := range 5 {
			k := table.Key{PK: "T#a#R", SK: fmt.Sprintf("create-%d", round)}
			errs := Race(2, func(i int) error {
				_, err := tb.Put(ctx, item(k.PK, k.SK, fmt.Sprint(i)), table.CondAbsent)
				return err
			})
			checkOneWinner(t, errs)
		}
	})
	t.Run("two updaters of one version, one wins", func(t *testing.T) {
		for round := range 5 {
			k := table.Key{PK: "T#a#R", SK: fmt.Sprintf("update-%d", round)}
			v := mustPut(t, tb, item(k.PK, k.SK, "base"))
			errs := Race(2, func(i int) error {
				_, err := tb.Put(ctx, item(k.PK, k.SK, fmt.Sprint(i)), table.CondVersion(v))
				return err
			})
			winner := checkOneWinner(t, errs)
			if got := mustGet(t, tb, k); string(got.Data) != fmt.Sprint(winner) || got.Version != v+1 {
				t.Fatalf("stored %q v%d, want the winner %d at v%d", got.Data, got.Version, winner, v+1)
			}
		}
	})
}

// Race runs f(0..n-1) concurrently, released together, and returns their
// errors (the table suite's and the domain suite's races).
func Race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = f(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

func checkOneWinner(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("two writers won: %v", errs)
			}
			winner = i
		case !errors.Is(err, table.ErrConditionFailed):
			t.Fatalf("loser %d: want ErrConditionFailed, got %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer won: %v", errs)
	}
	return winner
}

func tableTransactions(t *testing.T, newTable TableFactory) {
	tb := newTable(t, NewClock())
	ctx := t.Context()

	t.Run("applies every write", func(t *testing.T) {
		mustPut(t, tb, item("T#a#TX", "gone", "x"))
		v := mustPut(t, tb, item("T#a#TX", "checked", "x"))
		err := tb.Transact(ctx, []table.Write{
			{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#TX", SK: "new"}, GSI1PK: "T#a#TXG", GSI1SK: "1", Data: []byte("n")}, Cond: table.CondAbsent},
			{Op: table.OpDelete, Key: table.Key{PK: "T#a#TX", SK: "gone"}, Cond: table.CondExists},
			{Op: table.OpCheck, Key: table.Key{PK: "T#a#TX", SK: "checked"}, Cond: table.CondVersion(v)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, tb, table.Key{PK: "T#a#TX", SK: "new"}); got.Version != 1 {
			t.Fatalf("new item version %d", got.Version)
		}
		wantNotFound(t, tb, table.Key{PK: "T#a#TX", SK: "gone"})
		page, err := tb.Query(ctx, table.Query{Index: table.GSI1, Partition: "T#a#TXG"})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("GSI after transaction: %v %v", page.Items, err)
		}
	})

	// A failing condition at any position leaves every item as it was.
	const n = 4
	for fail := range n {
		t.Run(fmt.Sprintf("all or nothing, write %d fails", fail), func(t *testing.T) {
			pk := fmt.Sprintf("T#a#AON%d", fail)
			for i := range n {
				mustPut(t, tb, item(pk, fmt.Sprint(i), "before"))
			}
			writes := make([]table.Write, n)
			for i := range n {
				cond := table.CondVersion(1)
				if i == fail {
					cond = table.CondVersion(99)
				}
				if i%2 == 0 {
					writes[i] = table.Write{Op: table.OpPut, Item: item(pk, fmt.Sprint(i), "after"), Cond: cond}
				} else {
					writes[i] = table.Write{Op: table.OpDelete, Key: table.Key{PK: pk, SK: fmt.Sprint(i)}, Cond: cond}
				}
			}
			err := tb.Transact(ctx, writes)
			var canceled *table.TxCanceled
			if !errors.As(err, &canceled) || canceled.Index != fail || !errors.Is(err, table.ErrConditionFailed) {
				t.Fatalf("want TxCanceled at %d, got %v", fail, err)
			}
			for i := range n {
				got := mustGet(t, tb, table.Key{PK: pk, SK: fmt.Sprint(i)})
				if string(got.Data) != "before" || got.Version != 1 {
					t.Fatalf("item %d changed by a failed transaction: %q v%d", i, got.Data, got.Version)
				}
			}
		})
	}

	t.Run("rejects malformed transactions", func(t *testing.T) {
		dup := []table.Write{
			{Op: table.OpPut, Item: item("T#a#D", "x", "1")},
			{Op: table.OpDelete, Key: table.Key{PK: "T#a#D", SK: "x"}},
		}
		if err := tb.Transact(ctx, dup); err == nil {
			t.Fatal("two writes to one key accepted")
		}
		wantNotFound(t, tb, table.Key{PK: "T#a#D", SK: "x"})
		if err := tb.Transact(ctx, nil); err == nil {
			t.Fatal("empty transaction accepted")
		}
		tooMany := make([]table.Write, table.MaxTransactItems+1)
		for i := range tooMany {
			tooMany[i] = table.Write{Op: table.OpPut, Item: item("T#a#D", fmt.Sprint(i), "")}
		}
		if err := tb.Transact(ctx, tooMany); err == nil {
			t.Fatal("oversized transaction accepted")
		}
	})
}

func tablePagination(t *testing.T, newTable TableFactory) {
	clock := NewClock()
	tb := newTable(t, clock)
	ctx := t.Context()
	const n = 7
	var want []string
	for i := range n {
		sk := fmt.Sprintf("k%02d", i)
		want = append(want, sk)
		mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#P", SK: sk}, GSI1PK: "T#a#PG", GSI1SK: fmt.Sprintf("g%02d", n-i), Data: []byte(sk)})
	}
	// Neighbouring partitions must not leak into the pages.
	mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#P0", SK: "k00"}, GSI1PK: "T#a#PG0", GSI1SK: "g00"})
	mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#", SK: "k99"}, GSI1PK: "T#a#P", GSI1SK: "g99"})

	walk := func(q table.Query) []string { t.Helper(); return walkQuery(t, tb, q) }
	rev := slices.Clone(want)
	slices.Reverse(rev)
	cases := []struct {
		name string
		q    table.Query
		want []string
	}{
		{"ascending by 3", table.Query{Partition: "T#a#P", Limit: 3}, want},
		{"descending by 2", table.Query{Partition: "T#a#P", Limit: 2, Desc: true}, rev},
		{"exact multiple", table.Query{Partition: "T#a#P", Limit: 7}, want},
		{"one page", table.Query{Partition: "T#a#P"}, want},
		{"prefix", table.Query{Partition: "T#a#P", Prefix: "k0", Limit: 2}, want},
		{"from inclusive to exclusive", table.Query{Partition: "T#a#P", From: "k02", To: "k05", Limit: 2}, want[2:5]},
		{"range descending", table.Query{Partition: "T#a#P", From: "k02", To: "k05", Limit: 1, Desc: true}, []string{"k04", "k03", "k02"}},
		{"prefix and bounds intersect", table.Query{Partition: "T#a#P", Prefix: "k0", From: "k05"}, want[5:]},
		{"empty range", table.Query{Partition: "T#a#P", From: "k05", To: "k05"}, nil},
		{"no such prefix", table.Query{Partition: "T#a#P", Prefix: "z"}, nil},
		{"GSI ordered by GSI1SK", table.Query{Index: table.GSI1, Partition: "T#a#PG", Limit: 2}, rev},
		{"GSI descending", table.Query{Index: table.GSI1, Partition: "T#a#PG", Limit: 3, Desc: true}, want},
		{"GSI range", table.Query{Index: table.GSI1, Partition: "T#a#PG", From: "g03", To: "g06"}, []string{"k04", "k03", "k02"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := walk(c.q); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}

	t.Run("expired items do not shorten pages", func(t *testing.T) {
		for i := range 6 {
			exp := int64(0)
			if i%2 == 0 {
				exp = clock.Now().Add(time.Minute).Unix()
			}
			mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#PE", SK: fmt.Sprint(i)}, ExpiresAt: exp})
		}
		clock.Advance(2 * time.Minute)
		if got := walk(table.Query{Partition: "T#a#PE", Limit: 2}); !slices.Equal(got, []string{"1", "3", "5"}) {
			t.Fatalf("got %v", got)
		}
	})

	t.Run("rejects a query without partition", func(t *testing.T) {
		if _, err := tb.Query(ctx, table.Query{}); err == nil {
			t.Fatal("accepted")
		}
	})
}

func tableExpiry(t *testing.T, newTable TableFactory) {
	clock := NewClock()
	tb := newTable(t, clock)
	ctx := t.Context()
	k := table.Key{PK: "T#a#E", SK: "e"}
	exp := clock.Now().Add(time.Minute).Unix()
	mustPut(t, tb, table.Item{Key: k, GSI1PK: "T#a#EG", GSI1SK: "e", ExpiresAt: exp, Data: []byte("x")})
	if got := mustGet(t, tb, k); got.ExpiresAt != exp {
		t.Fatalf("ExpiresAt = %d, want %d", got.ExpiresAt, exp)
	}
	clock.Advance(59 * time.Second)
	mustGet(t, tb, k)
	clock.Advance(time.Second) // ExpiresAt == now: expired
	wantNotFound(t, tb, k)
	for _, idx := range []table.Index{table.Primary, table.GSI1} {
		part := "T#a#E"
		if idx == table.GSI1 {
			part = "T#a#EG"
		}
		page, err := tb.Query(ctx, table.Query{Index: idx, Partition: part})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("query index %d returned an expired item: %v %v", idx, page.Items, err)
		}
	}
	if _, err := tb.Put(ctx, item(k.PK, k.SK, "x"), table.CondExists); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("IfExists on an expired item: %v", err)
	}
	if err := tb.Transact(ctx, []table.Write{{Op: table.OpCheck, Key: k, Cond: table.CondExists}}); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("transaction check on an expired item: %v", err)
	}
	if v, err := tb.Put(ctx, item(k.PK, k.SK, "reborn"), table.CondAbsent); err != nil || v < 1 {
		t.Fatalf("IfAbsent over an expired item: %d %v", v, err)
	}
	if got := mustGet(t, tb, k); string(got.Data) != "reborn" || got.ExpiresAt != 0 {
		t.Fatalf("after rebirth: %+v", got)
	}
}

// walkQuery pages through q to its end and returns the sort keys of the items
// it read, checking each page against its limit (never over it, and short
// only on the last page).
func walkQuery(t *testing.T, tb table.Table, q table.Query) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("pagination does not end")
		}
		page, err := tb.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > q.EffectiveLimit() {
			t.Fatalf("page of %d items for limit %d", len(page.Items), q.EffectiveLimit())
		}
		if page.Next != nil && len(page.Items) < q.EffectiveLimit() {
			t.Fatalf("short page (%d) with a next position", len(page.Items))
		}
		for _, it := range page.Items {
			got = append(got, it.SK)
		}
		if page.Next == nil {
			return got
		}
		q.After = page.Next
	}
}

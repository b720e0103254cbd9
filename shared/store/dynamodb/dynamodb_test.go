package dynamodb_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/store/table"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
)

// newTable is the engine on a fresh emulator table, for the conformance suites.
func newTable(t *testing.T, clock *tabletest.Clock) table.Table {
	t.Helper()
	client, name := awstest.NewTable(t)
	return dynamodb.New(client, name, clock.Now)
}

func TestConformanceTable(t *testing.T) {
	tabletest.RunTable(t, newTable)
}

func TestConformanceStore(t *testing.T) {
	// moto deep-copies its table for every item of every transaction, so the
	// cascade's cost grows with the square of the table; 100 agents are four
	// batches and the crash-and-retry, as the 250 of the embedded run.
	storetest.RunWith(t, newTable, storetest.Options{CascadeAgents: 100})
}

// clock is the suite's settable clock with an epoch-seconds reading.
type clock struct{ *tabletest.Clock }

func (c clock) unix() int64 { return c.Now().Unix() }

func (c clock) advance(d time.Duration) { c.Advance(d) }

type fixture struct {
	tab    *dynamodb.Table
	clock  clock
	client *sdk.Client
	name   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	client, name := awstest.NewTable(t)
	c := clock{tabletest.NewClock()}
	return &fixture{tab: dynamodb.New(client, name, c.Now), clock: c, client: client, name: name}
}

func key(pk, sk string) table.Key { return table.Key{PK: pk, SK: sk} }

func item(pk, sk, data string) table.Item {
	return table.Item{Key: key(pk, sk), Data: []byte(data)}
}

func mustPut(t *testing.T, tab table.Table, it table.Item, cond table.Cond) int64 {
	t.Helper()
	v, err := tab.Put(t.Context(), it, cond)
	if err != nil {
		t.Fatalf("put %v: %v", it.Key, err)
	}
	return v
}

func TestGetPutDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	k := key("T#a#AGENT#1", "META")

	if _, err := f.tab.Get(ctx, k); err != table.ErrNotFound {
		t.Fatalf("get missing: err = %v, want ErrNotFound", err)
	}
	full := table.Item{Key: k, GSI1PK: "T#a#BYNAME", GSI1SK: "bot", ExpiresAt: f.clock.unix() + 60, Data: []byte(`{"n":1}`)}
	if v := mustPut(t, f.tab, full, table.CondAlways); v != 1 {
		t.Fatalf("first put: version %d, want 1", v)
	}
	got, err := f.tab.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	want := full
	want.Version = 1
	if !itemEqual(got, want) {
		t.Fatalf("get = %+v, want %+v", got, want)
	}

	// A put replaces the whole item: optional attributes it lacks disappear.
	bare := table.Item{Key: k, Data: []byte(`{"n":2}`), Version: 99} // Version is the engine's
	if v := mustPut(t, f.tab, bare, table.CondAlways); v != 2 {
		t.Fatalf("second put: version %d, want 2", v)
	}
	got, err = f.tab.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	want = bare
	want.Version = 2
	if !itemEqual(got, want) {
		t.Fatalf("get after replace = %+v, want %+v", got, want)
	}
	out, err := f.client.GetItem(ctx, &sdk.GetItemInput{TableName: aws.String(f.name), Key: rawKey(k), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"GSI1PK", "GSI1SK", "ExpiresAt"} {
		if _, ok := out.Item[a]; ok {
			t.Errorf("attribute %s survived a put without it", a)
		}
	}
	page, err := f.tab.Query(ctx, table.Query{Index: table.GSI1, Partition: "T#a#BYNAME"})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("GSI1 still holds the item: %+v, %v", page.Items, err)
	}

	// Empty data round-trips as empty.
	mustPut(t, f.tab, table.Item{Key: k}, table.CondAlways)
	if got, err := f.tab.Get(ctx, k); err != nil || len(got.Data) != 0 || got.Version != 3 {
		t.Fatalf("empty data: %+v, %v", got, err)
	}

	if err := f.tab.Delete(ctx, k, table.CondAlways); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tab.Get(ctx, k); err != table.ErrNotFound {
		t.Fatalf("get deleted: err = %v", err)
	}
	if err := f.tab.Delete(ctx, k, table.CondAlways); err != nil {
		t.Fatalf("delete absent with Always: %v", err)
	}
	// After a delete the version starts over.
	if v := mustPut(t, f.tab, bare, table.CondAlways); v != 1 {
		t.Fatalf("put after delete: version %d, want 1", v)
	}
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	tests := []struct {
		name string
		run  func() error
	}{
		{"put NUL in key", func() error { _, err := f.tab.Put(ctx, item("p", "s\x00", "d"), table.CondAlways); return err }},
		{"get empty key", func() error { _, err := f.tab.Get(ctx, key("", "x")); return err }},
		{"put empty sort key", func() error { _, err := f.tab.Put(ctx, item("p", "", "d"), table.CondAlways); return err }},
		{"put half GSI1 key", func() error {
			_, err := f.tab.Put(ctx, table.Item{Key: key("p", "s"), GSI1PK: "g"}, table.CondAlways)
			return err
		}},
		{"put unknown condition", func() error { _, err := f.tab.Put(ctx, item("p", "s", "d"), table.Cond{Kind: 9}); return err }},
		{"delete empty key", func() error { return f.tab.Delete(ctx, key("p", ""), table.CondAlways) }},
		{"query without partition", func() error { _, err := f.tab.Query(ctx, table.Query{}); return err }},
		{"query unknown index", func() error { _, err := f.tab.Query(ctx, table.Query{Index: 7, Partition: "p"}); return err }},
		{"query invalid utf-8", func() error { _, err := f.tab.Query(ctx, table.Query{Partition: "p", Prefix: "\xff"}); return err }},
		{"query incomplete GSI1 position", func() error {
			_, err := f.tab.Query(ctx, table.Query{Index: table.GSI1, Partition: "p", After: &table.Position{GSI1SK: "x"}})
			return err
		}},
		{"empty transaction", func() error { return f.tab.Transact(ctx, nil) }},
		{"transaction writes a key twice", func() error {
			return f.tab.Transact(ctx, []table.Write{
				{Op: table.OpPut, Item: item("p", "s", "1")},
				{Op: table.OpDelete, Key: key("p", "s")},
			})
		}},
		{"transaction with half GSI1 key", func() error {
			return f.tab.Transact(ctx, []table.Write{{Op: table.OpPut, Item: table.Item{Key: key("p", "s"), GSI1SK: "x"}}})
		}},
		{"transaction with unknown condition", func() error {
			return f.tab.Transact(ctx, []table.Write{{Op: table.OpCheck, Key: key("p", "s"), Cond: table.Cond{Kind: 9}}})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, table.ErrNotFound) || errors.Is(err, table.ErrConditionFailed) {
				t.Fatalf("err = %v, want a validation error", err)
			}
		})
	}
	// Nothing was written.
	if _, err := f.tab.Get(ctx, key("p", "s")); err != table.ErrNotFound {
		t.Fatalf("invalid writes left an item: %v", err)
	}
}

// state is what sits at the key before a conditional write.
type state int

const (
	absent  state = iota
	live          // at version 1
	expired       // at version 1, ExpiresAt passed, not deleted
)

func (s state) String() string { return [...]string{"absent", "live", "expired"}[s] }

// setup puts the key into state s.
func (f *fixture) setup(t *testing.T, k table.Key, s state) {
	t.Helper()
	switch s {
	case live:
		mustPut(t, f.tab, table.Item{Key: k, Data: []byte("old")}, table.CondAbsent)
	case expired:
		mustPut(t, f.tab, table.Item{Key: k, Data: []byte("old"), ExpiresAt: f.clock.unix() + 5}, table.CondAbsent)
		f.clock.advance(5 * time.Second)
	}
}

func TestConditionalPut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		cond    table.Cond
		state   state
		version int64 // 0: the condition fails
	}{
		{table.CondAlways, absent, 1},
		{table.CondAlways, live, 2},
		{table.CondAlways, expired, 1},
		{table.CondAbsent, absent, 1},
		{table.CondAbsent, live, 0},
		{table.CondAbsent, expired, 1},
		{table.CondExists, absent, 0},
		{table.CondExists, live, 2},
		{table.CondExists, expired, 0},
		{table.CondVersion(1), absent, 0},
		{table.CondVersion(1), live, 2},
		{table.CondVersion(1), expired, 0},
		{table.CondVersion(2), live, 0},
		{table.CondVersion(0), live, 0},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%+v on %v", tc.cond, tc.state), func(t *testing.T) {
			k := key(fmt.Sprintf("T#c#%d", i), "S")
			f.setup(t, k, tc.state)
			v, err := f.tab.Put(t.Context(), table.Item{Key: k, Data: []byte("new")}, tc.cond)
			if tc.version == 0 {
				if err != table.ErrConditionFailed {
					t.Fatalf("err = %v, want ErrConditionFailed", err)
				}
				if v != 0 {
					t.Fatalf("failed put returned version %d", v)
				}
				f.expectUnchanged(t, k, tc.state)
				return
			}
			if err != nil || v != tc.version {
				t.Fatalf("put = %d, %v; want %d", v, err, tc.version)
			}
			got, err := f.tab.Get(t.Context(), k)
			if err != nil || string(got.Data) != "new" || got.Version != tc.version || got.ExpiresAt != 0 {
				t.Fatalf("get = %+v, %v", got, err)
			}
		})
	}
}

func TestConditionalDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		cond  table.Cond
		state state
		ok    bool
	}{
		{table.CondAlways, absent, true},
		{table.CondAlways, live, true},
		{table.CondAlways, expired, true},
		{table.CondAbsent, absent, true},
		{table.CondAbsent, live, false},
		{table.CondAbsent, expired, true},
		{table.CondExists, absent, false},
		{table.CondExists, live, true},
		{table.CondExists, expired, false},
		{table.CondVersion(1), absent, false},
		{table.CondVersion(1), live, true},
		{table.CondVersion(1), expired, false},
		{table.CondVersion(2), live, false},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprintf("%+v on %v", tc.cond, tc.state), func(t *testing.T) {
			k := key(fmt.Sprintf("T#d#%d", i), "S")
			f.setup(t, k, tc.state)
			err := f.tab.Delete(t.Context(), k, tc.cond)
			if !tc.ok {
				if err != table.ErrConditionFailed {
					t.Fatalf("err = %v, want ErrConditionFailed", err)
				}
				f.expectUnchanged(t, k, tc.state)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.tab.Get(t.Context(), k); err != table.ErrNotFound {
				t.Fatalf("get after delete: %v", err)
			}
		})
	}
}

// expectUnchanged checks that a failed write left the key in state s.
func (f *fixture) expectUnchanged(t *testing.T, k table.Key, s state) {
	t.Helper()
	got, err := f.tab.Get(t.Context(), k)
	if s == live {
		if err != nil || string(got.Data) != "old" || got.Version != 1 {
			t.Fatalf("live item changed: %+v, %v", got, err)
		}
		return
	}
	if err != table.ErrNotFound {
		t.Fatalf("%v key: get = %+v, %v", s, got, err)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	k := key("T#e", "JTI#1")
	mustPut(t, f.tab, table.Item{Key: k, ExpiresAt: f.clock.unix() + 10, Data: []byte("x")}, table.CondAbsent)
	f.clock.advance(9 * time.Second)
	if _, err := f.tab.Get(ctx, k); err != nil {
		t.Fatalf("one second before expiry: %v", err)
	}
	f.clock.advance(time.Second)
	if _, err := f.tab.Get(ctx, k); err != table.ErrNotFound {
		t.Fatalf("at expiry: err = %v, want ErrNotFound", err)
	}
	page, err := f.tab.Query(ctx, table.Query{Partition: "T#e"})
	if err != nil || len(page.Items) != 0 || page.Next != nil {
		t.Fatalf("query at expiry = %+v, %v", page, err)
	}
	// The expired item is still stored (the emulator, like late TTL, keeps it).
	out, err := f.client.GetItem(ctx, &sdk.GetItemInput{TableName: aws.String(f.name), Key: rawKey(k), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("expired item was deleted: %v", err)
	}
}

// seed writes sort keys SK#00..SK#(n-1) to partition p; the ones for which
// expire is true expire at the clock's start + 1 s, and the clock moves past it.
func seed(t *testing.T, f *fixture, p string, n int, expire func(i int) bool) []string {
	t.Helper()
	var liveKeys []string
	exp := f.clock.unix() + 1
	for i := range n {
		it := item(p, fmt.Sprintf("SK#%02d", i), fmt.Sprint(i))
		if expire(i) {
			it.ExpiresAt = exp
		} else {
			liveKeys = append(liveKeys, it.SK)
		}
		mustPut(t, f.tab, it, table.CondAlways)
	}
	f.clock.advance(time.Second)
	return liveKeys
}

// collect pages through q and returns every page's sort keys.
func collect(t *testing.T, tab table.Table, q table.Query) [][]string {
	t.Helper()
	var pages [][]string
	for range 100 {
		page, err := tab.Query(t.Context(), q)
		if err != nil {
			t.Fatalf("query %+v: %v", q, err)
		}
		var sks []string
		for _, it := range page.Items {
			sks = append(sks, it.SK)
		}
		pages = append(pages, sks)
		if page.Next == nil {
			return pages
		}
		if len(page.Items) != q.EffectiveLimit() {
			t.Fatalf("short page %v with a next position", sks)
		}
		last := page.Items[len(page.Items)-1]
		if *page.Next != (table.Position{PK: last.PK, SK: last.SK, GSI1SK: last.GSI1SK}) {
			t.Fatalf("Next = %+v, want the last item's position", *page.Next)
		}
		q.After = page.Next
	}
	t.Fatal("more than 100 pages")
	return nil
}

func TestQueryPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// 20 items: runs of expired items at the start, middle and end, so
	// DynamoDB pages hold fewer live items than asked for.
	expiredSet := map[int]bool{0: true, 1: true, 2: true, 5: true, 7: true, 8: true, 9: true, 10: true, 11: true, 17: true, 18: true, 19: true}
	liveKeys := seed(t, f, "T#p", 20, func(i int) bool { return expiredSet[i] })
	if len(liveKeys) != 8 {
		t.Fatalf("seeded %d live items", len(liveKeys))
	}
	// Another partition must not leak in.
	mustPut(t, f.tab, item("T#p2", "SK#03", "other"), table.CondAlways)

	desc := slices.Clone(liveKeys)
	slices.Reverse(desc)
	for _, tc := range []struct {
		limit int
		desc  bool
	}{{1, false}, {3, false}, {4, false}, {8, false}, {9, false}, {0, false}, {3, true}, {4, true}, {8, true}} {
		t.Run(fmt.Sprintf("limit %d desc %v", tc.limit, tc.desc), func(t *testing.T) {
			pages := collect(t, f.tab, table.Query{Partition: "T#p", Limit: tc.limit, Desc: tc.desc})
			want := liveKeys
			if tc.desc {
				want = desc
			}
			if got := slices.Concat(pages...); !slices.Equal(got, want) {
				t.Fatalf("pages %v, want %v", pages, want)
			}
			lim := table.Query{Limit: tc.limit}.EffectiveLimit()
			if wantPages := max(1, (len(want)+lim-1)/lim); len(pages) != wantPages {
				t.Fatalf("%d pages %v, want %d: the last full page must not promise a next one", len(pages), pages, wantPages)
			}
		})
	}
}

func TestQueryAllExpired(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seed(t, f, "T#x", 6, func(int) bool { return true })
	page, err := f.tab.Query(t.Context(), table.Query{Partition: "T#x", Limit: 2})
	if err != nil || len(page.Items) != 0 || page.Next != nil {
		t.Fatalf("query = %+v, %v; want an empty last page", page, err)
	}
}

func TestQueryRanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	sks := []string{"A", "E#", "E#1", "E#2", "E#2x", "E#3", "E$", "E%", "F", "caf\u00e9", "caf\u00e9#1", "caf\u00ea"}
	for i, sk := range sks {
		// The same layout on GSI1, under another table partition per item.
		it := table.Item{Key: key(fmt.Sprintf("T#r#%02d", i), sk), GSI1PK: "T#r#IDX", GSI1SK: sk}
		mustPut(t, f.tab, it, table.CondAlways)
		mustPut(t, f.tab, item("T#r", sk, ""), table.CondAlways)
	}
	tests := []struct{ prefix, from, to string }{
		{}, {prefix: "E#"}, {prefix: "E"}, {from: "E#2"}, {to: "E#2"}, {from: "E#1", to: "E#3"},
		{prefix: "E#", from: "E#2"}, {prefix: "E#", to: "E#3"}, {prefix: "E#", from: "E#1", to: "E#2x"},
		{prefix: "E#", to: "Z"}, {prefix: "E#", from: "A"}, {prefix: "E#", from: "F"}, {prefix: "E#", to: "E"},
		{from: "E#3", to: "E#3"}, {prefix: "caf\u00e9"}, {prefix: "caf\u00e9", from: "caf\u00e9#"}, {prefix: "Z"},
	}
	for _, tc := range tests {
		var want []string
		for _, sk := range sks {
			if strings.HasPrefix(sk, tc.prefix) && (tc.from == "" || sk >= tc.from) && (tc.to == "" || sk < tc.to) {
				want = append(want, sk)
			}
		}
		for _, ix := range []table.Index{table.Primary, table.GSI1} {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%+v ix %d desc %v", tc, ix, desc), func(t *testing.T) {
					part := "T#r"
					if ix == table.GSI1 {
						part = "T#r#IDX"
					}
					for _, limit := range []int{0, 2} {
						q := table.Query{Index: ix, Partition: part, Prefix: tc.prefix, From: tc.from, To: tc.to, Desc: desc, Limit: limit}
						got := slices.Concat(collect(t, f.tab, q)...)
						w := slices.Clone(want)
						if desc {
							slices.Reverse(w)
						}
						if !slices.Equal(got, w) {
							t.Fatalf("limit %d: got %q, want %q", limit, got, w)
						}
					}
				})
			}
		}
	}
	// A position outside the range: before it reads from the start (or, in
	// descending order, nothing); past it, nothing (or from the start).
	q := table.Query{Partition: "T#r", Prefix: "E#", From: "E#1", To: "E#3"}
	for _, tc := range []struct {
		after string
		desc  bool
		want  []string
	}{
		{"A", false, []string{"E#1", "E#2", "E#2x"}},
		{"A", true, nil},
		{"F", false, nil},
		{"F", true, []string{"E#2x", "E#2", "E#1"}},
		{"E#3", false, nil},
		{"E#2", false, []string{"E#2x"}},
		{"E#2", true, []string{"E#1"}},
	} {
		q := q
		q.After, q.Desc = &table.Position{PK: "T#r", SK: tc.after}, tc.desc
		page, err := f.tab.Query(ctx, q)
		if err != nil {
			t.Fatalf("after %s: %v", tc.after, err)
		}
		if got := sortKeys(page.Items); !slices.Equal(got, tc.want) || page.Next != nil {
			t.Errorf("after %q desc %v: %q next %v, want %q", tc.after, tc.desc, got, page.Next, tc.want)
		}
	}
}

func TestQueryGSI1(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	// Several table items share one GSI1 sort key: paging must not skip or
	// repeat any of them. One is expired, one is in another index partition.
	var want []table.Item
	for i := range 7 {
		it := table.Item{Key: key(fmt.Sprintf("T#g#AGENT#%d", i), "META"), GSI1PK: "T#g#BYUSER#u1", GSI1SK: fmt.Sprintf("C#%d", i/3), Data: []byte{byte(i)}}
		if i == 4 {
			it.ExpiresAt = f.clock.unix() + 1
		} else {
			want = append(want, it)
		}
		mustPut(t, f.tab, it, table.CondAlways)
	}
	mustPut(t, f.tab, table.Item{Key: key("T#g#AGENT#x", "META"), GSI1PK: "T#g#BYUSER#u2", GSI1SK: "C#0"}, table.CondAlways)
	f.clock.advance(time.Second)

	var got []table.Item
	q := table.Query{Index: table.GSI1, Partition: "T#g#BYUSER#u1", Limit: 2}
	for {
		page, err := f.tab.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Items...)
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d", len(got), len(want))
	}
	seen := map[table.Key]bool{}
	for i, it := range got {
		if seen[it.Key] {
			t.Fatalf("item %v returned twice", it.Key)
		}
		seen[it.Key] = true
		if i > 0 && it.GSI1SK < got[i-1].GSI1SK {
			t.Fatalf("out of order: %q after %q", it.GSI1SK, got[i-1].GSI1SK)
		}
		w := want[slices.IndexFunc(want, func(w table.Item) bool { return w.Key == it.Key })]
		w.Version = 1
		if !itemEqual(it, w) {
			t.Fatalf("item %+v, want %+v", it, w)
		}
	}
}

func TestTransact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	p := "T#tx"
	mustPut(t, f.tab, item(p, "LIVE", "v1"), table.CondAlways)                                                            // version 1
	mustPut(t, f.tab, table.Item{Key: key(p, "OLD"), Data: []byte("o"), ExpiresAt: f.clock.unix() + 1}, table.CondAlways) // version 1, expires
	mustPut(t, f.tab, item(p, "OLD2", "o"), table.CondAlways)
	mustPut(t, f.tab, item(p, "OLD2", "o"), table.CondAlways)
	mustPut(t, f.tab, table.Item{Key: key(p, "OLD2"), Data: []byte("o"), ExpiresAt: f.clock.unix() + 1}, table.CondAlways) // version 3, expires
	f.clock.advance(time.Second)

	t.Run("a failed condition writes nothing and names the write", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			fail  table.Write
			index int
		}{
			{"put IfAbsent over live", table.Write{Op: table.OpPut, Item: item(p, "LIVE", "x"), Cond: table.CondAbsent}, 2},
			{"put IfVersion stale", table.Write{Op: table.OpPut, Item: item(p, "LIVE", "x"), Cond: table.CondVersion(7)}, 2},
			{"put IfExists over expired", table.Write{Op: table.OpPut, Item: item(p, "OLD", "x"), Cond: table.CondExists}, 2},
			{"delete IfExists absent", table.Write{Op: table.OpDelete, Key: key(p, "NONE"), Cond: table.CondExists}, 2},
			{"delete IfVersion of expired", table.Write{Op: table.OpDelete, Key: key(p, "OLD"), Cond: table.CondVersion(1)}, 2},
			{"check IfAbsent on live", table.Write{Op: table.OpCheck, Key: key(p, "LIVE"), Cond: table.CondAbsent}, 2},
			{"check IfExists on expired", table.Write{Op: table.OpCheck, Key: key(p, "OLD"), Cond: table.CondExists}, 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				writes := []table.Write{
					{Op: table.OpPut, Item: item(p, "NEW1", "n"), Cond: table.CondAbsent},
					// An Always put over an expired item: it takes its
					// other form, and the real failure is still reported.
					{Op: table.OpPut, Item: item(p, "OLD2", "n"), Cond: table.CondAlways},
					tc.fail,
					{Op: table.OpPut, Item: item(p, "NEW2", "n"), Cond: table.CondAlways},
				}
				err := f.tab.Transact(ctx, writes)
				var tce *table.TxCanceled
				if !errors.As(err, &tce) || tce.Index != tc.index || !errors.Is(err, table.ErrConditionFailed) {
					t.Fatalf("err = %v, want TxCanceled at %d", err, tc.index)
				}
				for _, k := range []string{"NEW1", "NEW2", "OLD2"} {
					if _, err := f.tab.Get(ctx, key(p, k)); err != table.ErrNotFound {
						t.Fatalf("%s written by a canceled transaction: %v", k, err)
					}
				}
				if got, err := f.tab.Get(ctx, key(p, "LIVE")); err != nil || got.Version != 1 || string(got.Data) != "v1" {
					t.Fatalf("LIVE changed: %+v %v", got, err)
				}
			})
		}
	})

	t.Run("every write applies", func(t *testing.T) {
		writes := []table.Write{
			{Op: table.OpPut, Item: item(p, "NEW1", "n"), Cond: table.CondAbsent},
			{Op: table.OpPut, Item: item(p, "OLD2", "n"), Cond: table.CondAlways}, // expired at version 3: restarts at 1
			{Op: table.OpPut, Item: table.Item{Key: key(p, "LIVE"), Data: []byte("v2"), GSI1PK: "T#tx#IX", GSI1SK: "1"}, Cond: table.CondVersion(1)},
			{Op: table.OpPut, Item: item(p, "OLD", "n"), Cond: table.CondAbsent}, // expired counts as absent
			{Op: table.OpCheck, Key: key(p, "NONE"), Cond: table.CondAbsent},
			{Op: table.OpCheck, Key: key(p, "NONE2"), Cond: table.CondAlways},
			{Op: table.OpDelete, Key: key(p, "NONE3"), Cond: table.CondAlways},
		}
		if err := f.tab.Transact(ctx, writes); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]int64{"NEW1": 1, "OLD2": 1, "LIVE": 2, "OLD": 1} {
			got, err := f.tab.Get(ctx, key(p, k))
			if err != nil || got.Version != want || string(got.Data) == "o" {
				t.Errorf("%s = %+v, %v; want version %d", k, got, err, want)
			}
		}
		page, err := f.tab.Query(ctx, table.Query{Index: table.GSI1, Partition: "T#tx#IX"})
		if err != nil || len(page.Items) != 1 || page.Items[0].SK != "LIVE" {
			t.Fatalf("GSI1 = %+v, %v", page, err)
		}
	})

	t.Run("updates and deletes", func(t *testing.T) {
		writes := []table.Write{
			{Op: table.OpPut, Item: item(p, "NEW1", "n2"), Cond: table.CondAlways}, // live at 1 → 2
			{Op: table.OpPut, Item: item(p, "LIVE", "v3"), Cond: table.CondExists}, // 2 → 3, leaves GSI1
			{Op: table.OpDelete, Key: key(p, "OLD"), Cond: table.CondVersion(1)},
			{Op: table.OpCheck, Key: key(p, "OLD2"), Cond: table.CondVersion(1)},
		}
		if err := f.tab.Transact(ctx, writes); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]int64{"NEW1": 2, "LIVE": 3, "OLD2": 1} {
			if got, err := f.tab.Get(ctx, key(p, k)); err != nil || got.Version != want {
				t.Errorf("%s = %+v, %v; want version %d", k, got, err, want)
			}
		}
		if _, err := f.tab.Get(ctx, key(p, "OLD")); err != table.ErrNotFound {
			t.Errorf("OLD not deleted: %v", err)
		}
		if page, err := f.tab.Query(ctx, table.Query{Index: table.GSI1, Partition: "T#tx#IX"}); err != nil || len(page.Items) != 0 {
			t.Fatalf("GSI1 = %+v, %v", page, err)
		}
	})
}

// TestConcurrentConditionalWrites: of writers racing on one condition,
// exactly one wins.
func TestConcurrentConditionalWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	const writers = 6
	for _, tc := range []struct {
		name string
		cond table.Cond
		prep bool
	}{{"IfAbsent", table.CondAbsent, false}, {"IfVersion", table.CondVersion(1), true}} {
		t.Run(tc.name, func(t *testing.T) {
			k := key("T#cc", tc.name)
			if tc.prep {
				mustPut(t, f.tab, table.Item{Key: k}, table.CondAbsent)
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					_, err := f.tab.Put(ctx, table.Item{Key: k, Data: []byte{byte(i)}}, tc.cond)
					switch {
					case err == nil:
						wins.Add(1)
					case err != table.ErrConditionFailed:
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("%d writers won, want 1", n)
			}
		})
	}
}

func itemEqual(a, b table.Item) bool {
	return a.Key == b.Key && a.GSI1PK == b.GSI1PK && a.GSI1SK == b.GSI1SK && a.ExpiresAt == b.ExpiresAt &&
		a.Version == b.Version && bytes.Equal(a.Data, b.Data)
}

func sortKeys(items []table.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.SK)
	}
	return out
}

func rawKey(k table.Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: k.PK},
		"SK": &types.AttributeValueMemberS{Value: k.SK},
	}
}

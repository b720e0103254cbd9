package tabletest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store/table"
)

// tableGSI2 holds the second index to GSI1's rules: both keys or neither,
// sparse, maintained on overwrite and delete, queried and paged by GSI2SK,
// expired entries hidden; an item may be in both indexes at once.
func tableGSI2(t *testing.T, newTable TableFactory) {
	clock := NewClock()
	tb := newTable(t, clock)
	ctx := t.Context()

	if _, err := tb.Put(ctx, table.Item{Key: table.Key{PK: "p", SK: "s"}, GSI2SK: "x"}, table.CondAlways); err == nil {
		t.Fatal("put accepted GSI2SK without GSI2PK")
	}
	if _, err := tb.Put(ctx, table.Item{Key: table.Key{PK: "p", SK: "s"}, GSI2PK: "g\x00", GSI2SK: "x"}, table.CondAlways); err == nil {
		t.Fatal("put accepted a NUL in GSI2PK")
	}

	const n = 7
	var want []string
	for i := range n {
		sk := fmt.Sprintf("k%02d", i)
		want = append(want, sk)
		mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#Q", SK: sk},
			GSI1PK: "T#a#Q1", GSI1SK: fmt.Sprintf("a%02d", i),
			GSI2PK: "T#a#Q2", GSI2SK: fmt.Sprintf("g%02d", n-i), Data: []byte(sk)})
	}
	// Neighbours, and an item in GSI2 only.
	mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#Q0", SK: "k00"}, GSI2PK: "T#a#Q20", GSI2SK: "g00"})
	mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#", SK: "k99"}, GSI2PK: "T#a#Q", GSI2SK: "g99"})

	got := mustGet(t, tb, table.Key{PK: "T#a#Q", SK: "k03"})
	if got.GSI2PK != "T#a#Q2" || got.GSI2SK != "g04" || got.GSI1PK != "T#a#Q1" {
		t.Fatalf("get = %+v", got)
	}
	walk := func(q table.Query) []string { t.Helper(); return walkQuery(t, tb, q) }
	rev := slices.Clone(want)
	slices.Reverse(rev)
	cases := []struct {
		name string
		q    table.Query
		want []string
	}{
		{"ordered by GSI2SK", table.Query{Index: table.GSI2, Partition: "T#a#Q2", Limit: 2}, rev},
		{"descending", table.Query{Index: table.GSI2, Partition: "T#a#Q2", Limit: 3, Desc: true}, want},
		{"range", table.Query{Index: table.GSI2, Partition: "T#a#Q2", From: "g03", To: "g06", Limit: 1, Desc: true}, []string{"k02", "k03", "k04"}},
		{"prefix", table.Query{Index: table.GSI2, Partition: "T#a#Q2", Prefix: "g04"}, []string{"k03"}},
		{"GSI1 beside it", table.Query{Index: table.GSI1, Partition: "T#a#Q1", Limit: 4}, want},
		{"only its partition", table.Query{Index: table.GSI2, Partition: "T#a#Q"}, []string{"k99"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := walk(c.q); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}

	t.Run("overwrite and delete maintain it", func(t *testing.T) {
		k := table.Key{PK: "T#a#Q", SK: "k01"}
		mustPut(t, tb, table.Item{Key: k, GSI1PK: "T#a#Q1", GSI1SK: "a01", Data: []byte("no gsi2")})
		if got := mustGet(t, tb, k); got.GSI2PK != "" || got.GSI2SK != "" {
			t.Fatalf("overwrite kept GSI2 keys: %+v", got)
		}
		// A transaction moves another item within GSI2.
		err := tb.Transact(ctx, []table.Write{{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#Q", SK: "k02"}, GSI1PK: "T#a#Q1", GSI1SK: "a02", GSI2PK: "T#a#Q2", GSI2SK: "g50"}, Cond: table.CondExists}})
		if err != nil {
			t.Fatal(err)
		}
		if err := tb.Delete(ctx, table.Key{PK: "T#a#Q", SK: "k00"}, table.CondAlways); err != nil {
			t.Fatal(err)
		}
		if got := walk(table.Query{Index: table.GSI2, Partition: "T#a#Q2", Desc: true, Limit: 2}); !slices.Equal(got, []string{"k02", "k03", "k04", "k05", "k06"}) {
			t.Fatalf("after overwrite, move and delete: %v", got)
		}
		if got := walk(table.Query{Index: table.GSI1, Partition: "T#a#Q1"}); !slices.Equal(got, want[1:]) {
			t.Fatalf("GSI1 after the GSI2 changes: %v", got)
		}
	})

	t.Run("expired entries are hidden", func(t *testing.T) {
		exp := clock.Now().Add(time.Minute).Unix()
		mustPut(t, tb, table.Item{Key: table.Key{PK: "T#a#QE", SK: "e"}, GSI2PK: "T#a#QE2", GSI2SK: "e", ExpiresAt: exp})
		if got := walk(table.Query{Index: table.GSI2, Partition: "T#a#QE2"}); len(got) != 1 {
			t.Fatalf("live entry: %v", got)
		}
		clock.Advance(time.Minute)
		if got := walk(table.Query{Index: table.GSI2, Partition: "T#a#QE2"}); len(got) != 0 {
			t.Fatalf("expired entry listed: %v", got)
		}
	})
}

package embedded

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store/table"
)

// An item read through the cache expires on time and its Data is the
// caller's own.
func TestItemCacheExpiresAndCopies(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	dir := t.TempDir()
	tb := openPebbleAt(t, dir, &now)
	ctx := t.Context()
	k := table.Key{PK: "T#a#E", SK: "1"}
	if _, err := tb.Put(ctx, table.Item{Key: k, ExpiresAt: now.Unix() + 10, Data: []byte("abc")}, table.CondAlways); err != nil {
		t.Fatal(err)
	}
	a, err := tb.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	a.Data[0] = 'X'
	if b, _ := tb.Get(ctx, k); string(b.Data) != "abc" {
		t.Fatalf("a caller's change reached the cache: %q", b.Data)
	}
	now = now.Add(11 * time.Second)
	if _, err := tb.Get(ctx, k); err != table.ErrNotFound {
		t.Fatalf("expired item read from the cache: %v", err)
	}
}

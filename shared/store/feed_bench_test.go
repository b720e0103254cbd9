package store_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// feedRevocations is a tenant's 10,000 revocations: mostly single tokens
// (L1), with revoke-alls, users and patterns mixed in.
func feedRevocations(n int, now time.Time) []store.FeedEntry {
	es := make([]store.FeedEntry, n)
	for i := range es {
		switch i % 10 {
		case 0:
			es[i] = store.FeedEntry{Kind: store.FeedClient, ClientID: "shark_agent_" + ids.NanoID(), Before: now.Unix(), BeforeMS: now.UnixMilli()}
		case 1:
			es[i] = store.FeedEntry{Kind: store.FeedUser, Subject: ids.New("usr_"), Before: now.Unix(), BeforeMS: now.UnixMilli()}
		default:
			es[i] = store.FeedEntry{Kind: store.FeedToken, JTI: ids.TimeID(now), Expires: now.Add(time.Hour).Unix()}
		}
	}
	return es
}

// BenchmarkFeedPoll is the revocation feed's cost per poll on the embedded
// engine, for a tenant holding 10,000 revocations: "steady" is a poller
// whose cursor is at the head (it reads what the last FeedLag holds: here
// the 10 newest items), "cold" a poller's first read of all of them (20
// pages of 500).
func BenchmarkFeedPoll(b *testing.B) {
	clock := storetest.NewClock()
	tb, err := embedded.Open(filepath.Join(b.TempDir(), "feed.db"), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tb.Close() })
	s := store.New(tb, clock.Now)
	id := tenant.MustID("bench")
	const n = 10_000
	start := clock.Now()
	if err := store.SeedFeed(b.Context(), s, id, start, feedRevocations(n, start)); err != nil {
		b.Fatal(err)
	}
	// The newest 10 stay within FeedLag of the present.
	clock.Advance(store.FeedLag + time.Duration(n-10)*time.Microsecond)
	cursor := ""
	read := 0
	for {
		p, err := s.Feed(b.Context(), id, cursor, 0)
		if err != nil {
			b.Fatal(err)
		}
		read += len(p.Entries)
		cursor = p.Next
		if !p.More {
			break
		}
	}
	if read != n {
		b.Fatalf("read %d of %d", read, n)
	}
	b.Run("steady", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := s.Feed(b.Context(), id, cursor, 0)
			if err != nil || p.More || len(p.Entries) > 20 {
				b.Fatalf("%d entries, more %v, %v", len(p.Entries), p.More, err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, got := "", 0
			for {
				p, err := s.Feed(b.Context(), id, c, 0)
				if err != nil {
					b.Fatal(err)
				}
				got += len(p.Entries)
				if c = p.Next; !p.More {
					break
				}
			}
			if got != n {
				b.Fatalf("read %d", got)
			}
		}
	})
}

// dynamoSize is an item's size as DynamoDB bills it: each attribute's name
// and value (a string or binary its bytes, a number about one byte per two
// significant digits plus one), as the engine stores it (dynamodb.itemAttrs:
// PK, SK, ExpiresAt, Data, Version).
func dynamoSize(it store.Item) int {
	num := func(v int64) int { return (len(strconv.FormatInt(v, 10))+1)/2 + 1 }
	size := len("PK") + len(it.PK) + len("SK") + len(it.SK) + len("Data") + len(it.Data) + len("Version") + num(1)
	if it.ExpiresAt != 0 {
		size += len("ExpiresAt") + num(it.ExpiresAt)
	}
	if it.GSI1PK != "" {
		size += len("GSI1PK") + len(it.GSI1PK) + len("GSI1SK") + len(it.GSI1SK)
	}
	return size
}

// readUnits is what a strongly consistent Query reading items of these
// sizes costs: their total rounded up to 4 KB, one unit per 4 KB, at
// least one.
func readUnits(sizes ...int) int {
	total := 0
	for _, s := range sizes {
		total += s
	}
	return max(1, (total+4095)/4096)
}

// TestFeedReadUnits computes the DynamoDB read units of a poll from the
// feed's item sizes: a steady poll (what FeedLag holds: here up to 10
// items) fits in one unit, a full page of 500 L1 items costs its size over
// 4 KB, and a cold read of a tenant's 10,000 revocations the sum of its 20
// pages.
func TestFeedReadUnits(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	id := tenant.MustID("acme-corp")
	es := feedRevocations(10_000, now)
	sizes := make([]int, len(es))
	perKind := map[string]int{}
	for i, e := range es {
		sizes[i] = dynamoSize(store.FeedItem(id, now, e))
		perKind[e.Kind] = sizes[i]
	}
	steady := readUnits(sizes[:10]...)
	page := readUnits(sizes[:store.MaxFeedPage]...)
	cold := 0
	for start := 0; start < len(sizes); start += store.MaxFeedPage {
		cold += readUnits(sizes[start:min(start+store.MaxFeedPage, len(sizes))]...)
	}
	t.Logf("item bytes by kind: %v", perKind)
	t.Logf("read units (strongly consistent): steady poll %d, full page of %d %d, cold read of %d revocations %d", steady, store.MaxFeedPage, page, len(es), cold)
	if steady != 1 {
		t.Errorf("a steady poll costs %d units, want 1", steady)
	}
	if perKind[store.FeedToken] > 400 || perKind[store.FeedClient] > 400 {
		t.Errorf("items larger than expected: %v", perKind)
	}
	if page > 50 || cold > 1000 {
		t.Errorf("page %d units, cold %d", page, cold)
	}
	// One item per deactivation batch: a cascade's 25 agents in one item.
	var batch []store.FeedEntry
	for i := range 25 {
		batch = append(batch, store.FeedEntry{Kind: store.FeedClient, ClientID: fmt.Sprint("shark_agent_", ids.NanoID(), i), Before: now.Unix(), BeforeMS: now.UnixMilli()})
	}
	if sz := dynamoSize(store.FeedItem(id, now, batch...)); sz > 4096 {
		t.Errorf("a batch of 25 clients is %d bytes", sz)
	}
}

package store

import (
	"context"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// FeedItem is the stored item of a feed item holding es, written at now
// (for the read-unit arithmetic of the feed).
func FeedItem(t tenant.ID, now time.Time, es ...FeedEntry) Item {
	sc, _ := scopeOf(t)
	return feedWrite(sc, now, es...).Item
}

// SeedFeed writes one feed item per entry, a transaction per hundred, at
// now plus a microsecond per item (a tenant with many revocations, without
// issuing and revoking each token).
func SeedFeed(ctx context.Context, s *Store, t tenant.ID, now time.Time, es []FeedEntry) error {
	sc, err := scopeOf(t)
	if err != nil {
		return err
	}
	for start := 0; start < len(es); start += MaxTransactItems {
		var ws []write
		for i := start; i < min(start+MaxTransactItems, len(es)); i++ {
			ws = append(ws, feedWrite(sc, now.Add(time.Duration(i)*time.Microsecond), es[i]))
		}
		if err := s.table.Transact(ctx, ws); err != nil {
			return err
		}
	}
	return nil
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// RateCounter is one counter of HitEach: its name (per tenant) and the most
// hits its window allows.
type RateCounter struct {
	Name  string
	Limit int
}

// HitEach counts one event against each of counters (in one window of
// length window, as Hit counts one) and allows it when every counter has
// room. The counters are read at once (one query each, concurrently), then
// written in order, each with Hit's conditional put. A counter read as full
// refuses the event before anything is written, so a refused event spends
// no counter's budget. A counter that fills between its read and its write
// (a concurrent hit took the room) refuses the event then, and the counters
// after it are not counted: list them from the narrowest to the widest
// (register counts the source address before the tenant, so an address over
// its limit never spends the tenant's budget).
//
// The decision is the first refusing counter's (Counter is its index, Count
// its count, RetryAfter until its window ends), or, when allowed, the last
// counter's count.
func (s *Store) HitEach(ctx context.Context, t tenant.ID, window time.Duration, counters []RateCounter) (RateDecision, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return RateDecision{}, err
	}
	if window <= 0 || len(counters) == 0 {
		return RateDecision{}, errors.New("store: rate counter needs a window and a counter")
	}
	now := s.Now()
	start := now.Truncate(window)
	end := start.Add(window)
	cs := make([]*rateCounter, len(counters))
	for i, c := range counters {
		if c.Limit <= 0 {
			return RateDecision{}, errors.New("store: rate counter needs a limit")
		}
		if slices.ContainsFunc(counters[:i], func(o RateCounter) bool { return o.Name == c.Name }) {
			return RateDecision{}, fmt.Errorf("store: rate counter %s given twice", c.Name)
		}
		cs[i] = newRateCounter(sc, c, start, end)
	}
	// Read every counter at once: the event's first round trip is shared.
	errs := make([]error, len(cs))
	if len(cs) == 1 {
		errs[0] = cs[0].read(ctx, s)
	} else {
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Go(func() { errs[i] = c.read(ctx, s) })
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return RateDecision{}, err
	}
	for i, c := range cs {
		if c.full() {
			return RateDecision{Counter: i, Count: c.total, RetryAfter: end.Sub(now)}, nil
		}
	}
	var d RateDecision
	for i, c := range cs {
		allowed, err := c.hit(ctx, s)
		if err != nil {
			return RateDecision{}, err
		}
		if !allowed {
			return RateDecision{Counter: i, Count: c.total, RetryAfter: end.Sub(now)}, nil
		}
		d = RateDecision{Allowed: true, Count: c.total}
	}
	return d, nil
}

// rateCounter is one counter's window while a hit counts in it: its shard
// keys, and what the last read found.
type rateCounter struct {
	name              string
	limit             int
	partition, prefix string
	keys              []Key
	expires           int64

	// fresh: the last read is still the one to write from.
	fresh    bool
	counts   []int
	versions []int64
	total    int
	// writer is the tag of this hit's last write; landed is set when a
	// read finds it (a write answered as failed was applied).
	writer string
	landed bool
}

func newRateCounter(sc scope, c RateCounter, start, end time.Time) *rateCounter {
	n := min(rateShards, c.Limit)
	rc := &rateCounter{name: c.Name, limit: c.Limit, keys: make([]Key, n), expires: end.Add(time.Minute).Unix()}
	rc.partition, rc.prefix = rateWindow(sc, c.Name, start)
	for i := range rc.keys {
		rc.keys[i] = rateShardKey(sc, c.Name, start, i)
	}
	return rc
}

// read reads every shard of the window (one query).
func (c *rateCounter) read(ctx context.Context, s *Store) error {
	page, err := s.table.Query(ctx, Query{Partition: c.partition, Prefix: c.prefix})
	if err != nil {
		return err
	}
	n := len(c.keys)
	c.counts, c.versions, c.total = make([]int, n), make([]int64, n), 0
	for _, it := range page.Items {
		var rc rateCount
		if err := json.Unmarshal(it.Data, &rc); err != nil {
			return fmt.Errorf("store: decode rate counter: %w", err)
		}
		c.total += rc.Count
		c.landed = c.landed || c.writer != "" && rc.Writer == c.writer
		if i := slices.Index(c.keys, it.Key); i >= 0 {
			c.counts[i], c.versions[i] = rc.Count, it.Version
		}
	}
	c.fresh = true
	return nil
}

// room lists the shards with room left.
func (c *rateCounter) room() []int {
	var room []int
	for i := range c.keys {
		if c.counts[i] < rateShare(c.limit, len(c.keys), i) {
			room = append(room, i)
		}
	}
	return room
}

// full reports that the last read found no room for one more hit.
func (c *rateCounter) full() bool { return c.total >= c.limit || len(c.room()) == 0 }

// hit counts one hit, starting from the last read: it increments a shard
// with room (picked at random) with a conditional put, and on a lost
// condition reads again and picks again. It reports false when the counter
// is full (nothing counted); a hit that loses on every attempt is
// ErrContended, and counted nowhere.
func (c *rateCounter) hit(ctx context.Context, s *Store) (bool, error) {
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return false, err
		}
		if !c.fresh {
			if err := c.read(ctx, s); err != nil {
				return false, err
			}
		}
		c.fresh = false // a later attempt reads again
		if c.landed {
			return true, nil
		}
		room := c.room()
		if c.total >= c.limit || len(room) == 0 {
			return false, nil
		}
		i := room[randN(int64(len(room)))]
		cond := CondAbsent
		if c.versions[i] > 0 {
			cond = CondVersion(c.versions[i])
		}
		c.writer = strconv.FormatInt(randN(1<<62), 36)
		item := Item{Key: c.keys[i], ExpiresAt: c.expires, Data: marshal(rateCount{Count: c.counts[i] + 1, Writer: c.writer})}
		_, err := s.table.Put(ctx, item, cond)
		if err == nil {
			c.total++
			return true, nil
		}
		if !errors.Is(err, ErrConditionFailed) {
			return false, err
		}
	}
	return false, contended("rate counter %s", c.name)
}

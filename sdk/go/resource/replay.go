package resource

import (
	"container/heap"
	"errors"
	"sync"
	"time"
)

var (
	errReplayed   = errors.New("proof jti already seen")
	errReplayFull = errors.New("replay cache full")
)

// replayCache remembers proof jtis until the proof could no longer pass the
// iat window. It is bounded: when every slot holds a live entry it refuses
// new ones (fail closed) instead of forgetting one and letting a replay in.
type replayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]time.Time
	order expiryHeap
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: map[string]time.Time{}}
}

// add records jti until expires; errReplayed if it is already recorded.
func (c *replayCache) add(jti string, expires, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.order) > 0 && c.order[0].at.Before(now) {
		e := heap.Pop(&c.order).(entry)
		if c.seen[e.jti].Equal(e.at) {
			delete(c.seen, e.jti)
		}
	}
	if _, ok := c.seen[jti]; ok {
		return errReplayed
	}
	if len(c.seen) >= c.max {
		return errReplayFull
	}
	c.seen[jti] = expires
	heap.Push(&c.order, entry{jti: jti, at: expires})
	return nil
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type entry struct {
	jti string
	at  time.Time
}

type expiryHeap []entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(entry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

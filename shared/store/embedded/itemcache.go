package embedded

import (
	"hash/maphash"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/sharkauth/serverless/shared/store/table"
)

// itemCache keeps recently read items (and keys found absent) of the items
// space, so the reads every token makes (its client, the revocation markers
// it looks for) do not walk Pebble's memtables and tables each time. The
// table is the only writer of its files, so the cache stays coherent
// without a TTL:
//
//   - the committer, once a batch is applied (visible to reads) and before
//     any of its writers is answered, bumps the epoch of every item key the
//     batch wrote and drops the key's entry;
//   - a reader that misses notes the key's epoch before it reads and fills
//     the entry only if the epoch has not moved meanwhile: a read that may
//     have seen the value before a write never lands after it.
//
// Expiry is checked at every read (an entry keeps the item's ExpiresAt).
// The LRU (hashicorp/golang-lru) bounds the entries; the epochs are a fixed
// array of counters that keys share by hash.
type itemCache struct {
	mu     sync.Mutex
	lru    *lru.Cache[string, cachedItem]
	epochs [4096]uint64
	seed   maphash.Seed
}

// cachedItem is an item read at a key, or its absence (found false).
type cachedItem struct {
	item  table.Item
	found bool
}

// itemCacheSize is how many keys the cache holds (a few hundred KB).
const itemCacheSize = 4096

func newItemCache() *itemCache {
	c, _ := lru.New[string, cachedItem](itemCacheSize)
	return &itemCache{lru: c, seed: maphash.MakeSeed()}
}

func (c *itemCache) slot(k []byte) int { return int(maphash.Bytes(c.seed, k) % uint64(len(c.epochs))) }

// lookup returns the entry at k, or the epoch a fill must present.
func (c *itemCache) lookup(k []byte) (cachedItem, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.lru.Get(string(k)); ok {
		return e, true, 0
	}
	return cachedItem{}, false, c.epochs[c.slot(k)]
}

// fill stores what a read found at k, unless k was written since epoch.
func (c *itemCache) fill(k []byte, e cachedItem, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epochs[c.slot(k)] == epoch {
		c.lru.Add(string(k), e)
	}
}

// written invalidates the keys a batch wrote; the committer calls it after
// the batch is applied and before answering its writers.
func (c *itemCache) written(keys [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		c.epochs[c.slot(k)]++
		c.lru.Remove(string(k))
	}
}

// recordingWriter notes the item keys a batch sets or deletes.
type recordingWriter struct {
	kvWriter
	keys *[][]byte
}

func (r recordingWriter) Set(sp space, k, v []byte) error {
	if sp == spaceItems {
		*r.keys = append(*r.keys, append([]byte(nil), k...))
	}
	return r.kvWriter.Set(sp, k, v)
}

func (r recordingWriter) Delete(sp space, k []byte) error {
	if sp == spaceItems {
		*r.keys = append(*r.keys, append([]byte(nil), k...))
	}
	return r.kvWriter.Delete(sp, k)
}

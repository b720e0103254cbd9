package embedded

import (
	"bytes"
	"encoding/binary"
	"time"
)

// sweepEvery is how often expired items are deleted from the store (DynamoDB's
// TTL does it on AWS; reads treat them as absent either way).
const sweepEvery = time.Minute

// releaseEvery is how often the binding's maintenance runs: bbolt releases
// the pages of the file that reads and commits mapped in from the resident
// set (releaseMapped). Every commit reads the leaves it writes, and random
// keys (token ids, proof ids) land on a different leaf each time; the kernel
// maps up to 16 neighbouring pages per fault (fault-around), so the resident
// set is about what the load touched since the last release: under 8 DPoP
// connections on a 1 GB file, 60-120 MB per second. Every 200 ms keeps it
// near 40 MB for about 5% of the throughput (BENCHMARKS.md, 2026-12-02);
// every 5 s let it pass 200 MB.
const releaseEvery = 200 * time.Millisecond

func (t *Table) sweepLoop(every, maintainEvery time.Duration) {
	defer close(t.swept)
	sweep := time.NewTicker(every)
	defer sweep.Stop()
	maintain := time.NewTicker(maintainEvery)
	defer maintain.Stop()
	for {
		select {
		case <-t.stopSweep:
			return
		case <-sweep.C:
			t.Sweep()
		case <-maintain.C:
			t.kv.Maintain()
		}
	}
}

// sweepChunk is how many expired items one write of a sweep deletes. The
// expired keys are random (proof and token ids), so each delete rewrites its
// own leaf in bbolt: a small chunk keeps each sweep write's share of a group
// commit, and the memory of its dirty pages, small.
const sweepChunk = 500

// Sweep deletes the items that have expired (and their index entries), in
// chunks of one read and one write each, and says how many it deleted. It
// reads the expiry index up to now, never the rest of the store, so its cost
// follows what expired, not the size of the store. (In Pebble the deletes
// are tombstones; compaction then reclaims the space.)
func (t *Table) Sweep() (int, error) {
	total := 0
	var from []byte
	for {
		n, next, err := t.sweep(sweepChunk, from)
		total += n
		if err != nil || next == nil {
			return total, err
		}
		from = next
	}
}

// sweep deletes up to limit of the items whose expiry has passed, reading
// the expiry index from the key from (nil: its start), and returns where the
// next chunk starts, nil when no more may remain. Each chunk starts after
// the last one's entries: in Pebble the entries a chunk deleted are
// tombstones until compaction, which the next chunk would otherwise read
// again (an entry written meanwhile before from waits for the next sweep).
func (t *Table) sweep(limit int, from []byte) (int, []byte, error) {
	now := t.nowUnix()
	var entries [][]byte
	err := t.kv.View(func(r kvReader) error {
		c, err := r.Iter(spaceExpiry)
		if err != nil {
			return err
		}
		defer c.Close()
		ok := c.First()
		if from != nil {
			ok = c.SeekGE(from)
		}
		for ; ok && len(entries) < limit; ok = c.Next() {
			k := c.Key()
			if int64(binary.BigEndian.Uint64(k[:8])) > now {
				break
			}
			entries = append(entries, bytes.Clone(k))
		}
		return nil
	})
	t.kv.Maintain() // what the read mapped in is not the process's working set
	if err != nil || len(entries) == 0 {
		return 0, nil, err
	}
	deleted := 0
	err = t.write(func(w kvWriter) (error, error) {
		deleted = 0
		for _, e := range entries {
			// Still expired? A write since the read may have replaced the
			// item (and moved its entry) or deleted it.
			v, err := w.Get(spaceItems, e[8:])
			if err != nil {
				return nil, err
			}
			if v != nil {
				it, err := decode(v)
				if err != nil {
					return nil, err
				}
				if !it.Live(now) {
					if err := del(w, it.Key, &it); err != nil {
						return nil, err
					}
					deleted++
					continue
				}
			}
			if err := w.Delete(spaceExpiry, e); err != nil { // an entry whose item left or lives on elsewhere
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil || len(entries) < limit {
		return deleted, nil, err
	}
	last := entries[len(entries)-1]
	return deleted, append(last[:len(last):len(last)], 0), nil // the least key after last
}

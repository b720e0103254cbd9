package embedded_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sharkauth/serverless/shared/store/table"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
)

// Get answers from the item cache, so the cache must never serve a value
// older than a write that was acknowledged before the Get began: writers
// bump a counter item, and readers racing them check that what they read is
// at least what had been acknowledged when their read started. Deletes
// (the count going absent) and re-creations are covered too.
func TestItemCacheNeverServesAnAcknowledgedOverwrite(t *testing.T) {
	eachBinding(t, func(t *testing.T, newTable func(*testing.T, *tabletest.Clock) table.Table) {
		tb := newTable(t, tabletest.NewClock())
		ctx := t.Context()
		const keys = 4
		var acked [keys]atomic.Int64 // the last acknowledged count per key (-1: deleted)
		key := func(i int) table.Key { return table.Key{PK: "T#a#C", SK: strconv.Itoa(i)} }
		var wg sync.WaitGroup
		stop := make(chan struct{})
		errs := make(chan error, 16)
		for i := range keys {
			wg.Add(1)
			go func() { // the only writer of key i
				defer wg.Done()
				for n := int64(1); n <= 299; n++ {
					if n%50 == 0 {
						if err := tb.Delete(ctx, key(i), table.CondAlways); err != nil {
							errs <- err
							return
						}
						acked[i].Store(-n)
						continue
					}
					if _, err := tb.Put(ctx, table.Item{Key: key(i), Data: []byte(strconv.FormatInt(n, 10))}, table.CondAlways); err != nil {
						errs <- err
						return
					}
					acked[i].Store(n)
				}
			}()
		}
		var readers sync.WaitGroup
		for r := range 4 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for j := 0; ; j++ {
					select {
					case <-stop:
						return
					default:
					}
					i := (r + j) % keys
					floor := acked[i].Load()
					it, err := tb.Get(ctx, key(i))
					switch {
					case err == table.ErrNotFound:
						// Absent is right only when a delete was acknowledged
						// at floor or may have run since: the next delete after
						// floor is at most one operation past what is
						// acknowledged now.
						after := absCount(acked[i].Load())
						nextDelete := (absCount(floor)/50 + 1) * 50
						if floor > 0 && nextDelete > after+1 {
							errs <- fmt.Errorf("key %d absent after count %d was acknowledged (now %d)", i, floor, after)
							return
						}
					case err != nil:
						errs <- err
						return
					default:
						got, _ := strconv.ParseInt(string(it.Data), 10, 64)
						if absCount(floor) > got {
							errs <- fmt.Errorf("key %d: read %d after %d was acknowledged", i, got, absCount(floor))
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		readers.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// At rest every key reads its last write.
		for i := range keys {
			it, err := tb.Get(ctx, key(i))
			if err != nil || string(it.Data) != "299" {
				t.Fatalf("key %d at rest: %q %v", i, it.Data, err)
			}
		}
	})
}

func absCount(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

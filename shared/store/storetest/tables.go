package storetest

import (
	"sync"

	"github.com/sharkauth/serverless/shared/store/table/tabletest"
)

// The table-level suite and helpers live in shared/store/table/tabletest.
// These aliases keep the domain suite's callers writing storetest.Clock.
type (
	// Clock is a settable clock for engines and the domain store under test.
	Clock = tabletest.Clock
	// TableFactory returns an empty table whose expiry follows clock.
	TableFactory = tabletest.TableFactory
)

// NewClock returns a clock at a fixed instant (tabletest.NewClock).
func NewClock() *Clock { return tabletest.NewClock() }

// race runs f(0..n-1) concurrently, released together, and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = f(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

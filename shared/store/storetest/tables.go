package storetest

import (
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

// race is tabletest.Race.
var race = tabletest.Race

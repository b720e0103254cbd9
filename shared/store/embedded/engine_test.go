package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
)

func newTable(t *testing.T, clock *storetest.Clock) store.Table {
	t.Helper()
	tb, err := embedded.Open(filepath.Join(t.TempDir(), "shark.db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

func TestConformanceTable(t *testing.T) {
	storetest.RunTable(t, newTable)
}

func TestConformanceStore(t *testing.T) {
	storetest.Run(t, newTable)
}

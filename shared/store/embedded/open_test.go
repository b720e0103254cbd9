package embedded_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/table"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
)

// OpenDir picks the engine of a data directory: Pebble for a new one, bbolt
// for one that already holds a bbolt file (so an existing stack keeps its
// data), and whichever is asked for explicitly.
func TestOpenDirChoosesTheEngine(t *testing.T) {
	now := tabletest.NewClock().Now
	key := table.Key{PK: "T#a#X", SK: "kept"}
	open := func(dir, engine string) (*embedded.Table, string) {
		t.Helper()
		tb, used, err := embedded.OpenDir(dir, engine, now)
		if err != nil {
			t.Fatal(err)
		}
		return tb, used
	}

	fresh := t.TempDir()
	tb, used := open(fresh, "")
	if used != embedded.EnginePebble {
		t.Fatalf("a new data directory opened with %q, want pebble", used)
	}
	if _, err := tb.Put(t.Context(), table.Item{Key: key}, table.CondAbsent); err != nil {
		t.Fatal(err)
	}
	tb.Close()
	if _, err := os.Stat(filepath.Join(fresh, "shark.db")); !os.IsNotExist(err) {
		t.Fatalf("a bbolt file appeared beside the pebble store: %v", err)
	}
	tb, used = open(fresh, "") // reopened: the same store, its data kept
	if _, err := tb.Get(t.Context(), key); err != nil || used != embedded.EnginePebble {
		t.Fatalf("reopened %s: %v", used, err)
	}
	tb.Close()

	old := t.TempDir()
	tb, err := embedded.Open(filepath.Join(old, "shark.db"), now) // a stack from before Pebble
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Put(t.Context(), table.Item{Key: key}, table.CondAbsent); err != nil {
		t.Fatal(err)
	}
	tb.Close()
	tb, used = open(old, "")
	if _, err := tb.Get(t.Context(), key); err != nil || used != embedded.EngineBbolt {
		t.Fatalf("an existing shark.db opened with %s: %v", used, err)
	}
	tb.Close()

	tb, used = open(t.TempDir(), "bbolt")
	tb.Close()
	if used != embedded.EngineBbolt {
		t.Fatalf("asked for bbolt, got %s", used)
	}
	tb, used = open(old, "pebble") // explicit: a new pebble store beside the old file
	tb.Close()
	if used != embedded.EnginePebble {
		t.Fatalf("asked for pebble, got %s", used)
	}
	if _, _, err := embedded.OpenDir(t.TempDir(), "leveldb", now); err == nil || !strings.Contains(err.Error(), "bbolt or pebble") {
		t.Fatalf("unknown engine: %v", err)
	}
}

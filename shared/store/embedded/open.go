package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The engines of a data directory.
const (
	EngineBbolt  = "bbolt"  // one file, DataDir/shark.db
	EnginePebble = "pebble" // a directory, DataDir/pebble
)

// Names of the stores inside a data directory.
const (
	BboltFile = "shark.db"
	PebbleDir = "pebble"
)

// OpenDir opens the table of a data directory with engine (EngineBbolt or
// EnginePebble) or, when engine is "", the one the directory already holds:
// its Pebble store, else its bbolt file (a stack from before Pebble keeps
// its data), else a new Pebble store. It returns the engine it used.
func OpenDir(dataDir, engine string, now func() time.Time) (*Table, string, error) {
	if engine == "" {
		engine = EnginePebble
		if !exists(filepath.Join(dataDir, PebbleDir)) && exists(filepath.Join(dataDir, BboltFile)) {
			engine = EngineBbolt
		}
	}
	var (
		t   *Table
		err error
	)
	switch engine {
	case EngineBbolt:
		t, err = Open(filepath.Join(dataDir, BboltFile), now)
	case EnginePebble:
		t, err = OpenPebble(filepath.Join(dataDir, PebbleDir), now)
	default:
		return nil, "", fmt.Errorf("embedded: engine must be bbolt or pebble, got %q", engine)
	}
	return t, engine, err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

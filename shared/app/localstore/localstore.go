// Package localstore links the embedded store into a program that builds a
// core.Env (the local runner, tests): importing it sets core.OpenEmbedded. The
// Lambda bootstraps do not import it, so they link neither bbolt nor Pebble.
package localstore

import (
	"time"

	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
)

func init() { core.OpenEmbedded = Open }

// Open opens the engine the data directory holds (Pebble for a new one, an
// existing shark.db with bbolt: embedded.OpenDir).
func Open(dataDir string, now func() time.Time) (store.Table, func() error, error) {
	t, _, err := embedded.OpenDir(dataDir, "", now)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Close, nil
}

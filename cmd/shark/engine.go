package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	_ "github.com/sharkauth/serverless/shared/app/localstore" // the embedded store for every command
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/store/embedded"
)

// openLocalTable opens the embedded engine of a data directory for serve:
// engine is pebble or bbolt, or "" for the one the directory holds (Pebble
// for a new directory, bbolt for one with a shark.db from before Pebble).
// It returns the table and the store's name as shown at start.
func openLocalTable(cfg config.Config, engine string, now func() time.Time) (*embedded.Table, string, error) {
	if cfg.Store != config.StoreEmbedded {
		if engine != "" {
			return nil, "", errors.New("serve: --engine chooses the embedded engine; it does not apply to --store " + cfg.Store)
		}
		return nil, cfg.Store, nil
	}
	if cfg.DataDir == "" {
		return nil, "", errors.New("serve: --data is required for the embedded store")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("serve: data dir: %w", err)
	}
	t, used, err := embedded.OpenDir(cfg.DataDir, engine, now)
	if err != nil {
		return nil, "", err
	}
	return t, cfg.Store + "/" + used, nil
}

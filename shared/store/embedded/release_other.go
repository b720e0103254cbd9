//go:build !linux

package embedded

import bolt "go.etcd.io/bbolt"

// releaseMapped does nothing off Linux: the resident set there is the
// kernel's affair (see release_linux.go).
func releaseMapped(*bolt.Tx) {}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// serve -memprofile writes the heap at shutdown in pprof's format (gzipped
// protobuf), and a path it cannot create is reported without stopping the
// shutdown.
func TestWriteHeapProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.out")
	writeHeapProfile(path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Fatalf("not a gzipped pprof profile: % x", b[:min(len(b), 8)])
	}
	writeHeapProfile(filepath.Join(t.TempDir(), "missing", "heap.out")) // must not panic
}

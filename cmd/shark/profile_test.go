package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serve -memprofile writes the heap at shutdown in pprof's format (gzipped
// protobuf), and a path it cannot create is reported without stopping the
// shutdown.
func TestWriteHeapProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "heap.out")
	var report strings.Builder
	writeHeapProfile(path, &report)
	if report.Len() != 0 {
		t.Fatalf("reported %q", report.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Fatalf("not a gzipped pprof profile: % x", b[:min(len(b), 8)])
	}
	writeHeapProfile(filepath.Join(t.TempDir(), "missing", "heap.out"), &report)
	if !strings.HasPrefix(report.String(), "memprofile: ") {
		t.Fatalf("a profile that cannot be written is not reported: %q", report.String())
	}
}

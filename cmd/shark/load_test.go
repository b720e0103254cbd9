package main

import (
	"context"
	"testing"
)

// shark load refuses targets that are not loopback.
func TestLoadRefusesOtherHosts(t *testing.T) {
	if err := requireLoopback(context.Background(), "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := requireLoopback(context.Background(), "192.0.2.1"); err == nil {
		t.Fatal("192.0.2.1 accepted as a load target")
	}
}

package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// ErrContended is an update that lost to concurrent updates of the same
// items on every one of its attempts. No condition of the caller failed, so
// it is not a conflict (409) but a transient failure: the HTTP edge answers
// 503 temporarily_unavailable with Retry-After (httpx.Unavailable), and the
// client may retry. Nothing was written.
var ErrContended error = transient("store: contended")

// attempts is how many times an update that reads, then writes conditioned
// on what it read, is tried before it gives up with ErrContended.
const attempts = 8

// contended is ErrContended naming what lost.
func contended(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrContended}, args...)...)
}

// settle waits before attempt (0-based; the first does not wait): a random
// pause of up to 2 ms per attempt already lost, so writers that lost
// together spread out instead of meeting again at once. Eight attempts wait
// 28 ms at most in all. It returns ctx's error when the context ends first.
func settle(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(1 + randN(int64(attempt)*int64(2*time.Millisecond))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// randN is a random number in [0, n) for n > 0, from crypto/rand (the
// product reads no other randomness; a pause or a shard needs no more than
// a nearly uniform pick, so the modulo's bias is of no account).
func randN(n int64) int64 {
	var b [8]byte
	rand.Read(b[:]) // crypto/rand.Read never fails
	return int64(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}

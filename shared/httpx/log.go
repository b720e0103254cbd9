package httpx

import (
	"bufio"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Redacted replaces a value the redaction rule drops.
const Redacted = "[REDACTED]"

// sensitiveKeys are attribute names whose values never reach a log.
var sensitiveKeys = map[string]bool{
	"authorization": true, "dpop": true, "cookie": true, "set-cookie": true,
	"secret": true, "client_secret": true, "password": true, "token": true,
	"access_token": true, "refresh_token": true, "subject_token": true, "actor_token": true,
	"registration_access_token": true, "client_assertion": true, "assertion": true, "proof": true,
	"api_key": true, "admin_key": true, "platform_key": true, "private_key": true, "d": true,
}

// looksSecret catches secrets logged under an innocent name: our key formats
// and anything shaped like a JWS (tokens, proofs, assertions).
func looksSecret(s string) bool {
	return strings.Contains(s, "sk_live_") || strings.Contains(s, "sk_platform_") || strings.Contains(s, "eyJ")
}

// Redact is the slog ReplaceAttr rule that drops secrets, tokens, proofs,
// Authorization and DPoP values.
func Redact(_ []string, a slog.Attr) slog.Attr {
	if sensitiveKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if looksSecret(a.Value.String()) {
			return slog.String(a.Key, Redacted)
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && looksSecret(err.Error()) {
			return slog.String(a.Key, Redacted)
		}
	}
	return a
}

// NewLogger returns a JSON logger with the redaction rule at level
// (debug, info, warn, error).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: Redact}))
}

// BufferedWriter batches log lines into fewer writes: the local runner's
// access log otherwise costs a write system call per request. Lines are
// flushed every interval and by Close; a line is never split. On Lambda, logs
// go unbuffered (a frozen container would hold them).
type BufferedWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewBufferedWriter buffers w and flushes it every interval until Close.
func NewBufferedWriter(w io.Writer, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				b.Flush()
				return
			}
		}
	}()
	return b
}

func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flusher after a last flush.
func (b *BufferedWriter) Close() error {
	close(b.stop)
	<-b.done
	return nil
}

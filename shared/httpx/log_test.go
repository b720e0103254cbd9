package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRedaction(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, "debug")
	secrets := []string{
		"sk_live_4f9Qx2bq0mZzZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ",
		"sk_platform_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"Bearer opaque-value",
	}
	log.Info("named", "authorization", secrets[4], "DPoP", secrets[2], "client_secret", secrets[3])
	log.Info("innocent names", "note", secrets[0], "value", secrets[1], "x", secrets[2])
	log.Error("failure", "cause", errors.New("bad key "+secrets[0]))
	log.Info("kept", "kid", "abc123", "path", "/oauth/token")
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log contains a secret %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, `"kid":"abc123"`) || !strings.Contains(out, `"path":"/oauth/token"`) {
		t.Errorf("harmless attributes were dropped:\n%s", out)
	}
}

// Buffered log lines all arrive, whole, by Close.
func TestBufferedWriter(t *testing.T) {
	var out safeBuf
	b := NewBufferedWriter(&out, time.Hour)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 500 {
				fmt.Fprintf(b, "{\"writer\":%d,\"line\":%d,\"pad\":%q}\n", i, j, strings.Repeat("x", 100))
			}
		}()
	}
	wg.Wait()
	b.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4000 {
		t.Fatalf("%d lines, want 4000", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("a line was split or interleaved: %q", l)
		}
	}
}

type safeBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *safeBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

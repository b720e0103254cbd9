package fetch

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// Document fetches every time (callers cache what they validated) and
// reports the lifetime the response's cache headers give it.
func TestDocumentLifetime(t *testing.T) {
	var hits atomic.Int32
	header := ""
	f, srv, _ := server(t, true, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if header != "" {
			w.Header().Set("Cache-Control", header)
		}
		w.Write([]byte(`{}`))
	})
	u := "https://keys.example.com:" + port(srv) + "/doc.json"
	for _, c := range []struct {
		header string
		want   time.Duration
	}{
		{"max-age=120", 2 * time.Minute},
		{"", 5 * time.Minute},
		{"no-store", 0},
		{"max-age=999999", 24 * time.Hour},
	} {
		header = c.header
		before := hits.Load()
		body, ttl, err := f.Document(context.Background(), u)
		if err != nil || string(body) != `{}` {
			t.Fatalf("%q: %q %v", c.header, body, err)
		}
		if ttl != c.want {
			t.Errorf("%q: lifetime %v, want %v", c.header, ttl, c.want)
		}
		if hits.Load() != before+1 {
			t.Errorf("%q: Document answered from a cache", c.header)
		}
	}
	// The same checks as Get: https only, addresses refused, size bounded.
	if _, _, err := f.Document(context.Background(), "http://keys.example.com/doc.json"); !errors.Is(err, ErrURL) {
		t.Errorf("http: %v", err)
	}
	if _, _, err := f.Document(context.Background(), "https://internal.example.com/doc.json"); !errors.Is(err, ErrBlocked) {
		t.Errorf("private: %v", err)
	}
}

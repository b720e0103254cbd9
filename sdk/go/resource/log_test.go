package resource

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Refusals are logged (debug; 503 as warnings with the cause) without the
// token, the proof or any part of their signatures.
func TestLogsHoldNoCredentials(t *testing.T) {
	var buf syncBuffer
	e := newEnv(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	p := newProver(t)
	tok := e.boundToken(p, nil)
	proof := p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil)
	secrets := []string{tok, proof}
	reqs := []struct{ authz, dpop string }{
		{"Bearer " + tok, ""},                                 // bound token as bearer
		{"DPoP " + tok, proof},                                // accepted
		{"DPoP " + tok, proof},                                // replay
		{"DPoP " + tok, strings.Replace(proof, ".", ".x", 1)}, // broken proof
		{"Bearer " + e.token(func(c map[string]any) { c["aud"] = "x" }), ""},
	}
	for _, r := range reqs {
		e.do(request("POST", testResource, r.authz, r.dpop))
	}
	e.is.mu.Lock()
	e.is.jwksStatus = 500
	e.is.mu.Unlock()
	e.clock.Advance(DefaultJWKSTTL)
	other := signToken(t, newSigningKey(t, "unknown"), e.is.claims(e.clock.Now(), testResource), nil)
	secrets = append(secrets, other)
	if w := e.do(request("POST", testResource, "Bearer "+other, "")); w.Code != 503 {
		t.Fatalf("want a 503 to log: %d", w.Code)
	}
	out := buf.String()
	if strings.Count(out, "request refused") < 5 || !strings.Contains(out, `"level":"WARN"`) {
		t.Fatalf("refusals not logged:\n%s", out)
	}
	for _, s := range secrets {
		for _, part := range strings.Split(s, ".") {
			if len(part) > 8 && strings.Contains(out, part) {
				t.Fatalf("a credential part leaked into the logs:\n%s", out)
			}
		}
	}
}

package resource

import (
	"encoding/json"
	"testing"
	"time"
)

func TestReplayCacheBounded(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ReplayCacheSize = 2 })
	p := newProver(t)
	tok := e.boundToken(p, nil)
	call := func() int {
		return e.do(request("POST", testResource, "DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))).Code
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    int
	}{
		{"first proof", 0, 200},
		{"second proof fills the cache", 0, 200},
		{"third proof while every entry is live: refused, never forgotten", 0, 503},
		{"still full one second before expiry", DefaultProofWindow - time.Second, 503},
		{"entries expired with their window: accepted", 2 * time.Second, 200},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		if got := call(); got != s.want {
			t.Fatalf("%s: %d, want %d", s.name, got, s.want)
		}
	}
	if n := e.v.replay.len(); n != 1 {
		t.Fatalf("cache holds %d entries, want 1", n)
	}
}

func TestReplayWindowEdge(t *testing.T) {
	// A proof at the oldest accepted iat must still be caught when replayed
	// at that same instant.
	e := newEnv(t, nil)
	p := newProver(t)
	tok := e.boundToken(p, nil)
	proof := p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil)
	if w := e.do(request("POST", testResource, "DPoP "+tok, proof)); w.Code != 200 {
		t.Fatal(w.Code)
	}
	e.clock.Advance(DefaultProofWindow)
	if w := e.do(request("POST", testResource, "DPoP "+tok, proof)); w.Code != 401 {
		t.Fatalf("replay at the window edge: %d, want 401", w.Code)
	}
}

func TestActorChainInContext(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(func(c map[string]any) {
		c["sub"] = "user-1"
		c["act"] = map[string]any{"sub": "agent-b", "cnf": map[string]any{"jkt": "jkt-b"},
			"act": map[string]any{"sub": "agent-a"}}
	})
	w := e.do(request("POST", testResource, "Bearer "+tok, ""))
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var got struct {
		Sub string  `json:"sub"`
		Act []Actor `json:"act"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Sub != "user-1" || len(got.Act) != 2 || got.Act[0].Subject != "agent-b" || got.Act[1].Subject != "agent-a" {
		t.Fatalf("claims %+v", got)
	}
	bad := []struct {
		name string
		act  any
	}{
		{"act without sub", map[string]any{"act": map[string]any{"sub": "x"}}},
		{"act not an object", "agent-b"},
		{"act chain too deep", deepAct(MaxActDepth + 1)},
	}
	for _, b := range bad {
		tok := e.token(func(c map[string]any) { c["act"] = b.act })
		if w := e.do(request("POST", testResource, "Bearer "+tok, "")); w.Code != 401 {
			t.Errorf("%s: %d, want 401", b.name, w.Code)
		}
	}
	if w := e.do(request("POST", testResource, "Bearer "+e.token(func(c map[string]any) { c["act"] = deepAct(MaxActDepth) }), "")); w.Code != 200 {
		t.Errorf("act chain at the depth limit: %d", w.Code)
	}
}

func deepAct(n int) map[string]any {
	var a map[string]any
	for i := range n {
		m := map[string]any{"sub": "agent-" + string(rune('a'+i%26))}
		if a != nil {
			m["act"] = a
		}
		a = m
	}
	return a
}

package resource

import (
	"sync"
	"sync/atomic"
	"testing"
)

// A proof sent many times at once is accepted exactly once, and distinct
// proofs in parallel are all accepted (run with -race).
func TestConcurrentProofs(t *testing.T) {
	e := newEnv(t, nil)
	p := newProver(t)
	tok := e.boundToken(p, nil)
	same := p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil)
	distinct := make([]string, 16)
	for i := range distinct {
		distinct[i] = p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil)
	}
	var ok, replayed, distinctOK atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			switch w := e.do(request("POST", testResource, "DPoP "+tok, same)); w.Code {
			case 200:
				ok.Add(1)
			case 401:
				replayed.Add(1)
			default:
				t.Errorf("status %d", w.Code)
			}
		})
	}
	for _, d := range distinct {
		wg.Go(func() {
			if w := e.do(request("POST", testResource, "DPoP "+tok, d)); w.Code == 200 {
				distinctOK.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 15 || distinctOK.Load() != 16 {
		t.Fatalf("same proof accepted %d times (refused %d); distinct accepted %d of 16", ok.Load(), replayed.Load(), distinctOK.Load())
	}
	if n := e.is.jwksHits.Load(); n != 1 {
		t.Fatalf("jwks fetched %d times under concurrency, want 1", n)
	}
}

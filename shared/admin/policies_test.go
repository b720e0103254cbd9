package admin_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestConcurrentPolicySets sends 8 different policy sets for one agent at
// once: each answer is 200 or 503 (a conflict that outlived the retries),
// never a 500, and afterwards the agent's live grants are exactly one of the
// sets: no mix, no duplicate, each change audited once.
func TestConcurrentPolicySets(t *testing.T) {
	h := newHarness(t)
	actor := h.agent(h.key, "", nil)
	targets := make([]map[string]any, 4)
	for i := range targets {
		targets[i] = h.agent(h.key, "", nil)
	}
	path := "/api/v1/agents/" + actor["id"].(string) + "/policies"
	sets := make([][]any, 8)
	for i := range sets {
		for j := range targets {
			if (i>>j)&1 == 1 || j == i%4 {
				sets[i] = append(sets[i], map[string]any{"agent_id": targets[j]["id"], "scope": "mcp:read"})
			}
		}
	}
	codes := make([]int, len(sets))
	var wg sync.WaitGroup
	for i, set := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]any{"policies": set})
			req := httptest.NewRequest("POST", "http://localhost:8080"+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+h.key)
			w := httptest.NewRecorder()
			h.admin.ServeHTTP(w, req)
			codes[i] = w.Code
		}()
	}
	wg.Wait()
	ok := 0
	for i, c := range codes {
		switch c {
		case 200:
			ok++
		case 503:
		default:
			t.Fatalf("set %d: status %d", i, c)
		}
	}
	if ok == 0 {
		t.Fatal("no set was applied")
	}
	got := h.do("GET", path, h.key, nil).list("policies")
	grants := h.do("GET", "/api/v1/admin/may-act?from_id="+actor["id"].(string), h.key, nil).list("grants")
	if len(grants) != len(got) {
		t.Fatalf("%d live grants for %d policies", len(grants), len(got))
	}
	names := map[string]bool{}
	for _, p := range got {
		names[p["agent_id"].(string)] = true
	}
	matches := false
	for _, set := range sets {
		if len(set) != len(got) {
			continue
		}
		all := true
		for _, p := range set {
			all = all && names[p.(map[string]any)["agent_id"].(string)]
		}
		matches = matches || all
	}
	if !matches || len(names) != len(got) {
		t.Fatalf("the policies are no set that was sent: %v", got)
	}
}

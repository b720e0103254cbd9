package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/dpop"
)

// crashStack is `shark serve` in a subprocess on a fixed address and data
// directory, so it can be killed and started again on the same data.
type crashStack struct {
	t      *testing.T
	engine string // SHARK_ENGINE: "" is the default
	addr   string
	dir    string
	cmd    *exec.Cmd
	hc     *http.Client
}

func (s *crashStack) base() string { return "http://" + s.addr }

func (s *crashStack) start() {
	s.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SHARK_TEST_ARGS=serve", "DATA="+s.dir, "ADDR="+s.addr, "LOG_LEVEL=error", "SHARK_ENGINE="+s.engine)
	log, err := os.OpenFile(filepath.Join(s.dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := s.hc.Get(s.base() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(s.dir, "serve.log"))
	s.t.Fatalf("shark serve did not answer /healthz:\n%s", out)
}

// kill ends the process with SIGKILL: nothing of it runs after.
func (s *crashStack) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// adminJSON calls the admin API with the first boot's admin key.
func (s *crashStack) adminJSON(method, path string, body any, want int, out any) {
	s.t.Helper()
	key, err := os.ReadFile(filepath.Join(s.dir, "admin.key.firstboot"))
	if err != nil {
		s.t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.base()+path, rd)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
	}
}

// pages walks a paginated admin listing and returns one field of every item.
func (s *crashStack) pages(path, field string) []string {
	s.t.Helper()
	var all []string
	cursor := ""
	for {
		var page struct {
			Data       []map[string]any `json:"data"`
			NextCursor *string          `json:"next_cursor"`
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		s.adminJSON(http.MethodGet, path+sep+"limit=200&cursor="+url.QueryEscape(cursor), nil, http.StatusOK, &page)
		for _, it := range page.Data {
			v, _ := it[field].(string)
			all = append(all, v)
		}
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all
		}
		cursor = *page.NextCursor
	}
}

// tokenRequest is one DPoP client_credentials request, kept to be replayed.
type tokenRequest struct {
	form  string
	proof string
}

func (s *crashStack) send(r tokenRequest) (int, map[string]any, error) {
	req, _ := http.NewRequest(http.MethodPost, s.base()+"/oauth/token", strings.NewReader(r.form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", r.proof)
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, nil, err // a response cut by the kill was not answered
	}
	return resp.StatusCode, body, nil
}

// jwtID is the jti claim of a JWT (its payload is not verified here: the
// token came from the server under test).
func jwtID(t *testing.T, token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		JTI string `json:"jti"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil || claims.JTI == "" {
		t.Fatalf("no jti in %s: %v", raw, err)
	}
	return claims.JTI
}

// TestCrashUnderLoadLosesNoAnsweredToken kills `shark serve` (the default
// embedded engine) with SIGKILL while 8 clients take DPoP client_credentials
// tokens, starts it again on the same data and checks what a client relies
// on: every token answered 200 has its oauth.token_issued audit event, every
// audit event has its token record and no record lacks its event (no
// transaction is half-applied), and a proof accepted before the crash is
// refused as a replay after it. bbolt, still selectable, is held to it too.
func TestCrashUnderLoadLosesNoAnsweredToken(t *testing.T) {
	for _, engine := range []string{"", "bbolt"} {
		name := engine
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) { crashUnderLoad(t, engine) })
	}
}

func crashUnderLoad(t *testing.T, engine string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &crashStack{t: t, engine: engine, addr: addr, dir: t.TempDir(), hc: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(s.kill)
	s.start()

	var agent struct {
		ID           string `json:"id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	s.adminJSON(http.MethodPost, "/api/v1/agents", map[string]any{"name": "crash", "scopes": []string{"mcp:read"}, "metadata": map[string]any{"app_id": "crash"}}, http.StatusCreated, &agent)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"mcp:read"},
		"client_id": {agent.ClientID}, "client_secret": {agent.ClientSecret}}.Encode()
	htu := s.base() + "/oauth/token"

	// Load until a random number of tokens have been answered, then kill.
	killAt := int64(150 + rand.IntN(150))
	var (
		mu       sync.Mutex
		answered = map[string]tokenRequest{} // jti → the request that got it
		order    []tokenRequest
		ok       atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
		killed   = make(chan struct{})
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prover, err := dpop.NewProver()
			if err != nil {
				t.Error(err)
				return
			}
			for !stop.Load() {
				proof, err := prover.Proof(dpop.ProofClaims{HTM: http.MethodPost, HTU: htu, IAT: time.Now()})
				if err != nil {
					t.Error(err)
					return
				}
				r := tokenRequest{form: form, proof: proof}
				code, body, err := s.send(r)
				if err != nil {
					continue // the server is gone: not answered
				}
				if code != http.StatusOK {
					select {
					case <-killed: // a half-written answer of the dying server
					default:
						t.Errorf("token request answered %d %v before the kill", code, body)
					}
					continue
				}
				jti := jwtID(t, body["access_token"].(string))
				mu.Lock()
				answered[jti] = r
				order = append(order, r)
				mu.Unlock()
				if ok.Add(1) == killAt {
					s.kill()
					close(killed)
					stop.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("killed after %d tokens answered", len(answered))

	s.start() // the same data directory
	audited := map[string]bool{}
	for _, id := range s.pages("/api/v1/audit-logs?event=oauth.token_issued", "target_id") {
		if audited[id] {
			t.Errorf("token %s has two oauth.token_issued events", id)
		}
		audited[id] = true
	}
	for jti := range answered {
		if !audited[jti] {
			t.Errorf("token %s was answered 200 before the crash but has no oauth.token_issued event after it", jti)
		}
	}
	records := map[string]bool{}
	for _, jti := range s.pages("/api/v1/agents/"+agent.ID+"/tokens", "jti") {
		records[jti] = true
		if !audited[jti] {
			t.Errorf("token record %s has no oauth.token_issued event: a half-applied issuance", jti)
		}
	}
	for jti := range audited {
		if !records[jti] {
			t.Errorf("oauth.token_issued event of %s has no token record: a half-applied issuance", jti)
		}
	}
	t.Logf("after the restart: %d events, %d token records (%d answered)", len(audited), len(records), len(answered))

	// The last proofs accepted before the crash are refused after it.
	for _, r := range order[max(0, len(order)-10):] {
		code, body, err := s.send(r)
		if err != nil {
			t.Fatal(err)
		}
		desc, _ := body["error_description"].(string)
		if code != http.StatusBadRequest || body["error"] != "invalid_dpop_proof" || !strings.Contains(desc, "already used") {
			t.Errorf("a proof accepted before the crash, replayed after it: %d %v", code, body)
		}
	}
	// And the restarted server issues tokens.
	prover, _ := dpop.NewProver()
	proof, _ := prover.Proof(dpop.ProofClaims{HTM: http.MethodPost, HTU: htu, IAT: time.Now()})
	if code, body, err := s.send(tokenRequest{form: form, proof: proof}); err != nil || code != http.StatusOK {
		t.Fatalf("a fresh token after the restart: %d %v %v", code, body, err)
	}
	if out, _ := os.ReadFile(filepath.Join(s.dir, "serve.log")); strings.Contains(string(out), `"status":5`) {
		t.Errorf("5xx answers in the server log:\n%s", out)
	}
}

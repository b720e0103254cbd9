package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
)

// stack is the local stack in process: every function of template.yaml
// through the runner, on httptest.
type stack struct {
	url  string
	boot *app.FirstBoot
}

func newStack(t *testing.T) *stack {
	t.Helper()
	st := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	return &stack{url: st.URL, boot: st.Boot}
}

type result struct {
	code           int
	stdout, stderr string
}

// shark runs one command line in process with the given environment.
func (s *stack) shark(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := run(t.Context(), args, c)
	return result{code, out.String(), errb.String()}
}

// env is the environment of a caller of this stack with its admin and
// platform keys.
func (s *stack) env(extra ...string) map[string]string {
	m := map[string]string{"SHARK_URL": s.url, "SHARK_ADMIN_KEY": s.boot.AdminKey, "SHARK_PLATFORM_KEY": s.boot.PlatformKey,
		"DATA": "/nonexistent-shark-data"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// field returns the value of a "name: value" line.
func field(t *testing.T, out, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in output:\n%s", name, out)
	}
	return m[1]
}

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON (%v):\n%s", err, s)
	}
	return v
}

// TestCommands runs the API commands against the in-process stack: the
// guide's flow first (its outputs feed the later cases), then a table of
// successes and refusals.
func TestCommands(t *testing.T) {
	s := newStack(t)
	env := s.env()

	r := s.shark(t, env, "app", "create", "--name", "my-saas-backend")
	if r.code != 0 || !strings.Contains(r.stdout, "shown once") {
		t.Fatalf("app create: %+v", r)
	}
	appID := field(t, r.stdout, "application")
	if !strings.HasPrefix(appID, "app_") {
		t.Fatalf("app id %q", appID)
	}
	r = s.shark(t, env, "agent", "create", "--app", appID, "--name", "a1", "--scopes", "mcp:read")
	if r.code != 0 {
		t.Fatalf("agent create: %+v", r)
	}
	clientID, secret, agentID := field(t, r.stdout, "client id"), field(t, r.stdout, "client secret"), field(t, r.stdout, "agent")
	if !strings.HasPrefix(clientID, "shark_agent_") || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
		t.Fatalf("agent create printed client id %q secret %q", clientID, secret)
	}
	r = s.shark(t, env, "user", "create", "--email", "alice@example.com")
	userID := field(t, r.stdout, "user")
	r = s.shark(t, env, "agent", "create", "--name", "alice-agent", "--created-by", userID, "--json")
	alice := mustJSON(t, r.stdout)
	r = s.shark(t, env, "key", "create", "--name", "ci")
	keyID := field(t, r.stdout, "key id")

	// What a wrong key gets from the server, to find on stderr.
	req, _ := http.NewRequest("GET", s.url+"/api/v1/agents", nil)
	req.Header.Set("Authorization", "Bearer sk_live_"+strings.Repeat("A", 43))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var refusal struct{ Message string }
	json.NewDecoder(resp.Body).Decode(&refusal)
	resp.Body.Close()
	if refusal.Message == "" {
		t.Fatal("the server gave no message for a wrong key")
	}

	dataDir := t.TempDir()
	os.WriteFile(filepath.Join(dataDir, "admin.key.firstboot"), []byte(s.boot.AdminKey+"\n"), 0o600)
	os.WriteFile(filepath.Join(dataDir, "platform.key.firstboot"), []byte(s.boot.PlatformKey+"\n"), 0o600)

	wrongKey := s.env("SHARK_ADMIN_KEY", "sk_live_"+strings.Repeat("A", 43))
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout []string // each must appear
		stderr []string
	}{
		{"app list shows the app", env, []string{"app", "list"}, 0, []string{"ID", "NAME", appID, "my-saas-backend"}, nil},
		{"app get", env, []string{"app", "get", appID}, 0, []string{"my-saas-backend", "shark_app_"}, nil},
		{"agent list json", env, []string{"agent", "list", "--json"}, 0, []string{`"client_id": "` + clientID}, nil},
		{"agent list by app", env, []string{"agent", "list", "--app", appID}, 0, []string{clientID, "mcp:read"}, nil},
		{"agent list search", env, []string{"agent", "list", "--search", "alice"}, 0, []string{"alice-agent"}, nil},
		{"agent get by client id", env, []string{"agent", "get", clientID}, 0, []string{agentID, "a1", appID}, nil},
		{"agent tokens (none yet)", env, []string{"agent", "tokens", agentID}, 0, []string{"no tokens"}, nil},
		{"agent revoke-tokens", env, []string{"agent", "revoke-tokens", agentID}, 0, []string{"revoked tokens:", "aud_"}, nil},
		{"user list", env, []string{"user", "list", "--email", "alice@example.com"}, 0, []string{userID}, nil},
		{"key list never shows keys", env, []string{"key", "list"}, 0, []string{keyID, "ci"}, nil},
		{"signing-key list", env, []string{"signing-key", "list"}, 0, []string{"KID", "current", "ES256"}, nil},
		{"signing-key rotate", env, []string{"signing-key", "rotate"}, 0, []string{"new key:", "scheduled"}, nil},
		{"tenant create prints its key once", env, []string{"tenant", "create", "acme", "--name", "Acme"}, 0, []string{"tenant:", "acme", "sk_live_", "shown once"}, nil},
		{"tenant list", env, []string{"tenant", "list"}, 0, []string{"default", "acme"}, nil},
		{"tenant get json", env, []string{"tenant", "get", "acme", "--json"}, 0, []string{`"id": "acme"`, `"dcr_scopes": [`, `"mcp:read"`}, nil},
		{"tenant create with its dcr scopes", env, []string{"tenant", "create", "tools", "--dcr-scope", "tools:call"}, 0, []string{"tools"}, nil},
		{"tenant get shows them", env, []string{"tenant", "get", "tools"}, 0, []string{"dcr scopes", "tools:call"}, nil},
		{"keys from the first-boot files", map[string]string{"SHARK_URL": s.url}, []string{"app", "list", "--data", dataDir}, 0, []string{appID}, nil},
		{"platform key from the first-boot file", map[string]string{"SHARK_URL": s.url, "DATA": dataDir}, []string{"tenant", "get", "default"}, 0, []string{"issuer"}, nil},
		{"url flag beats env", s.env("SHARK_URL", "http://127.0.0.1:1"), []string{"app", "list", "--url", s.url}, 0, []string{appID}, nil},

		// Refusals: the server's message on stderr, a non-zero exit.
		{"wrong admin key", wrongKey, []string{"app", "list"}, 1, nil, []string{"shark: " + refusal.Message, "401"}},
		{"wrong admin key json", wrongKey, []string{"agent", "list", "--json"}, 1, nil, []string{refusal.Message}},
		{"key of the wrong form", s.env("SHARK_ADMIN_KEY", "nope"), []string{"agent", "list"}, 1, nil, []string{"invalid API key format"}},
		{"wrong platform key", s.env("SHARK_PLATFORM_KEY", "sk_platform_"+strings.Repeat("B", 43)), []string{"tenant", "list"}, 1, nil, []string{"401"}},
		{"unknown agent", env, []string{"agent", "get", "agent_nope"}, 1, nil, []string{"404", "not_found"}},
		{"agent audit", env, []string{"agent", "audit", agentID}, 0, []string{"EVENT", "agent.tokens_revoked", "agent.created", appID}, nil},
		{"agent audit of an unknown agent", env, []string{"agent", "audit", "agent_nope"}, 1, nil, []string{"404", "not_found"}},
		{"unknown app delete", env, []string{"app", "delete", "app_nope"}, 1, nil, []string{"404"}},
		{"duplicate tenant", env, []string{"tenant", "create", "acme"}, 1, nil, []string{"409"}},
		{"bad tenant id", env, []string{"tenant", "create", "Bad_Id"}, 1, nil, []string{"400"}},
		{"duplicate user", env, []string{"user", "create", "--email", "ALICE@example.com"}, 1, nil, []string{"409"}},
		{"created-by names no user", env, []string{"agent", "create", "--name", "x", "--created-by", "usr_nobody"}, 1, nil, []string{"400", "created_by"}},
		{"no admin key anywhere", map[string]string{"SHARK_URL": s.url, "DATA": t.TempDir()}, []string{"app", "list"}, 1, nil, []string{"no admin key", "SHARK_ADMIN_KEY"}},
		{"path tenant needs its own key", s.env("SHARK_ADMIN_KEY", ""), []string{"agent", "list", "--tenant", "acme", "--data", dataDir}, 1, nil, []string{"no admin key for tenant acme"}},
		{"root key refused by another tenant", env, []string{"agent", "list", "--tenant", "acme"}, 1, nil, []string{"401"}},
		{"unknown path tenant", env, []string{"agent", "list", "--tenant", "nosuch"}, 1, nil, []string{"unknown tenant"}},
		{"bad tenant flag", env, []string{"agent", "list", "--tenant", "Bad_Id"}, 2, nil, []string{"--tenant"}},
		{"bad url", s.env("SHARK_URL", "ftp://x"), []string{"app", "list"}, 2, nil, []string{"not an http(s) URL"}},
		{"server down", s.env("SHARK_URL", "http://127.0.0.1:1"), []string{"app", "list"}, 1, nil, []string{"shark: no SharkAuth stack at http://127.0.0.1:1: start it with `make run` or pass --url/SHARK_URL", "connection refused"}},
		{"missing required flag", env, []string{"app", "create"}, 2, nil, []string{`required flag(s) "name"`, "Usage:"}},
		{"missing argument", env, []string{"agent", "get"}, 2, nil, []string{"missing argument: AGENT", "Usage:"}},
		{"stray argument", env, []string{"app", "list", "extra"}, 2, nil, []string{`unexpected argument "extra"`, "Usage:"}},
		{"unknown flag", env, []string{"agent", "list", "--nope"}, 2, nil, []string{"unknown flag: --nope"}},
		{"group without subcommand", env, []string{"agent"}, 2, nil, []string{"a subcommand is required"}},
		{"no command at all", env, []string{}, 2, nil, []string{"Usage:", "API commands:"}},
		{"unknown command", env, []string{"frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`}},
		{"key revoke", s.env(), []string{"key", "revoke", keyID, "--yes"}, 0, []string{"revoked key:", keyID}, nil},
		{"token with a wrong secret", s.env("SHARK_CLIENT_SECRET", strings.Repeat("0", 64)), []string{"token", "--client-id", clientID}, 1, nil, []string{"invalid_client"}},
		{"token without a secret", env, []string{"token", "--client-id", clientID}, 2, nil, []string{"SHARK_CLIENT_SECRET"}},
		{"help on a leaf", env, []string{"agent", "revoke", "--help"}, 0, []string{"Deactivate an agent", "Usage:"}, nil},
		{"completion", env, []string{"completion", "bash"}, 0, []string{"bash completion"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.shark(t, c.env, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.stdout, r.stderr)
			}
			for _, want := range c.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			for _, want := range c.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if c.code != 0 && r.stdout != "" {
				t.Errorf("a failure wrote to stdout:\n%s", r.stdout)
			}
		})
	}

	t.Run("token prints verified, DPoP-bound claims", func(t *testing.T) {
		r := s.shark(t, s.env("SHARK_CLIENT_SECRET", secret), "token", "--client-id", clientID, "--scope", "mcp:read")
		if r.code != 0 {
			t.Fatalf("%+v", r)
		}
		for _, want := range []string{"signature:", "valid (tenant JWKS)", "DPoP-bound:", "yes, to this DPoP key", "client_id", clientID, "mcp:read"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("lacks %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "eyJ") {
			t.Errorf("the token was printed without --show-token:\n%s", r.stdout)
		}
		r = s.shark(t, s.env("SHARK_CLIENT_SECRET", secret), "token", "--client-id", clientID, "--json")
		v := mustJSON(t, r.stdout)
		if v["signature_verified"] != true || v["claims"].(map[string]any)["cnf"].(map[string]any)["jkt"] != v["dpop_jkt"] {
			t.Fatalf("json: %v", v)
		}
		r = s.shark(t, env, "agent", "tokens", agentID)
		if !strings.Contains(r.stdout, "mcp:read") || !strings.Contains(r.stdout, "active") {
			t.Fatalf("tokens: %+v", r)
		}
	})

	t.Run("cascade revoke and agent lifecycle", func(t *testing.T) {
		r := s.shark(t, env, "user", "revoke-agents", userID, "--reason", "cancelled", "--yes")
		if r.code != 0 || !strings.Contains(r.stdout, alice["id"].(string)) {
			t.Fatalf("revoke-agents: %+v", r)
		}
		r = s.shark(t, env, "agent", "rotate-secret", agentID)
		if r.code != 0 || !strings.Contains(r.stdout, "shown once") {
			t.Fatalf("rotate-secret: %+v", r)
		}
		if next := field(t, r.stdout, "client secret"); next == secret {
			t.Fatal("rotate-secret printed the old secret")
		}
		r = s.shark(t, s.env("SHARK_CLIENT_SECRET", secret), "token", "--client-id", clientID)
		if r.code != 1 || !strings.Contains(r.stderr, "invalid_client") {
			t.Fatalf("old secret after rotation: %+v", r)
		}
		if r = s.shark(t, env, "agent", "revoke", agentID, "-y"); r.code != 0 {
			t.Fatalf("revoke: %+v", r)
		}
		// Its tokens show the server's decision: revoked, though none has revoked_at.
		r = s.shark(t, env, "agent", "tokens", agentID)
		if r.code != 0 || !strings.Contains(r.stdout, "revoked (client_inactive)") || regexp.MustCompile(`(?m)\sactive\s*$`).MatchString(r.stdout) {
			t.Fatalf("tokens of a revoked agent: %+v", r)
		}
		r = s.shark(t, env, "agent", "get", agentID, "--json")
		if mustJSON(t, r.stdout)["active"] != false {
			t.Fatalf("agent still active: %s", r.stdout)
		}
		r = s.shark(t, env, "app", "rotate-secret", appID)
		if r.code != 0 || !strings.Contains(r.stdout, "shown once") {
			t.Fatalf("app rotate-secret: %+v", r)
		}
		if r = s.shark(t, env, "app", "delete", appID, "--yes"); r.code != 0 {
			t.Fatalf("app delete: %+v", r)
		}
		if r = s.shark(t, env, "app", "get", appID); r.code != 1 {
			t.Fatalf("deleted app: %+v", r)
		}
		r = s.shark(t, s.env(), "tenant", "disable", "acme", "--yes")
		if r.code != 0 || !regexp.MustCompile(`disabled:\s+yes`).MatchString(r.stdout) {
			t.Fatalf("disable: %+v", r)
		}
	})
}

// syncBuffer is an output buffer a command writes from its goroutine.
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

// TestAuditCommands runs audit list, export and tail against the audit
// function of the in-process stack.
func TestAuditCommands(t *testing.T) {
	s := newStack(t)
	env := s.env()
	r := s.shark(t, env, "app", "create", "--name", "audited")
	appID := field(t, r.stdout, "application")
	r = s.shark(t, env, "agent", "create", "--app", appID, "--name", "a1", "--json")
	agent := mustJSON(t, r.stdout)
	clientID := agent["client_id"].(string)
	s.shark(t, env, "agent", "revoke", clientID, "--yes")

	r = s.shark(t, env, "audit", "list", "--limit", "1", "--json")
	page1 := mustJSON(t, r.stdout)
	cursor, _ := page1["next_cursor"].(string)
	if page1["has_more"] != true || cursor == "" {
		t.Fatalf("first page of one: %v", page1)
	}
	wrongKey := s.env("SHARK_ADMIN_KEY", "sk_live_"+strings.Repeat("A", 43))
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"list", env, []string{"audit", "list"}, 0, []string{"EVENT", "app.created", "agent.created", "agent.deactivated", appID}, nil},
		{"list by event", env, []string{"audit", "list", "--event", "agent.deactivated"}, 0, []string{"agent.deactivated"}, nil},
		{"list by actor", env, []string{"audit", "list", "--target", clientID, "--json"}, 0, []string{`"agent.created"`}, nil},
		{"a page of one says how to go on", env, []string{"audit", "list", "--limit", "1"}, 0, []string{"TIME"}, []string{"more: --cursor "}},
		{"next page", env, []string{"audit", "list", "--limit", "1", "--cursor", cursor}, 0, []string{"aud_"}, nil},
		{"export ndjson", env, []string{"audit", "export", "--event", "app.created"}, 0, []string{`"event":"app.created"`, appID}, nil},
		{"export csv", env, []string{"audit", "export", "--format", "csv"}, 0, []string{"agent.created"}, nil},
		{"export format", env, []string{"audit", "export", "--format", "xml"}, 2, nil, []string{"ndjson or csv"}},
		{"bad since", env, []string{"audit", "list", "--since", "yesterday"}, 1, nil, []string{"400", "since"}},
		{"bad limit", env, []string{"audit", "list", "--limit", "1000"}, 1, nil, []string{"400"}},
		{"forged cursor", env, []string{"audit", "list", "--cursor", "nope"}, 1, nil, []string{"400"}},
		{"wrong key", wrongKey, []string{"audit", "list"}, 1, nil, []string{"invalid API key"}},
		{"tail wrong key", wrongKey, []string{"audit", "tail"}, 1, nil, []string{"invalid API key"}},
		{"tail interval", env, []string{"audit", "tail", "--interval", "0s"}, 2, nil, []string{"--interval"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.shark(t, c.env, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.stdout, r.stderr)
			}
			for _, want := range c.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			for _, want := range c.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		})
	}

	t.Run("tail follows new events once each until interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var out, errb syncBuffer
		waiting := make(chan struct{})
		ticks := make(chan time.Time)
		c := &cli{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] },
			after: func(time.Duration) <-chan time.Time { waiting <- struct{}{}; return ticks }}
		done := make(chan int)
		go func() { done <- run(ctx, []string{"audit", "tail", "--limit", "50"}, c) }()
		<-waiting // the past events are printed; the tail waits for its first tick
		first := out.String()
		if !strings.Contains(first, "agent.deactivated") || strings.Index(first, "app.created") > strings.Index(first, "agent.deactivated") {
			t.Fatalf("past events, oldest first:\n%s", first)
		}
		r := s.shark(t, env, "app", "create", "--name", "later")
		later := field(t, r.stdout, "application")
		ticks <- time.Time{}
		<-waiting
		ticks <- time.Time{} // a poll with nothing new prints nothing
		<-waiting
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("tail exited %d: %s", code, errb.String())
		}
		all := out.String()
		if !strings.Contains(all[len(first):], later) {
			t.Fatalf("the new event was not followed:\n%s", all)
		}
		for _, id := range regexp.MustCompile(`aud_\S+`).FindAllString(all, -1) {
			if n := strings.Count(all, id); n != 1 {
				t.Errorf("event %s printed %d times", id, n)
			}
		}
	})
}

package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// newStackWithEnv is newStack that also gives the stack's Env (to store
// what only a browser flow creates, a consent).
func newStackWithEnv(t *testing.T) (*stack, *app.Env) {
	t.Helper()
	st := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	return &stack{url: st.URL, boot: st.Boot}, st.Env
}

// sharkTTY runs a command line as if on a terminal whose user types input.
func (s *stack) sharkTTY(t *testing.T, env map[string]string, input string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(input), terminal: true}
	code := run(t.Context(), args, c)
	return result{code, out.String(), errb.String()}
}

func want(t *testing.T, r result, code int, stdout, stderr []string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, w := range stdout {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}
	for _, w := range stderr {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
}

// TestTenantSettings: the settings the guides' outcomes need are reachable
// from the CLI, and tenant get shows every one.
func TestTenantSettings(t *testing.T) {
	s := newStack(t)
	env := s.env()
	r := s.shark(t, env, "tenant", "update", "default", "--default-audience", "https://mcp.example.com/mcp", "--scopes", "mcp:read,mcp:write,billing:read",
		"--dcr-policy", "closed", "--dcr-scopes", "mcp:read")
	want(t, r, 0, []string{"default audience:", "https://mcp.example.com/mcp", "dcr policy:", "closed"}, nil)
	r = s.shark(t, env, "tenant", "get", "default")
	want(t, r, 0, []string{"https://mcp.example.com/mcp", "billing:read", "closed", "dcr scopes:", "issuer:", "disabled:", "cimd:", "dpop nonce:", "audiences:"}, nil)
	if !regexp.MustCompile(`(?m)^dcr scopes:\s+mcp:read$`).MatchString(r.stdout) {
		t.Errorf("dcr scopes:\n%s", r.stdout)
	}
	// The audience reaches tokens: a token that asks for none is for it.
	r = s.shark(t, env, "agent", "create", "--name", "aud", "--scopes", "mcp:read")
	clientID, secret := field(t, r.stdout, "client id"), field(t, r.stdout, "client secret")
	r = s.shark(t, s.env("SHARK_CLIENT_SECRET", secret), "token", "--client-id", clientID, "--json")
	if aud := mustJSON(t, r.stdout)["claims"].(map[string]any)["aud"]; !strings.Contains(str(aud), "https://mcp.example.com/mcp") {
		t.Fatalf("aud %v", aud)
	}
	// --audience is --resource.
	r = s.shark(t, s.env("SHARK_CLIENT_SECRET", secret), "token", "--client-id", clientID, "--audience", "https://mcp.example.com/mcp", "--json")
	want(t, r, 0, []string{`"https://mcp.example.com/mcp"`}, nil)

	want(t, s.shark(t, env, "tenant", "update", "default"), 2, nil, []string{"shark tenant update: nothing to update"})
	want(t, s.shark(t, env, "tenant", "update", "default", "--enable", "--disable"), 2, nil, []string{"--enable and --disable"})
	want(t, s.shark(t, env, "tenant", "update", "default", "--dcr-policy", "sideways"), 1, nil, []string{"400", "dcr_policy"})
	want(t, s.shark(t, env, "tenant", "update", "nosuch", "--name", "x"), 1, nil, []string{"404"})

	s.shark(t, env, "tenant", "create", "acme")
	// Disabling asks; without a terminal it needs --yes and changes nothing.
	want(t, s.shark(t, env, "tenant", "update", "acme", "--disable"), 2, nil, []string{"Disable tenant acme", "--yes"})
	want(t, s.shark(t, env, "tenant", "get", "acme"), 0, []string{"disabled:"}, nil)
	if !regexp.MustCompile(`(?m)^disabled:\s+no$`).MatchString(s.shark(t, env, "tenant", "get", "acme").stdout) {
		t.Fatal("acme was disabled without confirmation")
	}
	r = s.shark(t, env, "tenant", "update", "acme", "--disable", "--yes")
	if r.code != 0 || !regexp.MustCompile(`(?m)^disabled:\s+yes$`).MatchString(r.stdout) {
		t.Fatalf("disable: %+v", r)
	}
	r = s.shark(t, env, "tenant", "update", "acme", "--enable")
	if r.code != 0 || !regexp.MustCompile(`(?m)^disabled:\s+no$`).MatchString(r.stdout) {
		t.Fatalf("enable: %+v", r)
	}
}

// TestSigningKeyRotation: rotate says when the new key becomes current, a
// pending key is not silently replaced, and retired keys still published
// are listed.
func TestSigningKeyRotation(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := apptest.Serve(t, apptest.Config(t, ""), app.Options{Now: clock})
	s := &stack{url: st.URL, boot: st.Boot}
	env := s.env()
	first := regexp.MustCompile(`(?m)^(\S+)\s+current`).FindStringSubmatch(s.shark(t, env, "signing-key", "list").stdout)[1]
	r := s.shark(t, env, "signing-key", "rotate")
	want(t, r, 0, []string{"new key:", "scheduled"}, nil)
	after := field(t, r.stdout, "current after")
	if !regexp.MustCompile(`^20\d\d-`).MatchString(after) {
		t.Fatalf("current after %q:\n%s", after, r.stdout)
	}
	pending := field(t, r.stdout, "new key")
	r = s.shark(t, env, "signing-key", "rotate")
	want(t, r, 1, nil, []string{pending, "already pending", "--replace"})
	r = s.shark(t, env, "signing-key", "list", "--json")
	if strings.Count(r.stdout, `"state": "next"`) != 1 || !strings.Contains(r.stdout, pending) {
		t.Fatalf("the refused rotation changed the keys:\n%s", r.stdout)
	}
	r = s.shark(t, env, "signing-key", "rotate", "--replace")
	want(t, r, 0, []string{"replaced pending key:", pending}, nil)

	// Once due, the next key is current; the old one is retired and still
	// published (tokens it signed verify until they expire): it is listed.
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	r = s.shark(t, env, "signing-key", "list")
	if !regexp.MustCompile(regexp.QuoteMeta(first) + `\s+retired\s+ES256\s+yes`).MatchString(r.stdout) {
		t.Fatalf("the retired, published key is not listed as such:\n%s", r.stdout)
	}

	// Emergency: asks on a terminal, naming the key it retires.
	var current string
	for _, line := range strings.Split(s.shark(t, env, "signing-key", "list").stdout, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "current" {
			current = f[0]
		}
	}
	want(t, s.shark(t, env, "signing-key", "rotate", "--emergency"), 2, nil, []string{"Emergency rotation", current, "--yes"})
	r = s.sharkTTY(t, env, "n\n", "signing-key", "rotate", "--emergency")
	want(t, r, 1, nil, []string{current, "introspects inactive", "Continue? [y/N]", "aborted: nothing was changed"})
	r = s.sharkTTY(t, env, "y\n", "signing-key", "rotate", "--emergency")
	want(t, r, 0, []string{"emergency"}, nil)
	r = s.shark(t, env, "signing-key", "list")
	want(t, r, 0, []string{"PUBLISHED UNTIL", "CURRENT AFTER"}, nil)
}

// TestConfirmations: every destructive command names its object and asks on
// a terminal, refuses without one unless --yes, and changes nothing when
// the answer is no.
func TestConfirmations(t *testing.T) {
	s := newStack(t)
	env := s.env()
	appID := field(t, s.shark(t, env, "app", "create", "--name", "billing").stdout, "application")
	r := s.shark(t, env, "agent", "create", "--name", "bot", "--json")
	agentID := mustJSON(t, r.stdout)["id"].(string)
	userID := field(t, s.shark(t, env, "user", "create", "--email", "bob@example.com").stdout, "user")
	keyID := field(t, s.shark(t, env, "key", "create", "--name", "ci").stdout, "key id")
	s.shark(t, env, "tenant", "create", "acme", "--name", "Acme")
	jwk := filepath.Join(t.TempDir(), "key.jwk")
	os.WriteFile(jwk, []byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`), 0o600)

	cases := []struct {
		name  string
		args  []string
		names []string // what the prompt names
		check []string // a command whose output shows nothing changed
		still string
	}{
		{"app delete", []string{"app", "delete", appID}, []string{appID, "billing"}, []string{"app", "get", appID}, "billing"},
		{"agent revoke", []string{"agent", "revoke", agentID}, []string{agentID, "bot"}, []string{"agent", "get", agentID}, `active:\s+yes`},
		{"agent rotate-dpop-key", []string{"agent", "rotate-dpop-key", agentID, "--jwk", jwk}, []string{agentID, "pinned to this one key", "fresh keypair per instance fails"}, []string{"agent", "get", agentID}, `dpop key:\s+-`},
		{"user revoke-agents", []string{"user", "revoke-agents", userID}, []string{userID, "bob@example.com"}, []string{"audit", "list", "--event", "user.agents_revoked"}, ""},
		{"user delete", []string{"user", "delete", userID}, []string{userID, "bob@example.com"}, []string{"user", "get", userID}, `bob@example\.com`},
		{"tenant disable", []string{"tenant", "disable", "acme"}, []string{"acme", "Acme"}, []string{"tenant", "get", "acme"}, `disabled:\s+no`},
		{"key revoke", []string{"key", "revoke", keyID}, []string{keyID, "ci"}, []string{"key", "list"}, keyID + `\s+ci\s+\S+\s+\*\s+yes`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.shark(t, env, c.args...)
			want(t, r, 2, nil, append([]string{"--yes", "no terminal"}, c.names...))
			r = s.sharkTTY(t, env, "n\n", c.args...)
			want(t, r, 1, nil, append([]string{"Continue? [y/N]", "aborted"}, c.names...))
			r = s.sharkTTY(t, env, "\n", c.args...) // the default is no
			want(t, r, 1, nil, []string{"aborted"})
			if r = s.shark(t, env, c.check...); r.code != 0 || !regexp.MustCompile(c.still).MatchString(r.stdout) || c.still == "" && strings.Contains(r.stdout, "user.agents_revoked") {
				t.Fatalf("changed without a yes: %+v", r)
			}
			r = s.sharkTTY(t, env, "y\n", c.args...)
			want(t, r, 0, nil, nil)
		})
	}
	// --yes, for scripts.
	id2 := field(t, s.shark(t, env, "app", "create", "--name", "two").stdout, "application")
	want(t, s.shark(t, env, "app", "delete", id2, "--yes"), 0, []string{"deleted application " + id2}, nil)
}

// TestActionableErrors: what goes wrong says what to do.
func TestActionableErrors(t *testing.T) {
	s := newStack(t)
	env := s.env()
	other := httptest.NewServer(http.NotFoundHandler()) // some other web server
	defer other.Close()
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"stopped server", s.env("SHARK_URL", "http://127.0.0.1:1"), []string{"agent", "list"}, 1, nil,
			[]string{"no SharkAuth stack at http://127.0.0.1:1: start it with `make run` or pass --url/SHARK_URL"}},
		{"stopped server json", s.env("SHARK_URL", "http://127.0.0.1:1"), []string{"agent", "list", "--json"}, 1, nil,
			[]string{`{"error":"unreachable","message":"no SharkAuth stack at http://127.0.0.1:1`}},
		{"trailing slashes", s.env("SHARK_URL", s.url+"//"), []string{"agent", "list"}, 0, []string{"no agents"}, nil},
		{"base URL with a path", s.env("SHARK_URL", s.url+"/api/v1"), []string{"agent", "list"}, 1, nil, []string{"no SharkAuth API at " + s.url + "/api/v1", "base URL"}},
		{"not a SharkAuth server", s.env("SHARK_URL", other.URL), []string{"agent", "list"}, 1, nil, []string{"no SharkAuth API at " + other.URL}},
		{"platform key as admin key", s.env("SHARK_ADMIN_KEY", s.boot.PlatformKey), []string{"agent", "list"}, 1, nil, []string{"is a platform key", "sk_live_"}},
		{"admin key as platform key", s.env("SHARK_PLATFORM_KEY", s.boot.AdminKey), []string{"tenant", "list"}, 1, nil, []string{"is a tenant admin key", "sk_platform_"}},
		{"empty agents", env, []string{"agent", "list"}, 0, []string{"no agents"}, nil},
		{"empty apps", env, []string{"app", "list"}, 0, []string{"no applications"}, nil},
		{"empty users", env, []string{"user", "list"}, 0, []string{"no users"}, nil},
		{"api error json", env, []string{"agent", "get", "agent_nope", "--json"}, 1, nil, []string{`"error":"not_found"`, `"message":`, `"status":404`}},
		{"usage error json", env, []string{"agent", "get", "--json"}, 2, nil, []string{`"error":"usage"`, "shark agent get"}},
		{"full command path", env, []string{"user", "revoke-agents"}, 2, nil, []string{"shark user revoke-agents: missing argument: USER_ID"}},
		{"unknown user warns", env, []string{"user", "revoke-agents", "usr_typo", "--yes"}, 0, nil, []string{"warning: user usr_typo does not exist"}},
		{"unknown user strict", env, []string{"user", "revoke-agents", "usr_typo", "--yes", "--strict"}, 1, nil, []string{"user usr_typo does not exist"}},
		{"unknown app warns", env, []string{"agent", "create", "--name", "x", "--app", "app_typo"}, 0, []string{"client secret"}, []string{"warning: application app_typo does not exist"}},
		{"unknown app strict", env, []string{"agent", "create", "--name", "y", "--app", "app_typo", "--strict"}, 1, nil, []string{"application app_typo does not exist"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.shark(t, c.env, c.args...)
			want(t, r, c.code, c.stdout, c.stderr)
			if c.code != 0 && r.stdout != "" {
				t.Errorf("a failure wrote to stdout:\n%s", r.stdout)
			}
		})
	}
	// --strict created nothing.
	if r := s.shark(t, env, "agent", "list", "--search", "y"); strings.Contains(r.stdout, " y ") {
		t.Fatalf("strict created the agent: %s", r.stdout)
	}
}

// TestUserCommands: get, update, delete and a user's consents.
func TestUserCommands(t *testing.T) {
	s, e := newStackWithEnv(t)
	env := s.env()
	userID := field(t, s.shark(t, env, "user", "create", "--email", "carol@example.com", "--name", "Carol").stdout, "user")
	want(t, s.shark(t, env, "user", "get", userID), 0, []string{userID, "carol@example.com", "Carol", "has password:"}, nil)
	want(t, s.shark(t, env, "user", "update", userID, "--name", "Carol B", "--email-verified"), 0, []string{"Carol B"}, nil)
	if r := s.shark(t, env, "user", "get", userID); !regexp.MustCompile(`email verified:\s+yes`).MatchString(r.stdout) {
		t.Fatalf("email verified: %s", r.stdout)
	}
	want(t, s.shark(t, env, "user", "update", userID), 2, nil, []string{"nothing to update"})
	want(t, s.shark(t, env, "user", "get", "usr_nope"), 1, nil, []string{"404"})
	want(t, s.shark(t, env, "user", "consents", userID), 0, []string{"no consents"}, nil)

	now := time.Now()
	cn := store.Consent{UserID: userID, ClientID: "https://app.example/client.json", RedirectURI: "https://app.example/cb", Scopes: []string{"mcp:read"},
		Resources: []string{"https://mcp.example.com"}, CreatedAt: now, UpdatedAt: now}
	ev := store.AuditEvent{ID: ids.New("aud_"), Event: "consent.granted", ActorType: "user", ActorID: userID, Status: "success", Metadata: map[string]any{}, CreatedAt: now}
	if err := e.Store.GrantConsent(t.Context(), tenant.MustID("default"), cn, ev); err != nil {
		t.Fatal(err)
	}
	r := s.shark(t, env, "user", "consents", userID)
	want(t, r, 0, []string{"https://app.example/client.json", "https://app.example/cb", "mcp:read", "https://mcp.example.com"}, nil)
	consentID := regexp.MustCompile(`(?m)^(\S+)\s+https://app\.example/client\.json`).FindStringSubmatch(r.stdout)[1]
	want(t, s.shark(t, env, "user", "revoke-consent", userID, "cns_nope", "--yes"), 1, nil, []string{"has no consent cns_nope"})
	want(t, s.shark(t, env, "user", "revoke-consent", userID, consentID), 2, nil, []string{consentID, "https://app.example/client.json", "--yes"})
	want(t, s.shark(t, env, "user", "revoke-consent", userID, consentID, "--yes"), 0, []string{"revoked consent " + consentID}, nil)
	want(t, s.shark(t, env, "user", "consents", userID), 0, []string{"no consents"}, nil)
	want(t, s.shark(t, env, "audit", "list", "--event", "consent.revoked"), 0, []string{consentID}, nil)

	want(t, s.shark(t, env, "user", "delete", userID, "--yes"), 0, []string{"deleted user " + userID}, nil)
	want(t, s.shark(t, env, "user", "get", userID), 1, nil, []string{"404"})
}

// TestMoreCommands: update of apps and agents, key rotate, version, whoami,
// health, debug decode-jwt, date flags and a tail without backlog.
func TestMoreCommands(t *testing.T) {
	s := newStack(t)
	env := s.env()
	appID := field(t, s.shark(t, env, "app", "create", "--name", "one").stdout, "application")
	want(t, s.shark(t, env, "app", "update", appID, "--name", "renamed", "--redirect-uri", "https://app.example.com/cb"), 0, []string{"renamed", "https://app.example.com/cb"}, nil)
	want(t, s.shark(t, env, "app", "get", appID), 0, []string{"renamed"}, nil)
	want(t, s.shark(t, env, "app", "update", appID), 2, nil, []string{"nothing to update"})

	r := s.shark(t, env, "agent", "create", "--name", "a", "--scopes", "mcp:read,mcp:write", "--app", appID)
	clientID, secret, agentID := field(t, r.stdout, "client id"), field(t, r.stdout, "client secret"), field(t, r.stdout, "agent")
	want(t, s.shark(t, env, "agent", "update", agentID, "--name", "b", "--scopes", "mcp:read", "--audience", "https://mcp.example.com"), 0,
		[]string{"b", "mcp:read", "https://mcp.example.com"}, nil)
	if r = s.shark(t, env, "agent", "get", agentID); strings.Contains(r.stdout, "mcp:write") {
		t.Fatalf("scopes not replaced: %s", r.stdout)
	}

	keyID := field(t, s.shark(t, env, "key", "create", "--name", "ci", "--expires-at", "2099-01-01").stdout, "key id")
	r = s.shark(t, env, "key", "list", "--json")
	want(t, r, 0, []string{`"expires_at": "2099-01-01T00:00:00Z"`}, nil)
	r = s.shark(t, env, "key", "rotate", keyID)
	want(t, r, 0, []string{"admin key:", "shown once", "replaces:"}, nil)
	newKey := field(t, r.stdout, "admin key")
	want(t, s.shark(t, s.env("SHARK_ADMIN_KEY", newKey), "whoami"), 0, []string{"ci", "SHARK_ADMIN_KEY", "issuer:"}, nil)
	want(t, s.shark(t, env, "whoami"), 0, []string{"first admin key", "(root tenant)", "SHARK_ADMIN_KEY"}, nil)

	want(t, s.shark(t, env, "version"), 0, []string{"shark:", "go:"}, nil)
	want(t, s.shark(t, env, "version", "--json"), 0, []string{`"go":`}, nil)

	want(t, s.shark(t, env, "health"), 0, []string{"ok    stack", "ok    tenant", "ok    admin key", "ok    platform key", "ok    clock"}, nil)
	want(t, s.shark(t, s.env("SHARK_ADMIN_KEY", "sk_live_"+strings.Repeat("A", 43)), "doctor"), 1, []string{"FAIL  admin key", "ok    tenant"}, nil)
	want(t, s.shark(t, env, "health", "--tenant", "nosuch"), 1, []string{"FAIL  tenant"}, nil)
	want(t, s.shark(t, s.env("SHARK_URL", "http://127.0.0.1:1"), "health"), 1, []string{"FAIL  stack", "no SharkAuth stack"}, nil)

	r = s.shark(t, s.env("SHARK_CLIENT_SECRET", secret), "token", "--client-id", clientID, "--json")
	tok := mustJSON(t, r.stdout)["access_token"].(string)
	r = s.shark(t, env, "debug", "decode-jwt", tok)
	want(t, r, 0, []string{"valid (", "active:", "active", clientID, "ES256"}, nil)
	if strings.Contains(r.stdout, tok) {
		t.Fatal("decode-jwt printed the token")
	}
	var in bytes.Buffer
	in.WriteString(tok + "\n")
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }, stdin: &in}
	if code := run(t.Context(), []string{"debug", "decode-jwt", "-", "--json"}, c); code != 0 || mustJSON(t, out.String())["introspection"].(map[string]any)["active"] != true {
		t.Fatalf("decode-jwt from stdin: %d %s %s", code, out.String(), errb.String())
	}
	s.shark(t, env, "agent", "revoke", agentID, "--yes")
	want(t, s.shark(t, env, "debug", "decode-jwt", tok), 0, []string{"inactive"}, nil)
	want(t, s.shark(t, env, "debug", "decode-jwt", tok, "--introspect=false"), 0, []string{"not asked"}, nil)
	forged := tok[:len(tok)-4] + "AAAA"
	want(t, s.shark(t, env, "debug", "decode-jwt", forged), 0, []string{"NOT verified"}, nil)
	want(t, s.shark(t, env, "debug", "decode-jwt", "nope"), 2, nil, []string{"not a JWT"})

	want(t, s.shark(t, env, "audit", "list", "--since", time.Now().UTC().Format(time.DateOnly), "--until", time.Now().UTC().Add(48*time.Hour).Format(time.DateOnly), "--event", "app.created"), 0, []string{appID}, nil)
	want(t, s.shark(t, env, "audit", "list", "--since", "2999-01-01", "--json"), 0, []string{`"data": []`}, nil)
}

// TestTailWithoutBacklog: audit tail --limit 0 prints only what happens
// after it starts.
func TestTailWithoutBacklog(t *testing.T) {
	s := newStack(t)
	env := s.env()
	old := field(t, s.shark(t, env, "app", "create", "--name", "before").stdout, "application")
	var out, errb syncBuffer
	waiting := make(chan struct{})
	ticks := make(chan time.Time)
	c := &cli{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] },
		after: func(time.Duration) <-chan time.Time { waiting <- struct{}{}; return ticks }}
	ctx, cancel := contextWithCancel(t)
	done := make(chan int)
	go func() { done <- run(ctx, []string{"audit", "tail", "--limit", "0"}, c) }()
	<-waiting
	later := field(t, s.shark(t, env, "app", "create", "--name", "after").stdout, "application")
	ticks <- time.Time{}
	<-waiting
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("tail exited %d: %s", code, errb.String())
	}
	if all := out.String(); strings.Contains(all, old) || !strings.Contains(all, later) {
		t.Fatalf("tail --limit 0 printed:\n%s", all)
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}

// TestTenantURL: SHARK_URL may be a tenant's URL (<ApiUrl>/t/<tenant>, a
// deployed stack without a RootTenant): admin commands use that tenant,
// platform commands and health the stack's URL.
func TestTenantURL(t *testing.T) {
	s := newStack(t)
	r := s.shark(t, s.env(), "tenant", "create", "acme", "--json")
	key := mustJSON(t, r.stdout)["admin_key"].(string)
	env := s.env("SHARK_URL", s.url+"/t/acme/", "SHARK_ADMIN_KEY", key)
	want(t, s.shark(t, env, "app", "create", "--name", "acme-app"), 0, []string{"acme-app"}, nil)
	want(t, s.shark(t, env, "app", "list"), 0, []string{"acme-app"}, nil)
	want(t, s.shark(t, s.env(), "app", "list"), 0, []string{"no applications"}, nil) // not the root tenant's
	want(t, s.shark(t, env, "tenant", "list"), 0, []string{"acme", "default"}, nil)
	want(t, s.shark(t, env, "health"), 0, []string{"ok    tenant        resolved: " + s.url + "/t/acme"}, nil)
	want(t, s.shark(t, env, "app", "list", "--tenant", "other"), 2, nil, []string{"names tenant acme but --tenant is other"})
}

// TestQuickstart runs the README's six-line quickstart (app, user, agent
// created by the user, token for an audience, the user's agents revoked)
// as written, with the ids each line prints fed to the next.
func TestQuickstart(t *testing.T) {
	s := newStack(t)
	env := s.env()
	r := s.shark(t, env, "tenant", "update", "default", "--default-audience", "https://mcp.example.com/mcp")
	want(t, r, 0, nil, nil)
	appID := field(t, s.shark(t, env, "app", "create", "--name", "my-saas-backend").stdout, "application")
	userID := field(t, s.shark(t, env, "user", "create", "--email", "alice@example.com").stdout, "user")
	r = s.shark(t, env, "agent", "create", "--app", appID, "--name", "alice-agent", "--created-by", userID, "--scopes", "mcp:read")
	want(t, r, 0, []string{"shown once"}, nil)
	clientID, secret := field(t, r.stdout, "client id"), field(t, r.stdout, "client secret")
	r = s.shark(t, s.env("SHARK_CLIENT_SECRET", secret), "token", "--client-id", clientID)
	want(t, r, 0, []string{"valid (tenant JWKS)", "https://mcp.example.com/mcp", "mcp:read"}, nil)
	r = s.shark(t, env, "user", "revoke-agents", userID, "--reason", "cancelled", "--yes")
	want(t, r, 0, []string{"revoked agents:", "1 "}, nil)
	r = s.shark(t, env, "agent", "tokens", clientID)
	want(t, r, 0, []string{"revoked ("}, nil)
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestResourceCommands: shark resource create/list/get/rotate-secret/delete
// against the in-process stack, and shark key create refusing an unknown scope.
func TestResourceCommands(t *testing.T) {
	s := newStack(t)
	env := s.env()
	r := s.shark(t, env, "resource", "create", "--name", "notes mcp", "--resource", "https://mcp.example.com/mcp", "--resource", "https://api.example.com")
	if r.code != 0 || !strings.Contains(r.stdout, "shown once") {
		t.Fatalf("resource create: %+v", r)
	}
	id, clientID, secret := field(t, r.stdout, "resource server"), field(t, r.stdout, "client id"), field(t, r.stdout, "client secret")
	if !strings.HasPrefix(id, "rs_") || !strings.HasPrefix(clientID, "shark_rs_") || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
		t.Fatalf("create printed id %q client id %q secret %q", id, clientID, secret)
	}
	if r = s.shark(t, env, "resource", "list"); r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "https://api.example.com") || strings.Contains(r.stdout, secret) {
		t.Fatalf("list: %+v", r)
	}
	if r = s.shark(t, env, "resource", "get", clientID); r.code != 0 || field(t, r.stdout, "id") != id {
		t.Fatalf("get: %+v", r)
	}
	r = s.shark(t, env, "resource", "rotate-secret", id)
	if next := field(t, r.stdout, "client secret"); r.code != 0 || next == secret {
		t.Fatalf("rotate-secret: %+v", r)
	}
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	os.WriteFile(jwks, []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`), 0o600)
	r = s.shark(t, env, "resource", "create", "--name", "api", "--resource", "https://api.example.com", "--jwks-file", jwks, "--json")
	if x := mustJSON(t, r.stdout); r.code != 0 || x["token_endpoint_auth_method"] != "private_key_jwt" || x["client_secret"] != nil {
		t.Fatalf("create with --jwks-file: %+v", r)
	}
	if r = s.shark(t, env, "resource", "delete", id); r.code != 0 {
		t.Fatalf("delete: %+v", r)
	}
	if r = s.shark(t, env, "resource", "get", id); r.code == 0 || !strings.Contains(r.stderr, "resource server") {
		t.Fatalf("get after delete: %+v", r)
	}
	// Refusals.
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no resource", []string{"resource", "create", "--name", "x"}, `required flag(s) "resource"`},
		{"not a URL", []string{"resource", "create", "--name", "x", "--resource", "mcp"}, "resources[0]"},
		{"both key sources", []string{"resource", "create", "--name", "x", "--resource", "https://a.example", "--jwks-uri", "https://k.example", "--jwks-file", jwks}, "exclusive"},
		{"unknown key scope", []string{"key", "create", "--name", "x", "--scopes", "agents:read"}, "agents:read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.shark(t, env, tc.args...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("%+v", r)
			}
		})
	}
	if r = s.shark(t, env, "key", "create", "--name", "rs", "--scopes", "introspect"); r.code != 0 || !strings.HasPrefix(field(t, r.stdout, "admin key"), "sk_live_") {
		t.Fatalf("key create --scopes introspect: %+v", r)
	}
}

package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
)

// GET /oauth/revocations through the local runner (template.yaml's routes):
// the tenant's admin reads the revocations since a cursor; an agent (a
// plain client) is refused 403, no caller 401, a bad cursor or limit 400;
// the answer may be reused for the poll interval by its caller only.
func TestRevocationFeedHTTP(t *testing.T) {
	s := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	call := func(method, path, authz, body string, basic ...string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
			if strings.HasPrefix(path, "/oauth/") {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if len(basic) == 2 {
			req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		return resp.StatusCode, resp.Header, out
	}
	admin := "Bearer " + s.Boot.AdminKey
	st, _, ag := call("POST", "/api/v1/agents", admin, `{"name":"feed agent","scopes":["mcp:read"]}`)
	if st != http.StatusCreated {
		t.Fatalf("create agent: %d %v", st, ag)
	}
	id, secret := ag["client_id"].(string), ag["client_secret"].(string)
	st, _, tok := call("POST", "/oauth/token", "", "grant_type=client_credentials", id, secret)
	if st != 200 {
		t.Fatalf("token: %d %v", st, tok)
	}
	st, _, first := call("GET", "/oauth/revocations", admin, "")
	if st != 200 || first["cursor"] == "" || len(first["revocations"].([]any)) != 0 || first["poll_after"].(float64) != 5 {
		t.Fatalf("empty feed: %d %v", st, first)
	}
	if st, _, b := call("POST", "/oauth/revoke", admin, "token="+tok["access_token"].(string)); st != 200 {
		t.Fatalf("revoke: %d %v", st, b)
	}
	st, h, got := call("GET", "/oauth/revocations?cursor="+url.QueryEscape(first["cursor"].(string)), admin, "")
	if st != 200 {
		t.Fatalf("feed: %d %v", st, got)
	}
	if cc := h.Get("Cache-Control"); cc != "private, max-age=5" || h.Get("Pragma") != "" {
		t.Fatalf("Cache-Control %q, Pragma %q", cc, h.Get("Pragma"))
	}
	es := got["revocations"].([]any)
	if len(es) != 1 {
		t.Fatalf("revocations: %v", got)
	}
	e := es[0].(map[string]any)
	if e["kind"] != "token" || e["jti"] == "" || e["expires"].(float64) == 0 {
		t.Fatalf("entry: %v", e)
	}
	// Least privilege: a resource server's own credential and an
	// introspect-only admin key read the feed too.
	st, _, rs := call("POST", "/api/v1/resource-servers", admin, `{"name":"feed rs","resources":["https://mcp.example.com/mcp"]}`)
	if st != http.StatusCreated {
		t.Fatalf("create resource server: %d %v", st, rs)
	}
	if st, _, b := call("GET", "/oauth/revocations", "", "", rs["client_id"].(string), rs["client_secret"].(string)); st != 200 || b["revocations"] == nil {
		t.Errorf("resource server reads the feed: %d %v", st, b)
	}
	st, _, ik := call("POST", "/api/v1/api-keys", admin, `{"name":"gateway","scopes":["introspect"]}`)
	if st != http.StatusCreated {
		t.Fatalf("create introspect key: %d %v", st, ik)
	}
	if st, _, b := call("GET", "/oauth/revocations", "Bearer "+ik["key"].(string), ""); st != 200 || b["revocations"] == nil {
		t.Errorf("introspect key reads the feed: %d %v", st, b)
	}
	for name, c := range map[string]struct {
		path, authz string
		basic       []string
		status      int
		code        string
	}{
		"an agent's own credential": {"/oauth/revocations", "", []string{id, secret}, 403, "access_denied"},
		"no caller":                 {"/oauth/revocations", "", nil, 401, "invalid_client"},
		"a wrong admin key":         {"/oauth/revocations", "Bearer sk_live_wrong", nil, 401, "invalid_client"},
		"a tampered cursor":         {"/oauth/revocations?cursor=abc", admin, nil, 400, "invalid_request"},
		"a limit out of range":      {"/oauth/revocations?limit=0", admin, nil, 400, "invalid_request"},
	} {
		st, _, b := call("GET", c.path, c.authz, "", c.basic...)
		if st != c.status || b["error"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", name, st, b, c.status, c.code)
		}
	}
}

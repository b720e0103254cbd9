package resource

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestMetadataHandler(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ResourceName = "Test MCP" })
	mux := http.NewServeMux()
	mux.Handle(e.v.MetadataPath(), e.v.MetadataHandler())
	cases := []struct {
		method string
		status int
	}{
		{"GET", 200}, {"HEAD", 200}, {"POST", 405}, {"DELETE", 405},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(c.method, "https://mcp.example.com"+e.v.MetadataPath(), nil))
		if w.Code != c.status {
			t.Fatalf("%s: %d, want %d", c.method, w.Code, c.status)
		}
		if c.method != "GET" {
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"resource":                          testResource,
			"authorization_servers":             []any{e.is.url},
			"scopes_supported":                  []any{"mcp:read", "mcp:write"},
			"bearer_methods_supported":          []any{"header"},
			"resource_name":                     "Test MCP",
			"dpop_signing_alg_values_supported": []any{"ES256", "ES384", "ES512", "PS256", "EdDSA"},
			"dpop_bound_access_tokens_required": false,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("metadata %v\nwant %v", got, want)
		}
	}
}

func TestRequireDPoP(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RequireDPoP = true })
	w := e.do(request("POST", testResource, "Bearer "+e.token(nil), ""))
	if w.Code != 401 {
		t.Fatalf("bearer token with RequireDPoP: %d", w.Code)
	}
	vals := w.Result().Header.Values("WWW-Authenticate")
	if len(vals) != 1 || !strings.Contains(vals[0], `DPoP error="invalid_token"`) {
		t.Fatalf("challenges %q, want only DPoP with the error", vals)
	}
	p := newProver(t)
	tok := e.boundToken(p, nil)
	if w := e.do(request("POST", testResource, "DPoP "+tok, p.proof(t, "POST", testHTU, tok, e.clock.Now(), nil))); w.Code != 200 {
		t.Fatalf("bound token: %d %s", w.Code, w.Body)
	}
}

package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sharkauth/serverless/sdk/go/resource"
)

// issuer is an in-test authorization server: an ES256 key and its JWKS.
type issuer struct {
	url string
	key *ecdsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: k}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	}))
	t.Cleanup(srv.Close)
	is.url = srv.URL
	return is
}

func sign(t *testing.T, key any, opts *jose.SignerOptions, claims any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (is *issuer) token(t *testing.T, now time.Time, aud, scope, jkt string) string {
	return is.tokenFor(t, "agent-client", now, aud, scope, jkt)
}

func (is *issuer) tokenFor(t *testing.T, sub string, now time.Time, aud, scope, jkt string) string {
	c := map[string]any{"iss": is.url, "sub": sub, "aud": []string{aud}, "exp": now.Add(15 * time.Minute).Unix(),
		"iat": now.Unix(), "nbf": now.Unix(), "jti": "t-" + now.String(), "client_id": "agent-client", "scope": scope,
		"agent_id": "agent_42", "act": map[string]any{"sub": "orchestrator"}}
	if jkt != "" {
		c["cnf"] = map[string]any{"jkt": jkt}
	}
	return sign(t, is.key, (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "k1"), c)
}

type agentKey struct {
	priv *ecdsa.PrivateKey
	jkt  string
}

func newAgentKey(t *testing.T) agentKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: &k.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return agentKey{priv: k, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

func (a agentKey) proof(t *testing.T, htm, htu, token string, now time.Time) string {
	sum := sha256.Sum256([]byte(token))
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return sign(t, a.priv, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"), map[string]any{
		"jti": base64.RawURLEncoding.EncodeToString(b), "htm": htm, "htu": htu, "iat": now.Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(sum[:])})
}

// dpopTransport signs a DPoP proof for every request the go-sdk client
// sends (the proof names the request's method and URL).
type dpopTransport struct {
	t     *testing.T
	key   agentKey
	token string
	now   time.Time
}

func (d dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "DPoP "+d.token)
	r.Header.Set("DPoP", d.key.proof(d.t, r.Method, r.URL.String(), d.token, d.now))
	return http.DefaultTransport.RoundTrip(r)
}

func startServer(t *testing.T, is *issuer, now time.Time) (string, *resource.Verifier, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	resourceURL := "http://" + ts.Listener.Addr().String() + "/mcp"
	cfg, _, err := parseConfig([]string{"-issuer", is.url, "-resource", resourceURL}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now = func() time.Time { return now }
	v, err := resource.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := newServer(v, cfg.Resource)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	return resourceURL, v, ts
}

// The official go-sdk client, holding a DPoP-bound token, initializes a
// session, lists the tools and calls whoami, which reports the verified caller.
func TestMCPServerWithTheGoSDKClient(t *testing.T) {
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	is := newIssuer(t)
	resourceURL, _, _ := startServer(t, is, now)
	agent := newAgentKey(t)
	bound := is.token(t, now, resourceURL, "mcp:read", agent.jkt)

	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
	session, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: resourceURL,
		HTTPClient: &http.Client{Transport: dpopTransport{t: t, key: agent, token: bound, now: now}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	tools, err := session.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "whoami" {
		t.Fatalf("tools %+v", tools.Tools)
	}
	res, err := session.CallTool(t.Context(), &mcp.CallToolParams{Name: "whoami"})
	if err != nil || res.IsError {
		t.Fatalf("call %v %+v", err, res)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var who caller
	if err := json.Unmarshal(b, &who); err != nil {
		t.Fatal(err)
	}
	if who.Subject != "agent-client" || who.AgentID != "agent_42" || who.JKT != agent.jkt ||
		who.Scheme != "DPoP" || len(who.Actors) != 1 || who.Actors[0].Subject != "orchestrator" {
		t.Fatalf("caller %+v", who)
	}

	// A token without a DPoP proof gets no session.
	bare := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
	if _, err := bare.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: resourceURL}, nil); err == nil {
		t.Fatal("a client without a token connected")
	}
}

// A session belongs to the caller that opened it: another caller's valid
// token with its Mcp-Session-Id is refused (mcpauth binds the go-sdk session
// to subject and client).
func TestMCPSessionBoundToItsCaller(t *testing.T) {
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	is := newIssuer(t)
	resourceURL, _, ts := startServer(t, is, now)
	owner := is.tokenFor(t, "agent-client", now, resourceURL, "mcp:read", "")
	other := is.tokenFor(t, "someone-else", now, resourceURL, "mcp:read", "")
	post := func(token, session, body string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", resourceURL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadAll(res.Body)
		res.Body.Close()
		return res
	}
	res := post(owner, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	session := res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != 200 || session == "" {
		t.Fatalf("initialize: %d, session %q", res.StatusCode, session)
	}
	post(owner, session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	if res := post(other, session, list); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another caller's token on the session: %d", res.StatusCode)
	}
	if res := post(owner, session, list); res.StatusCode != 200 {
		t.Fatalf("the owner: %d", res.StatusCode)
	}
}

func TestMCPServer(t *testing.T) {
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	is := newIssuer(t)
	resourceURL, v, ts := startServer(t, is, now)

	agent := newAgentKey(t)
	bound := is.token(t, now, resourceURL, "mcp:read", agent.jkt)
	initialize := `{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	cases := []struct {
		name    string
		method  string
		body    string
		authz   string
		dpop    func() string
		status  int
		wantErr string // error in the WWW-Authenticate challenge
		url     string // path instead of the resource URL
		whoami  bool   // a GET answer with the caller
	}{
		{name: "initialize with a DPoP-bound token", method: "POST", body: initialize, authz: "DPoP " + bound,
			dpop: func() string { return agent.proof(t, "POST", resourceURL, bound, now) }, status: 200},
		{name: "no token", method: "POST", body: initialize, status: 401},
		{name: "stolen bound token as Bearer", method: "POST", body: initialize, authz: "Bearer " + bound, status: 401, wantErr: "invalid_token"},
		{name: "stolen bound token with the thief's key", method: "POST", body: initialize, authz: "DPoP " + bound,
			dpop: func() string { return newAgentKey(t).proof(t, "POST", resourceURL, bound, now) }, status: 401, wantErr: "invalid_token"},
		{name: "token for another MCP server", method: "POST", body: initialize,
			authz: "Bearer " + is.token(t, now, "http://127.0.0.1:1/mcp", "mcp:read", ""), status: 401, wantErr: "invalid_token"},
		{name: "expired token", method: "POST", body: initialize,
			authz: "Bearer " + is.token(t, now.Add(-time.Hour), resourceURL, "mcp:read", ""), status: 401, wantErr: "invalid_token"},
		{name: "token without mcp:read", method: "POST", body: initialize,
			authz: "Bearer " + is.token(t, now, resourceURL, "mcp:write", ""), status: 403, wantErr: "insufficient_scope"},
		{name: "event stream without a token", method: "GET", status: 401},
		{name: "session delete without a token", method: "DELETE", status: 401},
		{name: "GET /resource as in the guides", method: "GET", url: "/resource", authz: "DPoP " + bound,
			dpop: func() string {
				return agent.proof(t, "GET", strings.TrimSuffix(resourceURL, "/mcp")+"/resource", bound, now)
			}, status: 200, whoami: true},
		{name: "GET /resource with a proof for POST", method: "GET", url: "/resource", authz: "DPoP " + bound,
			dpop: func() string {
				return agent.proof(t, "POST", strings.TrimSuffix(resourceURL, "/mcp")+"/resource", bound, now)
			}, status: 401, wantErr: "invalid_dpop_proof"},
		{name: "GET /resource without a token", method: "GET", url: "/resource", status: 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := resourceURL
			if c.url != "" {
				target = strings.TrimSuffix(resourceURL, "/mcp") + c.url
			}
			req, err := http.NewRequestWithContext(t.Context(), c.method, target, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if c.authz != "" {
				req.Header.Set("Authorization", c.authz)
			}
			if c.dpop != nil {
				req.Header.Set("DPoP", c.dpop())
			}
			res, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s %q", res.StatusCode, c.status, body, res.Header.Values("WWW-Authenticate"))
			}
			if c.status == 401 || c.status == 403 {
				chal := strings.Join(res.Header.Values("WWW-Authenticate"), "\n")
				if !strings.Contains(chal, `resource_metadata="`+v.MetadataURL()+`"`) {
					t.Errorf("challenges %q lack resource_metadata", chal)
				}
				if c.wantErr != "" && !strings.Contains(chal, `error="`+c.wantErr+`"`) {
					t.Errorf("challenges %q lack error %s", chal, c.wantErr)
				}
				return
			}
			if c.whoami {
				var got struct {
					Path   string `json:"path"`
					Caller caller `json:"caller"`
				}
				if err := json.Unmarshal(body, &got); err != nil || got.Path != c.url || got.Caller.JKT != agent.jkt {
					t.Fatalf("whoami %s (%v)", body, err)
				}
				return
			}
			if !strings.Contains(string(body), `"serverInfo":{"name":"sharkauth-example-mcp"`) {
				t.Fatalf("initialize answered %s", body)
			}
		})
	}

	// /healthz needs no token.
	if res, err := ts.Client().Get(strings.TrimSuffix(resourceURL, "/mcp") + "/healthz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// The challenge's resource_metadata URL serves the RFC 9728 document.
	res, err := ts.Client().Get(v.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(res.Body).Decode(&md); err != nil || res.StatusCode != 200 {
		t.Fatalf("metadata %d %v", res.StatusCode, err)
	}
	if md["resource"] != resourceURL || md["authorization_servers"].([]any)[0] != is.url {
		t.Fatalf("metadata %v", md)
	}
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr bool
		check   func(t *testing.T, cfg resource.Config, listen string)
	}{
		{name: "flags", args: []string{"-issuer", "http://localhost:8080/", "-scopes", "mcp:read mcp:write", "-listen", "127.0.0.1:7000"},
			check: func(t *testing.T, cfg resource.Config, listen string) {
				if cfg.Issuer != "http://localhost:8080" || len(cfg.Scopes) != 2 || listen != "127.0.0.1:7000" || cfg.Resource != "http://127.0.0.1:9090/mcp" {
					t.Fatalf("%+v %s", cfg, listen)
				}
			}},
		{name: "environment", env: map[string]string{"SHARK_ISSUER": "http://localhost:8080/t/acme", "MCP_RESOURCE": "https://mcp.example.com/mcp",
			"MCP_REQUIRE_DPOP": "true", "SHARK_INTROSPECT_CLIENT_ID": "c", "SHARK_INTROSPECT_CLIENT_SECRET": "s"},
			check: func(t *testing.T, cfg resource.Config, listen string) {
				if cfg.Issuer != "http://localhost:8080/t/acme" || cfg.Resource != "https://mcp.example.com/mcp" || !cfg.RequireDPoP ||
					cfg.Introspection == nil || cfg.Introspection.ClientID != "c" || listen != "127.0.0.1:9090" {
					t.Fatalf("%+v %s", cfg, listen)
				}
			}},
		{name: "introspection with the admin key", args: []string{"-issuer", "http://a.example"},
			env: map[string]string{"SHARK_INTROSPECT_ADMIN_KEY": "sk_live_x", "SHARK_INTROSPECT_CLIENT_ID": "c", "SHARK_INTROSPECT_CLIENT_SECRET": "s"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Introspection == nil || cfg.Introspection.BearerKey != "sk_live_x" || cfg.Introspection.ClientID != "" {
					t.Fatalf("%+v", cfg.Introspection)
				}
			}},
		{name: "introspection without cache", args: []string{"-issuer", "http://a.example", "-introspect-cache", "0"},
			env: map[string]string{"SHARK_INTROSPECT_ADMIN_KEY": "sk_live_x"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Introspection == nil || !cfg.Introspection.DisableCache {
					t.Fatalf("%+v", cfg.Introspection)
				}
			}},
		{name: "bad introspection cache", args: []string{"-issuer", "http://a.example", "-introspect-cache", "soon"}, wantErr: true},
		{name: "no introspection by default", args: []string{"-issuer", "http://a.example"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Introspection != nil {
					t.Fatal("introspection configured")
				}
			}},
		{name: "flag wins over environment", args: []string{"-issuer", "http://a.example"}, env: map[string]string{"SHARK_ISSUER": "http://b.example"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Issuer != "http://a.example" {
					t.Fatal(cfg.Issuer)
				}
			}},
		{name: "feed with the resource server's credential", args: []string{"-issuer", "http://a.example", "-feed"},
			env: map[string]string{"SHARK_RS_CLIENT_ID": "shark_rs_1", "SHARK_RS_CLIENT_SECRET": "s1"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Feed == nil || cfg.Feed.ClientID != "shark_rs_1" || cfg.Feed.ClientSecret != "s1" || cfg.Feed.BearerKey != "" ||
					cfg.Feed.Interval != 5*time.Second || cfg.Introspection != nil {
					t.Fatalf("feed %+v, introspection %+v", cfg.Feed, cfg.Introspection)
				}
				if m := revocationMode(cfg); m != "feed (within 5s)" {
					t.Fatal(m)
				}
			}},
		{name: "feed and introspection by environment", args: []string{"-issuer", "http://a.example"},
			env: map[string]string{"MCP_FEED": "true", "MCP_INTROSPECT": "true", "MCP_FEED_INTERVAL": "2s", "MCP_INTROSPECT_CACHE": "0",
				"SHARK_RS_CLIENT_ID": "shark_rs_1", "SHARK_RS_CLIENT_SECRET": "s1", "SHARK_INTROSPECT_ADMIN_KEY": "sk_live_x"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Feed == nil || cfg.Feed.ClientID != "shark_rs_1" || cfg.Feed.Interval != 2*time.Second {
					t.Fatalf("feed %+v", cfg.Feed)
				}
				in := cfg.Introspection
				if in == nil || in.ClientID != "shark_rs_1" || in.ClientSecret != "s1" || in.BearerKey != "" || !in.DisableCache {
					t.Fatalf("introspection %+v: want the resource server's credential, not the admin key", in)
				}
			}},
		{name: "the resource server's credential alone changes nothing", args: []string{"-issuer", "http://a.example"},
			env: map[string]string{"SHARK_RS_CLIENT_ID": "shark_rs_1", "SHARK_RS_CLIENT_SECRET": "s1"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Feed != nil || cfg.Introspection != nil || revocationMode(cfg) != "offline (a revoked token is accepted until its exp)" {
					t.Fatalf("feed %+v, introspection %+v", cfg.Feed, cfg.Introspection)
				}
			}},
		{name: "feed with the admin key", args: []string{"-issuer", "http://a.example", "-feed"}, env: map[string]string{"SHARK_INTROSPECT_ADMIN_KEY": "sk_live_x"},
			check: func(t *testing.T, cfg resource.Config, _ string) {
				if cfg.Feed == nil || cfg.Feed.BearerKey != "sk_live_x" || cfg.Introspection == nil || cfg.Introspection.BearerKey != "sk_live_x" {
					t.Fatalf("feed %+v, introspection %+v", cfg.Feed, cfg.Introspection)
				}
			}},
		{name: "feed without a credential", args: []string{"-issuer", "http://a.example", "-feed"}, wantErr: true},
		{name: "introspect without a credential", args: []string{"-issuer", "http://a.example", "-introspect"}, wantErr: true},
		{name: "half a resource server credential", args: []string{"-issuer", "http://a.example"}, env: map[string]string{"SHARK_RS_CLIENT_ID": "shark_rs_1"}, wantErr: true},
		{name: "bad MCP_FEED", args: []string{"-issuer", "http://a.example"}, env: map[string]string{"MCP_FEED": "sometimes"}, wantErr: true},
		{name: "bad feed interval", args: []string{"-issuer", "http://a.example", "-feed-interval", "0s"},
			env: map[string]string{"SHARK_RS_CLIENT_ID": "shark_rs_1", "SHARK_RS_CLIENT_SECRET": "s1"}, wantErr: true},
		{name: "no issuer", wantErr: true},
		{name: "bad require-dpop", args: []string{"-issuer", "http://a.example", "-require-dpop", "maybe"}, wantErr: true},
		{name: "unknown flag", args: []string{"-issuer", "http://a.example", "-x"}, wantErr: true},
		{name: "stray argument", args: []string{"-issuer", "http://a.example", "extra"}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, listen, err := parseConfig(c.args, func(k string) string { return c.env[k] }, io.Discard)
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, wantErr %v", err, c.wantErr)
			}
			if c.check != nil {
				c.check(t, cfg, listen)
			}
		})
	}
}

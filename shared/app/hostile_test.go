package app_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// served is the local stack as `shark serve` builds it (every function behind
// the runner, on the API Gateway v2 event path), on a loopback test server.
type served struct {
	t    *testing.T
	env  *app.Env
	url  string // http://127.0.0.1:port
	port string
	boot *app.FirstBoot
}

// serveStack starts the runner; publicURL "" behaves as `make run` does
// (issuers follow the Host the client used).
func serveStack(t *testing.T, publicURL string) *served {
	t.Helper()
	return serveStackWith(t, publicURL, app.Options{LogOutput: io.Discard})
}

// serveStackWith is serveStack with options (a settable clock).
func serveStackWith(t *testing.T, publicURL string, opts app.Options) *served {
	t.Helper()
	st := apptest.Serve(t, apptest.Config(t, publicURL), opts)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(st.URL, "http://"))
	return &served{t: t, env: st.Env, url: st.URL, port: port, boot: st.Boot}
}

type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// call sends one request without following redirects; host "" keeps the
// server's address.
func (s *served) call(method, path, host, key, body string, headers ...string) answer {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			s.t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, raw)
		}
		if err := json.Unmarshal(raw, &a.body); err != nil {
			s.t.Fatalf("%s %s: body is not a JSON object: %s", method, path, raw)
		}
	}
	return a
}

func (s *served) createTenant(body string) answer {
	s.t.Helper()
	a := s.call("POST", "/platform/v1/tenants", "", s.boot.PlatformKey, body)
	if a.status != 201 {
		s.t.Fatalf("create %s: %d %s", body, a.status, a.raw)
	}
	return a
}

func (s *served) kid(path, host string) string {
	s.t.Helper()
	a := s.call("GET", path, host, "", "")
	if a.status != 200 {
		s.t.Fatalf("GET %s (Host %q): %d %s", path, host, a.status, a.raw)
	}
	return a.body["keys"].([]any)[0].(map[string]any)["kid"].(string)
}

// Item 1: a non-canonical path never reaches another tenant, and is never
// redirected; the same on the platform API.
func TestNonCanonicalPathsNeverChangeTenant(t *testing.T) {
	s := serveStack(t, "")
	s.createTenant(`{"id":"acme"}`)
	rootKid := s.kid("/.well-known/jwks.json", "")
	for _, path := range []string{
		"/t/acme/.well-known//jwks.json",
		"/t/acme/.well-known/./jwks.json",
		"/t/acme/.well-known/x/../jwks.json",
		"/t/acme%2f../.well-known/jwks.json",
		"/t/acme/.well-known%2fjwks.json",
		"//.well-known/jwks.json",
		"/platform/v1//tenants",
		"/platform/v1/./tenants",
		"/healthz/.",
	} {
		t.Run(path, func(t *testing.T) {
			a := s.call("GET", path, "", s.boot.PlatformKey, "")
			if a.status != 404 || a.header.Get("Location") != "" || strings.Contains(a.raw, rootKid) {
				t.Fatalf("%d Location=%q %s", a.status, a.header.Get("Location"), a.raw)
			}
		})
	}
	// The canonical form still works, with a single trailing slash refused
	// as an unknown route rather than redirected.
	if s.kid("/t/acme/.well-known/jwks.json", "") == rootKid {
		t.Fatal("acme serves the root tenant's key")
	}
}

// Item 2: no tenant may claim the deployment's own host or a host that is not
// a bare lower-case DNS name, at create or PATCH.
func TestTenantHostsRefused(t *testing.T) {
	s := serveStack(t, "")
	s.createTenant(`{"id":"acme"}`)
	own := "auth.platform.test" // the host this request reaches the platform API on
	for _, h := range []string{own, "abc123.execute-api.us-east-1.amazonaws.com", "Auth.Acme.Test", "auth.acme.test.", "auth.acme.test:8080",
		"https://auth.acme.test", "auth.acme.test/x", "localhost", "127.0.0.1", "*.acme.test", ""} {
		body := `{"id":"claimer","hosts":["` + h + `"]}`
		if a := s.call("POST", "/platform/v1/tenants", own+":"+s.port, s.boot.PlatformKey, body); a.status != 400 || a.body["error"] != "invalid_parameter" {
			t.Errorf("create with host %q: %d %s", h, a.status, a.raw)
		}
		if a := s.call("PATCH", "/platform/v1/tenants/acme", own+":"+s.port, s.boot.PlatformKey, `{"hosts":["`+h+`"]}`); a.status != 400 {
			t.Errorf("patch with host %q: %d %s", h, a.status, a.raw)
		}
	}
	if a := s.call("GET", "/platform/v1/tenants/claimer", "", s.boot.PlatformKey, ""); a.status != 404 {
		t.Fatalf("a refused create left a tenant: %s", a.raw)
	}
}

// Items 3 and 9: a host is normalised before lookup, a host that is not the
// deployment's nor a tenant's is 404, and a new tenant and its host answer at
// once after the 201 (the negative answer cached before is dropped).
func TestCustomHosts(t *testing.T) {
	s := serveStack(t, "http://auth.platform.test")
	if a := s.call("GET", "/t/acme/.well-known/jwks.json", "auth.platform.test", "", ""); a.status != 404 {
		t.Fatalf("acme before it exists: %d", a.status)
	}
	if a := s.call("GET", "/.well-known/jwks.json", "auth.acme.test", "", ""); a.status != 404 {
		t.Fatalf("a host nobody owns: %d %s", a.status, a.raw)
	}
	s.createTenant(`{"id":"acme","hosts":["auth.acme.test","login.acme.test"]}`)
	acmeKid := s.kid("/t/acme/.well-known/jwks.json", "auth.platform.test")
	rootKid := s.kid("/.well-known/jwks.json", "auth.platform.test")
	for _, host := range []string{"auth.acme.test", "AUTH.ACME.TEST", "auth.acme.test:8080", "auth.acme.test:443", "auth.acme.test.", "login.acme.test"} {
		if got := s.kid("/.well-known/jwks.json", host); got != acmeKid {
			t.Errorf("Host %q: kid %s, want acme's %s (root's is %s)", host, got, acmeKid, rootKid)
		}
	}
	md := s.call("GET", "/.well-known/oauth-authorization-server", "auth.acme.test:8080", "", "")
	if md.body["issuer"] != "https://auth.acme.test" {
		t.Fatalf("host issuer: %s", md.raw)
	}
	for _, host := range []string{"evil.example.org", "auth.acme.test.evil.org", "127.0.0.1"} {
		if a := s.call("GET", "/.well-known/jwks.json", host, "", ""); a.status != 404 || a.body["message"] != "unknown tenant" {
			t.Errorf("Host %q: %d %s", host, a.status, a.raw)
		}
	}
	// Item 6: one issuer per URL the tenant is reached on, all reported.
	got := s.call("GET", "/platform/v1/tenants/acme", "auth.platform.test", s.boot.PlatformKey, "")
	if got.body["issuer"] != "https://auth.acme.test" || strings.Join(toStrings(got.body["issuers"]), " ") != "http://auth.platform.test/t/acme https://auth.acme.test https://login.acme.test" {
		t.Fatalf("issuers: %s", got.raw)
	}
	login := s.call("GET", "/.well-known/oauth-authorization-server", "login.acme.test", "", "")
	if login.body["issuer"] != "https://login.acme.test" {
		t.Fatalf("second host's issuer: %s", login.raw)
	}
	// A removed host stops answering at once.
	if a := s.call("PATCH", "/platform/v1/tenants/acme", "auth.platform.test", s.boot.PlatformKey, `{"hosts":["auth.acme.test"]}`); a.status != 200 {
		t.Fatalf("patch: %s", a.raw)
	}
	if a := s.call("GET", "/.well-known/jwks.json", "login.acme.test", "", ""); a.status != 404 {
		t.Fatalf("removed host: %d %s", a.status, a.raw)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// Items 4, 5 and 7: locally the issuer follows the scheme and Host the client
// used; the root tenant has one issuer (no /t/default); path insertion is
// for metadata documents only.
func TestIssuers(t *testing.T) {
	s := serveStack(t, "")
	s.createTenant(`{"id":"acme"}`)
	for host, want := range map[string]string{
		"127.0.0.1:" + s.port: "http://127.0.0.1:" + s.port,
		"localhost:" + s.port: "http://localhost:" + s.port,
		"LocalHost:80":        "http://localhost",
	} {
		md := s.call("GET", "/.well-known/oauth-authorization-server", host, "", "")
		if md.status != 200 || md.body["issuer"] != want || md.body["jwks_uri"] != want+"/.well-known/jwks.json" {
			t.Errorf("Host %s: %s", host, md.raw)
		}
		acme := s.call("GET", "/.well-known/oauth-authorization-server/t/acme", host, "", "")
		if acme.body["issuer"] != want+"/t/acme" {
			t.Errorf("Host %s, acme: %s", host, acme.raw)
		}
	}
	for _, path := range []string{"/t/default/.well-known/jwks.json", "/t/default/.well-known/oauth-authorization-server",
		"/.well-known/oauth-authorization-server/t/default", "/.well-known/jwks.json/t/acme"} {
		if a := s.call("GET", path, "", "", ""); a.status != 404 {
			t.Errorf("%s: %d %s", path, a.status, a.raw)
		}
	}
}

// Items 8, 12, 13, 14: cache and method hygiene, challenges and CORS.
func TestHTTPHygiene(t *testing.T) {
	s := serveStack(t, "")
	created := s.call("POST", "/platform/v1/tenants", "", s.boot.PlatformKey, `{"id":"acme"}`)
	for name, a := range map[string]answer{
		"create (one-time key)": created,
		"list":                  s.call("GET", "/platform/v1/tenants", "", s.boot.PlatformKey, ""),
		"error":                 s.call("GET", "/platform/v1/tenants/nope", "", s.boot.PlatformKey, ""),
		"health":                s.call("GET", "/healthz", "", "", ""),
	} {
		if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Pragma") != "no-cache" {
			t.Errorf("%s: Cache-Control %q Pragma %q", name, a.header.Get("Cache-Control"), a.header.Get("Pragma"))
		}
	}
	for _, c := range []struct{ method, path, allow string }{
		{"POST", "/.well-known/jwks.json", "GET, HEAD"},
		{"DELETE", "/t/acme/.well-known/oauth-authorization-server", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
		{"DELETE", "/platform/v1/tenants", "GET, HEAD, POST"},
	} {
		a := s.call(c.method, c.path, "", s.boot.PlatformKey, "")
		if a.status != 405 || a.header.Get("Allow") != c.allow || a.body["error"] != "method_not_allowed" {
			t.Errorf("%s %s: %d Allow=%q %s", c.method, c.path, a.status, a.header.Get("Allow"), a.raw)
		}
	}
	for _, key := range []string{"", "sk_platform_" + strings.Repeat("x", 43)} {
		a := s.call("GET", "/platform/v1/tenants", "", key, "")
		if a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without a Bearer challenge: %v", a.header)
		}
	}
	j := s.call("GET", "/t/acme/.well-known/jwks.json", "", "", "", "Origin", "https://app.example")
	if j.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("jwks without CORS: %v", j.header)
	}
	pre := s.call("OPTIONS", "/.well-known/oauth-authorization-server", "", "", "", "Origin", "https://app.example",
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "mcp-protocol-version")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "GET") ||
		pre.header.Get("Access-Control-Allow-Headers") != "mcp-protocol-version" {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	if p := s.call("GET", "/platform/v1/tenants", "", s.boot.PlatformKey, "", "Origin", "https://app.example"); p.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("the platform API is CORS-open: %v", p.header)
	}
	if p := s.call("OPTIONS", "/platform/v1/tenants", "", "", "", "Origin", "https://app.example", "Access-Control-Request-Method", "POST"); p.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("platform preflight allowed: %d %v", p.status, p.header)
	}
}

// Item 15: discovery lists only what is served.
func TestDiscoveryAdvertisesOnlyWhatExists(t *testing.T) {
	s := serveStack(t, "")
	md := s.call("GET", "/.well-known/oauth-authorization-server", "", "", "")
	for member := range md.body {
		switch member {
		case "issuer", "jwks_uri", "scopes_supported", "response_types_supported", "service_documentation":
			continue
		}
		endpoint := strings.TrimSuffix(member, "_endpoint")
		if endpoint == member {
			continue // not an endpoint: grant types and methods come with theirs
		}
		url, _ := md.body[member].(string)
		path := strings.TrimPrefix(url, s.url)
		method := "POST"
		if member == "authorization_endpoint" {
			method = "GET" // its pages are HTML
		}
		if a := s.callRaw(method, path); a == 404 {
			t.Errorf("%s %s is advertised but has no route", member, url)
		}
	}
	// What comes with the authorization endpoint is advertised with it.
	_, hasAuthz := md.body["authorization_endpoint"]
	_, hasPKCE := md.body["code_challenge_methods_supported"]
	rt, _ := md.body["response_types_supported"].([]any)
	if hasAuthz != hasPKCE || hasAuthz != (len(rt) == 1 && rt[0] == "code") || hasAuthz != (md.body["authorization_response_iss_parameter_supported"] == true) {
		t.Errorf("the authorization endpoint's members disagree: %s", md.raw)
	}
}

// callRaw sends a request and returns its status, whatever its body's type.
func (s *served) callRaw(method, path string) int {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Items 16, 17, 18: strict JSON and query strings, names, request ids.
func TestStrictInput(t *testing.T) {
	s := serveStack(t, "")
	pk := s.boot.PlatformKey
	for _, c := range []struct {
		name, body string
	}{
		{"duplicate member", `{"id":"dup1","id":"dup2"}`},
		{"mis-cased member", `{"ID":"cased"}`},
		{"null body", `null`},
		{"array body", `[{"id":"arr"}]`},
		{"trailing JSON", `{"id":"trail"} {"id":"trail2"}`},
		{"NUL in name", `{"id":"nul1","name":"a\u0000b"}`},
		{"newline in name", `{"id":"nl1","name":"a\nb"}`},
		{"ESC in name", `{"id":"esc1","name":"a\u001b[31m"}`},
		{"201 emoji", `{"id":"emoji2","name":"` + strings.Repeat("🦈", 201) + `"}`},
		{"blank name", `{"id":"blank","name":"   "}`},
	} {
		if a := s.call("POST", "/platform/v1/tenants", "", pk, c.body); a.status != 400 {
			t.Errorf("%s: %d %s", c.name, a.status, a.raw)
		}
	}
	if a := s.call("POST", "/platform/v1/tenants", "", pk, `{"id":"emoji","name":"`+strings.Repeat("🦈", 51)+`"}`); a.status != 201 {
		t.Errorf("51 emoji (204 bytes, 51 characters): %d %s", a.status, a.raw)
	}
	if a := s.call("PATCH", "/platform/v1/tenants/emoji", "", pk, `{"id":"other"}`); a.status != 400 {
		t.Errorf("PATCH with another id: %d %s", a.status, a.raw)
	}
	for _, q := range []string{"limit=%zz", "limit=5&cursor=%", "limit=0", "limit=201", "limit=x"} {
		if a := s.call("GET", "/platform/v1/tenants?"+q, "", pk, ""); a.status != 400 {
			t.Errorf("?%s: %d %s", q, a.status, a.raw)
		}
	}
	for id, kept := range map[string]bool{
		"req-123_abc.1:2":         true,
		strings.Repeat("a", 64):   true,
		strings.Repeat("a", 65):   false,
		"<script>alert(1)":        false,
		"a b":                     false,
		"id\"quoted":              false,
		"unicode-é":               false,
		"{\"injected\":\"json\"}": false,
	} {
		a := s.call("GET", "/healthz", "", "", "", "X-Request-Id", id)
		got := a.header.Get("X-Request-Id")
		if (got == id) != kept || got == "" {
			t.Errorf("X-Request-Id %q answered as %q (kept: want %v)", id, got, kept)
		}
	}
}

// Item 19: what the runner can answer itself is JSON: a request without Host.
func TestRunnerRefusesMissingHostInJSON(t *testing.T) {
	s := serveStack(t, "")
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /healthz HTTP/1.0\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" || !json.Valid(body) {
		t.Fatalf("no Host: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// Item 10: a first boot whose keys cannot be shown or saved stores nothing,
// so the next start is a first boot again; and a lost admin key can be
// replaced from the data dir.
func TestFirstBootIsResumableAndKeysRecoverable(t *testing.T) {
	dir := t.TempDir()
	cfg := localConfig(dir)
	env, err := app.NewEnv(t.Context(), cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	failed := errors.New("disk full")
	var shown *app.FirstBoot
	if _, err := env.BootWith(t.Context(), func(b *app.FirstBoot) error { shown = b; return failed }); !errors.Is(err, failed) {
		t.Fatalf("boot with a failing announcement: %v", err)
	}
	if _, err := env.Store.GetTenant(t.Context(), cfg.RootTenant); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the root tenant was stored although its keys were never shown: %v", err)
	}
	if _, err := env.Store.PlatformKeyByHash(t.Context(), ids.Hash(shown.PlatformKey)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the platform key was stored although it was never shown: %v", err)
	}
	var announced *app.FirstBoot
	boot, err := env.BootWith(t.Context(), func(b *app.FirstBoot) error { announced = b; return nil })
	if err != nil || boot == nil || announced != boot {
		t.Fatalf("second start is not a first boot: %v %v", boot, err)
	}
	if _, err := env.Store.APIKeyByHash(t.Context(), cfg.RootTenant, ids.Hash(boot.AdminKey)); err != nil {
		t.Fatalf("announced admin key not stored: %v", err)
	}
	if again, err := env.BootWith(t.Context(), func(*app.FirstBoot) error { t.Fatal("keys shown twice"); return nil }); again != nil || err != nil {
		t.Fatalf("third start: %v %v", again, err)
	}
	key, err := env.MintAdminKey(t.Context(), cfg.RootTenant)
	if err != nil || !strings.HasPrefix(key, "sk_live_") || key == boot.AdminKey {
		t.Fatalf("recovered key %q: %v", key, err)
	}
	rec, err := env.Store.APIKeyByHash(t.Context(), cfg.RootTenant, ids.Hash(key))
	if err != nil || len(rec.Scopes) != 1 || rec.Scopes[0] != "*" || rec.Prefix != key[:12] {
		t.Fatalf("recovered key record: %+v %v", rec, err)
	}
	if _, err := env.MintAdminKey(t.Context(), tenant.MustID("nobody")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key for an unknown tenant: %v", err)
	}
}

// The data dir, the database and the master key are private to the user.
func TestDataFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env, err := app.NewEnv(t.Context(), localConfig(dir), app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "pebble"): 0o700, filepath.Join(dir, "master.key"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
}

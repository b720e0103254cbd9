package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// stack is both functions over one environment in a temp dir, as the local
// runner builds them.
type stack struct {
	t     *testing.T
	env   *app.Env
	jwks  http.Handler
	admin http.Handler
	boot  *app.FirstBoot
}

func localConfig(dir string) config.Config {
	return config.Config{
		PublicURL: "http://localhost:8080", RootTenant: tenant.MustID("default"),
		Store: config.StoreEmbedded, DataDir: dir, KeyMode: "local", LogLevel: "error",
	}
}

func start(t *testing.T, dir string) *stack {
	t.Helper()
	return startWith(t, localConfig(dir), app.Options{})
}

func startWith(t *testing.T, cfg config.Config, opts app.Options) *stack {
	t.Helper()
	env, err := app.NewEnv(t.Context(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := env.Boot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, env: env, jwks: app.Jwks(env), admin: app.Admin(env), boot: boot}
	t.Cleanup(func() { env.Close() })
	return s
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (s *stack) do(h http.Handler, method, path, key, body string) resp {
	s.t.Helper()
	r := httptest.NewRequest(method, "http://localhost:8080"+path, strings.NewReader(body))
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	raw, _ := io.ReadAll(w.Result().Body)
	out := resp{status: w.Code, header: w.Header(), raw: string(raw)}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		s.t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, raw)
	}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		s.t.Fatalf("%s %s: body is not a JSON object: %s", method, path, raw)
	}
	return out
}

func (s *stack) kids(path string) []string {
	s.t.Helper()
	r := s.do(s.jwks, "GET", path, "", "")
	if r.status != 200 {
		s.t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	var kids []string
	for _, k := range r.body["keys"].([]any) {
		kids = append(kids, k.(map[string]any)["kid"].(string))
	}
	return kids
}

func TestFirstBootJWKSAndMetadata(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	if s.boot == nil || !strings.HasPrefix(s.boot.AdminKey, "sk_live_") || !strings.HasPrefix(s.boot.PlatformKey, "sk_platform_") {
		t.Fatalf("first boot: %+v", s.boot)
	}

	r := s.do(s.jwks, "GET", "/.well-known/jwks.json", "", "")
	if r.status != 200 || r.header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("jwks: %d %v", r.status, r.header)
	}
	ks := r.body["keys"].([]any)
	if len(ks) != 1 {
		t.Fatalf("want one key, got %s", r.raw)
	}
	k := ks[0].(map[string]any)
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || len(k["kid"].(string)) != 16 || k["x"] == nil || k["y"] == nil {
		t.Fatalf("key: %v", k)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if _, ok := k[private]; ok {
			t.Fatalf("JWKS publishes private member %q", private)
		}
	}

	md := s.do(s.jwks, "GET", "/.well-known/oauth-authorization-server", "", "")
	if md.status != 200 || md.body["issuer"] != "http://localhost:8080" ||
		md.body["jwks_uri"] != "http://localhost:8080/.well-known/jwks.json" || md.header.Get("Cache-Control") != "public, max-age=3600" {
		t.Fatalf("metadata: %d %s", md.status, md.raw)
	}
	if algs, ok := md.body["dpop_signing_alg_values_supported"].([]any); ok {
		for _, alg := range algs {
			if alg == "none" || strings.HasPrefix(alg.(string), "HS") {
				t.Fatalf("advertises DPoP alg %v", alg)
			}
		}
	}
	// With the authorize function deployed, MCP clients find the same
	// metadata under openid-configuration too.
	if oidc := s.do(s.jwks, "GET", "/.well-known/openid-configuration", "", ""); oidc.status != 200 || oidc.raw != md.raw {
		t.Fatalf("openid-configuration: %d %s, want the RFC 8414 document %s", oidc.status, oidc.raw, md.raw)
	}

	// A restart keeps the data: same kid, no second first boot.
	kid := k["kid"].(string)
	s.env.Close()
	again := start(t, dir)
	if again.boot != nil {
		t.Fatal("second start ran the first boot again")
	}
	if kids := again.kids("/.well-known/jwks.json"); len(kids) != 1 || kids[0] != kid {
		t.Fatalf("kid after restart: %v, want %s", kids, kid)
	}
}

func TestPlatformTenants(t *testing.T) {
	s := start(t, t.TempDir())
	pk := s.boot.PlatformKey

	created := s.do(s.admin, "POST", "/platform/v1/tenants", pk, `{"id":"acme","name":"Acme","scopes":["mcp:read","mcp:write"]}`)
	if created.status != 201 || created.body["issuer"] != "http://localhost:8080/t/acme" || !strings.HasPrefix(created.body["admin_key"].(string), "sk_live_") {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	if tn := created.body["tenant"].(map[string]any); tn["id"] != "acme" || tn["name"] != "Acme" || tn["disabled"] != false {
		t.Fatalf("tenant: %v", tn)
	}
	rootKids, acmeKids := s.kids("/.well-known/jwks.json"), s.kids("/t/acme/.well-known/jwks.json")
	if len(acmeKids) != 1 || acmeKids[0] == rootKids[0] {
		t.Fatalf("acme kids %v, root kids %v", acmeKids, rootKids)
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server/t/acme", "/t/acme/.well-known/oauth-authorization-server"} {
		md := s.do(s.jwks, "GET", path, "", "")
		if md.status != 200 || md.body["issuer"] != "http://localhost:8080/t/acme" || md.body["jwks_uri"] != "http://localhost:8080/t/acme/.well-known/jwks.json" ||
			fmt.Sprint(md.body["scopes_supported"]) != "[mcp:read mcp:write]" {
			t.Fatalf("%s: %d %s", path, md.status, md.raw)
		}
	}

	errorsCases := []struct {
		name, method, path, key, body string
		status                        int
		code, message                 string
	}{
		{"unknown tenant", "GET", "/t/nope/.well-known/jwks.json", "", "", 404, "not_found", "unknown tenant"},
		{"unknown tenant by insertion", "GET", "/.well-known/oauth-authorization-server/t/nope", "", "", 404, "not_found", "unknown tenant"},
		{"invalid tenant in path", "GET", "/t/NOPE/.well-known/jwks.json", "", "", 404, "not_found", "unknown tenant"},
		{"no platform key", "POST", "/platform/v1/tenants", "", `{"id":"x1x"}`, 401, "unauthorized", "missing API key"},
		{"admin key on platform", "POST", "/platform/v1/tenants", s.boot.AdminKey, `{"id":"x1x"}`, 401, "unauthorized", "invalid API key format"},
		{"unknown platform key", "POST", "/platform/v1/tenants", "sk_platform_" + strings.Repeat("A", 43), `{"id":"x1x"}`, 401, "unauthorized", "invalid API key"},
		{"bad tenant id", "POST", "/platform/v1/tenants", pk, `{"id":"Bad_Id"}`, 400, "invalid_parameter", ""},
		{"missing tenant id", "POST", "/platform/v1/tenants", pk, `{"name":"x"}`, 400, "invalid_request", ""},
		{"not JSON", "POST", "/platform/v1/tenants", pk, `{"id":`, 400, "invalid_request", ""},
		{"wrong type", "POST", "/platform/v1/tenants", pk, `{"id":42}`, 400, "invalid_parameter", ""},
		{"bad host", "POST", "/platform/v1/tenants", pk, `{"id":"hosty","hosts":["not a host"]}`, 400, "invalid_parameter", ""},
		{"bad scope", "POST", "/platform/v1/tenants", pk, `{"id":"scopy","scopes":["has space"]}`, 400, "invalid_parameter", ""},
		{"bad dcr policy", "POST", "/platform/v1/tenants", pk, `{"id":"dcr1","dcr_policy":"maybe"}`, 400, "invalid_parameter", ""},
		{"relative default audience", "POST", "/platform/v1/tenants", pk, `{"id":"aud1","default_audience":"/mcp"}`, 400, "invalid_parameter", ""},
		{"default audience with fragment", "POST", "/platform/v1/tenants", pk, `{"id":"aud2","default_audience":"https://mcp.example.com/#x"}`, 400, "invalid_parameter", ""},
		{"default audience not http", "POST", "/platform/v1/tenants", pk, `{"id":"aud3","default_audience":"urn:x:y"}`, 400, "invalid_parameter", ""},
		{"default audience with user info", "POST", "/platform/v1/tenants", pk, `{"id":"aud4","default_audience":"https://u:p@mcp.example.com"}`, 400, "invalid_parameter", ""},
		{"default audience wrong type", "PATCH", "/platform/v1/tenants/acme", pk, `{"default_audience":["https://a.example"]}`, 400, "invalid_parameter", ""},
		{"duplicate", "POST", "/platform/v1/tenants", pk, `{"id":"acme"}`, 409, "conflict", ""},
		{"duplicate root", "POST", "/platform/v1/tenants", pk, `{"id":"default"}`, 409, "conflict", ""},
		{"get unknown", "GET", "/platform/v1/tenants/nope", pk, "", 404, "not_found", "unknown tenant"},
		{"bad limit", "GET", "/platform/v1/tenants?limit=0", pk, "", 400, "invalid_parameter", ""},
		{"bad cursor", "GET", "/platform/v1/tenants?cursor=abc", pk, "", 400, "invalid_parameter", ""},
		{"no route", "GET", "/platform/v1/nothing", pk, "", 404, "not_found", ""},
	}
	for _, c := range errorsCases {
		t.Run(c.name, func(t *testing.T) {
			h := s.admin
			if strings.Contains(c.path, "well-known") {
				h = s.jwks
			}
			r := s.do(h, c.method, c.path, c.key, c.body)
			if r.status != c.status || r.body["error"] != c.code || (c.message != "" && r.body["message"] != c.message) {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
		})
	}
	// The failed creates left nothing behind.
	for _, id := range []string{"x1x", "hosty", "dcr1", "aud1", "aud2", "aud3", "aud4"} {
		if r := s.do(s.admin, "GET", "/platform/v1/tenants/"+id, pk, ""); r.status != 404 {
			t.Fatalf("%s exists after a failed create", id)
		}
	}

	// default_audience is set, echoed and cleared.
	for _, aud := range []string{"https://mcp.example.com/mcp", ""} {
		r := s.do(s.admin, "PATCH", "/platform/v1/tenants/acme", pk, `{"default_audience":"`+aud+`"}`)
		if r.status != 200 || r.body["default_audience"] != aud {
			t.Fatalf("patch default_audience %q: %d %s", aud, r.status, r.raw)
		}
	}

	// List pages through every tenant exactly once.
	s.do(s.admin, "POST", "/platform/v1/tenants", pk, `{"id":"globex","hosts":["auth.globex.test"]}`)
	var seen []string
	cursor := ""
	for range 5 {
		r := s.do(s.admin, "GET", "/platform/v1/tenants?limit=2&cursor="+cursor, pk, "")
		for _, tn := range r.body["data"].([]any) {
			seen = append(seen, tn.(map[string]any)["id"].(string))
		}
		if r.body["has_more"] == false {
			break
		}
		cursor = r.body["next_cursor"].(string)
	}
	if strings.Join(seen, ",") != "acme,default,globex" {
		t.Fatalf("listed %v", seen)
	}

	// A host tenant resolves by host, with an https issuer.
	req := httptest.NewRequest("GET", "http://auth.globex.test/.well-known/oauth-authorization-server", nil)
	w := httptest.NewRecorder()
	s.jwks.ServeHTTP(w, req)
	if !strings.Contains(w.Body.String(), `"issuer":"https://auth.globex.test"`) {
		t.Fatalf("host tenant metadata: %s", w.Body.String())
	}

	upd := s.do(s.admin, "PATCH", "/platform/v1/tenants/acme", pk, `{"name":"Acme Corp"}`)
	if upd.status != 200 || upd.body["name"] != "Acme Corp" {
		t.Fatalf("update: %s", upd.raw)
	}
	dis := s.do(s.admin, "POST", "/platform/v1/tenants/acme/disable", pk, "")
	if dis.status != 200 || dis.body["disabled"] != true {
		t.Fatalf("disable: %s", dis.raw)
	}
	for _, path := range []string{"/t/acme/.well-known/jwks.json", "/.well-known/oauth-authorization-server/t/acme"} {
		if r := s.do(s.jwks, "GET", path, "", ""); r.status != 404 || r.body["message"] != "unknown tenant" {
			t.Fatalf("disabled tenant %s: %d %s", path, r.status, r.raw)
		}
	}
	if got := s.do(s.admin, "GET", "/platform/v1/tenants/acme", pk, ""); got.body["disabled"] != true || got.body["disabled_at"] == nil {
		t.Fatalf("disabled tenant as the operator sees it: %s", got.raw)
	}
	if en := s.do(s.admin, "PATCH", "/platform/v1/tenants/acme", pk, `{"disabled":false}`); en.status != 200 || en.body["disabled"] != false || en.body["disabled_at"] != nil {
		t.Fatalf("re-enable: %s", en.raw)
	}
	if kids := s.kids("/t/acme/.well-known/jwks.json"); len(kids) != 1 || kids[0] != acmeKids[0] {
		t.Fatalf("re-enabled tenant's keys: %v", kids)
	}
	if r := s.do(s.admin, "POST", "/platform/v1/tenants", pk, `{"id":"born-off","disabled":true}`); r.status != 400 {
		t.Fatalf("create disabled: %s", r.raw)
	}
}

// TestLogsCarryNoSecrets runs the flows that handle keys with debug logging and
// scans everything logged for the keys, the Authorization header and bodies.
func TestLogsCarryNoSecrets(t *testing.T) {
	var logs safeBuffer
	cfg := localConfig(t.TempDir())
	cfg.LogLevel = "debug"
	s := startWith(t, cfg, app.Options{LogOutput: &logs})
	created := s.do(s.admin, "POST", "/platform/v1/tenants", s.boot.PlatformKey, `{"id":"acme"}`)
	s.do(s.admin, "POST", "/platform/v1/tenants", s.boot.AdminKey, `{"id":"acme2"}`)
	s.do(s.admin, "POST", "/platform/v1/tenants", "sk_platform_"+strings.Repeat("z", 43), `{"id":"acme3"}`)
	s.do(s.jwks, "GET", "/t/acme/.well-known/jwks.json", "", "")
	out := logs.String()
	if !strings.Contains(out, `"route":"POST /platform/v1/tenants"`) {
		t.Fatalf("no access log captured: %q", out)
	}
	for _, secret := range []string{s.boot.PlatformKey, s.boot.AdminKey, created.body["admin_key"].(string), "sk_platform_zzz", "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestRevokedPlatformKey: a platform key with a revocation time is refused like
// an unknown one.
func TestRevokedPlatformKey(t *testing.T) {
	s := start(t, t.TempDir())
	key := "sk_platform_" + strings.Repeat("R", 43)
	pk := store.PlatformKey{ID: "pk_revoked", Hash: ids.Hash(key), CreatedAt: s.env.Store.Now(), RevokedAt: s.env.Store.Now()}
	if err := s.env.Store.CreatePlatformKey(t.Context(), pk); err != nil {
		t.Fatal(err)
	}
	r := s.do(s.admin, "GET", "/platform/v1/tenants", key, "")
	if r.status != 401 || r.body["message"] != "invalid API key" {
		t.Fatalf("revoked platform key: %d %s", r.status, r.raw)
	}
	if ok := s.do(s.admin, "GET", "/platform/v1/tenants", s.boot.PlatformKey, ""); ok.status != 200 {
		t.Fatalf("live platform key: %d %s", ok.status, ok.raw)
	}
}

// TestDeploymentAuditRetention: a tenant created without its own audit
// retention gets the deployment's (AUDIT_RETENTION_DAYS); one that names
// it keeps its own; without a deployment value the store's default holds.
func TestDeploymentAuditRetention(t *testing.T) {
	tests := []struct {
		name       string
		deployment int
		body       string
		want       float64
	}{
		{"deployment default", 30, `{"id":"acme"}`, 30},
		{"tenant's own wins", 30, `{"id":"acme","audit_retention_days":7}`, 7},
		{"store default", 0, `{"id":"acme"}`, float64(store.DefaultAuditRetentionDays)},
		{"out of range refused", 30, `{"id":"acme","audit_retention_days":0}`, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := localConfig(t.TempDir())
			cfg.AuditRetentionDays = tc.deployment
			s := startWith(t, cfg, app.Options{})
			r := s.do(s.admin, "POST", "/platform/v1/tenants", s.boot.PlatformKey, tc.body)
			if tc.want < 0 {
				if r.status != 400 {
					t.Fatalf("create: %d %s", r.status, r.raw)
				}
				return
			}
			if r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.raw)
			}
			g := s.do(s.admin, "GET", "/platform/v1/tenants/acme", s.boot.PlatformKey, "")
			if got := g.body["audit_retention_days"]; got != tc.want {
				if tn, ok := g.body["tenant"].(map[string]any); !ok || tn["audit_retention_days"] != tc.want {
					t.Fatalf("audit_retention_days = %v, want %v: %s", got, tc.want, g.raw)
				}
			}
		})
	}
}

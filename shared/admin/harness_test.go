package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	_ "github.com/sharkauth/serverless/shared/app/localstore" // the embedded store
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// harness is the admin function over an embedded store in a temp dir, built by
// the real constructor, with the root tenant "default" and a second tenant
// "bravo" (created through the platform API).
type harness struct {
	t        *testing.T
	env      *app.Env
	admin    http.Handler
	jwks     http.Handler
	clock    *storetest.Clock
	key      string // the root tenant's admin key
	platform string
	bravoKey string
}

var (
	root  = tenant.MustID("default")
	bravo = tenant.MustID("bravo")
)

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := storetest.NewClock()
	cfg := config.Config{
		PublicURL: "http://localhost:8080", RootTenant: root,
		Store: config.StoreEmbedded, DataDir: t.TempDir(), KeyMode: "local", LogLevel: "error",
	}
	env, err := app.NewEnv(t.Context(), cfg, app.Options{Now: clock.Now, LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	boot, err := env.Boot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, env: env, admin: app.Admin(env), jwks: app.Jwks(env), clock: clock, key: boot.AdminKey, platform: boot.PlatformKey}
	r := h.do("POST", "/platform/v1/tenants", h.platform, map[string]any{"id": "bravo"})
	if r.status != 201 {
		t.Fatalf("create bravo: %d %s", r.status, r.raw)
	}
	h.bravoKey = r.obj()["admin_key"].(string)
	return h
}

type resp struct {
	t      *testing.T
	status int
	header http.Header
	body   any
	raw    string
}

func (r resp) obj() map[string]any {
	r.t.Helper()
	m, ok := r.body.(map[string]any)
	if !ok {
		r.t.Fatalf("body is not an object: %s", r.raw)
	}
	return m
}

// str returns a string member of the body (or "").
func (r resp) str(name string) string {
	r.t.Helper()
	s, _ := r.obj()[name].(string)
	return s
}

// list returns the body's "data" (or another named) array of objects.
func (r resp) list(name string) []map[string]any {
	r.t.Helper()
	raw, ok := r.obj()[name].([]any)
	if !ok {
		r.t.Fatalf("no %s array in %s", name, r.raw)
	}
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	return out
}

// do sends a request to the admin function; body is marshalled unless it is
// a string (sent as is).
func (h *harness) do(method, path, key string, body any) resp {
	h.t.Helper()
	h.clock.Advance(time.Millisecond) // each request at its own instant: events order
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, "http://localhost:8080"+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.admin.ServeHTTP(w, req)
	out := resp{t: h.t, status: w.Code, header: w.Header(), raw: w.Body.String()}
	if w.Code >= 500 {
		h.t.Fatalf("%s %s: %d %s", method, path, w.Code, out.raw)
	}
	if w.Code == http.StatusNoContent {
		if w.Body.Len() != 0 {
			h.t.Fatalf("%s %s: 204 with a body", method, path)
		}
		return out
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		h.t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, out.raw)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out.body); err != nil {
		h.t.Fatalf("%s %s: body is not JSON: %s", method, path, out.raw)
	}
	return out
}

// want checks a response's status (and, for errors, its code and that the
// message names want.mention).
func (r resp) want(status int, code, mention string) {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if code == "" {
		return
	}
	if got := r.str("error"); got != code {
		r.t.Fatalf("error %q, want %q: %s", got, code, r.raw)
	}
	if !strings.Contains(r.str("message"), mention) {
		r.t.Fatalf("message %q does not mention %q", r.str("message"), mention)
	}
}

// agent registers an agent through the API and returns its object.
func (h *harness) agent(key, prefix string, body map[string]any) map[string]any {
	h.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if _, ok := body["name"]; !ok {
		body["name"] = "agent-" + ids.NanoID()[:6]
	}
	r := h.do("POST", prefix+"/api/v1/agents", key, body)
	r.want(201, "", "")
	h.clock.Advance(time.Millisecond)
	return r.obj()
}

func (h *harness) user(key, prefix, email string) map[string]any {
	h.t.Helper()
	r := h.do("POST", prefix+"/api/v1/admin/users", key, map[string]any{"email": email})
	r.want(201, "", "")
	h.clock.Advance(time.Millisecond)
	return r.obj()
}

// token issues a token to a client straight through the store (the token
// endpoint is another function) and returns its jti.
func (h *harness) token(t tenant.ID, clientID, agentID, jkt, kid string) string {
	h.t.Helper()
	h.clock.Advance(time.Millisecond) // issued after whatever the test did last
	now := h.env.Store.Now()
	if kid == "" {
		keys, _ := h.env.Store.SigningKeys(h.t.Context(), t)
		kid = keys[0].KID
	}
	rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: clientID, AgentID: agentID, Subject: clientID, Scope: "mcp:read",
		Audience: []string{"https://api.test"}, JKT: jkt, KID: kid, GrantType: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	ev := store.AuditEvent{ID: ids.New("aud_"), Event: "oauth.token_issued", ActorType: "client", ActorID: clientID, Status: "success", Metadata: map[string]any{}, CreatedAt: now}
	if err := h.env.Store.IssueToken(h.t.Context(), t, store.Issuance{Token: rec, Event: ev}); err != nil {
		h.t.Fatal(err)
	}
	h.clock.Advance(time.Millisecond)
	return rec.JTI
}

func (h *harness) active(t tenant.ID, jti string) bool {
	h.t.Helper()
	a, err := h.env.Store.TokenActivity(h.t.Context(), t, jti)
	if err != nil {
		h.t.Fatal(err)
	}
	return a.Active
}

// events returns the names of today's audit events of a tenant, and the
// events by id.
func (h *harness) events(t tenant.ID) map[string]store.AuditEvent {
	h.t.Helper()
	evs, err := h.env.Store.AuditEventsOn(h.t.Context(), t, h.env.Store.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]store.AuditEvent{}
	for _, ev := range evs {
		out[ev.ID] = ev
	}
	return out
}

// lastEvent returns the newest event with the given name.
func (h *harness) lastEvent(t tenant.ID, name string) store.AuditEvent {
	h.t.Helper()
	evs, _ := h.env.Store.AuditEventsOn(h.t.Context(), t, h.env.Store.Now())
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Event == name {
			return evs[i]
		}
	}
	h.t.Fatalf("no %s event", name)
	return store.AuditEvent{}
}

// doHeaders sends a body-less request with the given headers.
func (h *harness) doHeaders(method, path string, headers map[string]string) resp {
	h.t.Helper()
	req := httptest.NewRequest(method, "http://localhost:8080"+path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.admin.ServeHTTP(w, req)
	out := resp{t: h.t, status: w.Code, header: w.Header(), raw: w.Body.String()}
	if err := json.Unmarshal(w.Body.Bytes(), &out.body); err != nil {
		h.t.Fatalf("%s %s: body is not JSON: %s", method, path, out.raw)
	}
	return out
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// doQuiet sends a body-less request from any goroutine and returns its status.
func (h *harness) doQuiet(method, path, key string) int {
	req := httptest.NewRequest(method, "http://localhost:8080"+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	h.admin.ServeHTTP(w, req)
	return w.Code
}

package authorize

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/password"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// engines runs f on the embedded engine and on DynamoDB (moto: infra/moto.sh
// sets its endpoint; awstest.NewTable fails the test without it).
func engines(t *testing.T, f func(t *testing.T, newTable func(t *testing.T, clock *storetest.Clock) store.Table)) {
	t.Run("embedded", func(t *testing.T) {
		f(t, func(t *testing.T, clock *storetest.Clock) store.Table {
			tb, err := embedded.Open(filepath.Join(t.TempDir(), "db"), clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tb.Close() })
			return tb
		})
	})
	t.Run("dynamodb", func(t *testing.T) {
		// The emulator must be there (make test starts it): never a skip.
		f(t, func(t *testing.T, clock *storetest.Clock) store.Table {
			client, name := awstest.NewTable(t)
			return dynamodb.New(client, name, clock.Now)
		})
	})
}

// fakeCodes implements Codes exactly as the store's CreateAuthCode will.
type fakeCodes struct {
	mu    sync.Mutex
	codes []AuthCode
	store *store.Store
	// refuse, when set, is the store's answer instead of a code.
	refuse error
}

func (f *fakeCodes) CreateAuthCode(ctx context.Context, t tenant.ID, c AuthCode, ev store.AuditEvent) error {
	if f.refuse != nil {
		return f.refuse
	}
	f.mu.Lock()
	f.codes = append(f.codes, c)
	f.mu.Unlock()
	return f.store.RecordAuditEvents(ctx, t, ev)
}

func (f *fakeCodes) byValue(code string) (AuthCode, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.codes {
		if ids.Matches(code, c.Hash) {
			return c, true
		}
	}
	return AuthCode{}, false
}

const (
	userEmail    = "alice@example.com"
	userPassword = "correct horse battery"
	appRedirect  = "https://app.example/cb"
	challenge    = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

type harness struct {
	t      *testing.T
	s      *store.Store
	clock  *storetest.Clock
	h      *Handler
	codes  *fakeCodes
	ten    tenant.Tenant
	srv    http.Handler
	user   store.User
	client store.Client
	jar    map[string]*http.Cookie
	addr   string // the client's RemoteAddr ("" is 192.0.2.7:5000)
}

// newHarness is a tenant "acme" with issuer issuer, a public client "app"
// allowed the code grant, and a user with a password.
func newHarness(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table, issuer string) *harness {
	clock := storetest.NewClock()
	s := store.New(newTable(t, clock), clock.Now)
	now := s.Now()
	ctx := t.Context()
	rec := store.Tenant{ID: "acme", Name: "Acme Corp", Scopes: []string{"mcp:read", "mcp:write"}, CreatedAt: now, UpdatedAt: now}
	secret := ids.NewKey(ids.AdminKeyPrefix)
	if err := s.CreateTenant(ctx, store.NewTenant{Tenant: rec,
		SigningKey: store.SigningKey{KID: "kid", State: store.KeyCurrent, Mode: store.ModeLocal, PublicDER: []byte("der"), Sealed: []byte("x"), CreatedAt: now, ActivatedAt: now},
		AdminKey:   store.APIKey{ID: ids.New("key_"), Name: "first", Hash: ids.Hash(secret), Prefix: secret[:12], Suffix: secret[len(secret)-4:], Scopes: []string{"*"}, CreatedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	ev := store.AuditEvent{ID: store.NewAuditID(now, store.DefaultAuditShards), Event: "test", ActorType: "test", ActorID: "test", Status: "success", Metadata: map[string]any{}, CreatedAt: now}
	c := store.Client{ID: ids.New("agent_"), ClientID: "app", Kind: store.KindDCR, Name: "Claude <Desktop>", AuthMethod: "none",
		GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"mcp:read", "mcp:write"},
		Audiences:    []string{"https://mcp.example/mcp", "https://other.example/mcp"},
		RedirectURIs: []string{appRedirect, "http://127.0.0.1/callback", "com.example.app:/cb"}, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, tenant.MustID("acme"), c, ev); err != nil {
		t.Fatal(err)
	}
	m2m := c
	m2m.ID, m2m.ClientID, m2m.GrantTypes = ids.New("agent_"), "machine", []string{"client_credentials"}
	ev.ID = store.NewAuditID(now, store.DefaultAuditShards)
	if err := s.CreateClient(ctx, tenant.MustID("acme"), m2m, ev); err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: "usr_alice", Email: userEmail, PasswordHash: password.Hash(userPassword), CreatedAt: now, UpdatedAt: now}
	ev.ID = store.NewAuditID(now, store.DefaultAuditShards)
	if err := s.CreateUser(ctx, tenant.MustID("acme"), u, ev); err != nil {
		t.Fatal(err)
	}
	codes := &fakeCodes{store: s}
	hd := &Handler{Store: s, Codes: codes, Now: clock.Now}
	ten := tenant.Tenant{ID: tenant.MustID("acme"), Issuer: issuer}
	mux := http.NewServeMux()
	hd.Register(mux)
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(tenant.With(r.Context(), ten)))
	})
	return &harness{t: t, s: s, clock: clock, h: hd, codes: codes, ten: ten, srv: srv, user: u, client: c, jar: map[string]*http.Cookie{}}
}

// params is a valid authorization request, changed by kv (a "" value
// deletes the parameter).
func params(kv ...string) url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {appRedirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"xyz"}, "scope": {"mcp:read"},
		"resource": {"https://mcp.example/mcp"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

// do sends a request with the jar's cookies and keeps those it sets.
func (h *harness) do(method, path string, form url.Values, query string) *httptest.ResponseRecorder {
	h.t.Helper()
	target := "http://auth.example" + path
	if query != "" {
		target += "?" + query
	}
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequestWithContext(h.t.Context(), method, target, body)
	r.RemoteAddr = "192.0.2.7:5000"
	if h.addr != "" {
		r.RemoteAddr = h.addr
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range h.jar {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	w := httptest.NewRecorder()
	h.srv.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(h.jar, c.Name)
		} else {
			h.jar[c.Name] = c
		}
	}
	return w
}

func (h *harness) get(q url.Values) *httptest.ResponseRecorder {
	return h.do("GET", "/oauth/authorize", nil, q.Encode())
}

// formValue extracts a hidden input's value from a page.
func formValue(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `name="`+name+`" value="`)
	if i < 0 {
		t.Fatalf("no %s field in the page:\n%s", name, body)
	}
	rest := body[i+len(`name="`+name+`" value="`):]
	v := rest[:strings.IndexByte(rest, '"')]
	return html.UnescapeString(v) // what a browser submits
}

// login posts the login form of page with the given credentials.
func (h *harness) login(page *httptest.ResponseRecorder, email, pw string) *httptest.ResponseRecorder {
	h.t.Helper()
	body := page.Body.String()
	return h.do("POST", "/oauth/authorize", url.Values{"step": {"login"}, "csrf": {formValue(h.t, body, "csrf")},
		"request": {formValue(h.t, body, "request")}, "email": {email}, "password": {pw}}, "")
}

// consent posts the consent form of page with decision.
func (h *harness) consent(page *httptest.ResponseRecorder, decision string) *httptest.ResponseRecorder {
	h.t.Helper()
	body := page.Body.String()
	return h.do("POST", "/oauth/authorize", url.Values{"step": {"consent"}, "csrf": {formValue(h.t, body, "csrf")},
		"request": {formValue(h.t, body, "request")}, "decision": {decision}}, "")
}

// location parses a redirect's Location, failing unless it goes to prefix.
func location(t *testing.T, w *httptest.ResponseRecorder, prefix string) url.Values {
	t.Helper()
	if w.Code != http.StatusFound && w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect: %s", w.Code, w.Body)
	}
	loc := w.Header().Get("Location")
	if !strings.HasPrefix(loc, prefix+"?") {
		t.Fatalf("redirect to %q, want %s?...", loc, prefix)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

func (h *harness) events(name string) []store.AuditEvent {
	h.t.Helper()
	page, err := h.s.ListAuditEvents(h.t.Context(), h.ten.ID, store.AuditFilter{Events: []string{name}}, store.PageRequest{Limit: 100})
	if err != nil {
		h.t.Fatal(err)
	}
	return page.Items
}

// signIn runs the login step and returns the consent page.
func (h *harness) signIn(q url.Values) *httptest.ResponseRecorder {
	h.t.Helper()
	page := h.get(q)
	if page.Code != 200 || !strings.Contains(page.Body.String(), `value="login"`) {
		h.t.Fatalf("want the login page, got %d: %s", page.Code, page.Body)
	}
	return h.login(page, userEmail, userPassword)
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

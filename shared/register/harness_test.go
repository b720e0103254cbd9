package register

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/fetch/fetchtest"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/sharkauth/serverless/shared/token"
)

const (
	rootIssuer = "http://localhost:8080"
	betaIssuer = "http://localhost:8080/t/beta"
)

var t0 = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// fakeResolver is the test kit's table resolver.
type fakeResolver = fetchtest.Resolver

// harness is the register handler and the token handler on one mux, over
// the real store on the embedded engine, local keys and an injected clock.
type harness struct {
	t       testing.TB
	now     time.Time
	st      *store.Store
	reg     *Handler
	tok     *token.Handler
	mux     *http.ServeMux
	tenants map[string]tenant.Tenant
	admin   map[string]string
	sealer  keys.Sealer
	// keysSrv serves https://keys.example.com (resolved to 127.0.0.1 for a
	// fetcher that allows loopback).
	keysSrv  *httptest.Server
	keysBody []byte
}

func (hs *harness) clock() time.Time { return hs.now }

func newHarness(t testing.TB, allowLoopback bool) *harness {
	t.Helper()
	hs := &harness{t: t, now: t0, tenants: map[string]tenant.Tenant{}, admin: map[string]string{}}
	eng, err := embedded.Open(filepath.Join(t.TempDir(), "shark.db"), hs.clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	hs.st = store.New(eng, hs.clock)
	local, err := keys.NewLocal(bytes.Repeat([]byte{7}, 32), hs.clock)
	if err != nil {
		t.Fatal(err)
	}
	hs.sealer = local
	cache, err := keys.NewCache(local)
	if err != nil {
		t.Fatal(err)
	}
	hs.keysSrv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(hs.keysBody)
	}))
	t.Cleanup(hs.keysSrv.Close)
	tlsCfg := hs.keysSrv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsCfg.ServerName = "example.com"
	f := &fetch.Fetcher{
		Resolver: fakeResolver{
			"keys.example.com":     {"127.0.0.1"},
			"internal.example.com": {"10.0.0.1"},
			"metadata.example.com": {"169.254.169.254"},
			"loop.example.com":     {"127.0.0.1"},
		},
		AllowLoopback: allowLoopback, TLS: tlsCfg, Now: hs.clock,
	}
	hs.reg = &Handler{Store: hs.st, Now: hs.clock, Fetcher: f}
	hs.tok = &token.Handler{Store: hs.st, Keys: cache, Now: hs.clock,
		RemoteKeys: KeySource{Fetcher: f}.Keys}
	hs.mux = http.NewServeMux()
	hs.reg.Register(hs.mux)
	hs.tok.Register(hs.mux)
	hs.addTenant("acme", rootIssuer, store.Tenant{})
	hs.addTenant("beta", betaIssuer, store.Tenant{})
	return hs
}

func (hs *harness) keysURL() string {
	return "https://keys.example.com:" + fmt.Sprint(hs.keysSrv.Listener.Addr().(*net.TCPAddr).Port) + "/jwks.json"
}

func (hs *harness) addTenant(id, issuer string, rec store.Tenant) {
	hs.admin[id] = storetest.SeedTenant(hs.t, hs.st, hs.sealer, id, &rec, hs.now)
	hs.tenants[id] = tenant.Tenant{ID: tenant.MustID(id), Issuer: issuer, Record: rec}
}

// req is one request through the mux.
type req struct {
	tenant  string
	method  string
	path    string
	body    string
	ctype   string // default application/json when body is set
	auth    string // Authorization header
	remote  string // RemoteAddr (default 192.0.2.1:1234)
	headers map[string]string
}

func (hs *harness) do(q req) *httptest.ResponseRecorder {
	hs.t.Helper()
	if q.tenant == "" {
		q.tenant = "acme"
	}
	if q.method == "" {
		q.method = http.MethodPost
	}
	if q.path == "" {
		q.path = "/oauth/register"
	}
	r := httptest.NewRequest(q.method, q.path, strings.NewReader(q.body))
	if q.ctype == "" && q.body != "" {
		q.ctype = "application/json"
	}
	if q.ctype != "" {
		r.Header.Set("Content-Type", q.ctype)
	}
	if q.auth != "" {
		r.Header.Set("Authorization", q.auth)
	}
	for k, v := range q.headers {
		r.Header.Set(k, v)
	}
	r.RemoteAddr = "192.0.2.1:1234"
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	r = r.WithContext(tenant.With(r.Context(), hs.tenants[q.tenant]))
	w := httptest.NewRecorder()
	hs.mux.ServeHTTP(w, r)
	return w
}

// form posts an urlencoded body (token endpoint).
func (hs *harness) form(tenantID, path string, v url.Values, auth string) *httptest.ResponseRecorder {
	return hs.do(req{tenant: tenantID, path: path, body: v.Encode(), ctype: "application/x-www-form-urlencoded", auth: auth})
}

func decode(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return m
}

// registered registers body on tenant acme and returns the 201 document.
func (hs *harness) registered(body string) map[string]any {
	hs.t.Helper()
	w := hs.do(req{body: body})
	if w.Code != http.StatusCreated {
		hs.t.Fatalf("register: %d %s", w.Code, w.Body)
	}
	return decode(hs.t, w)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// wantError checks an OAuth error response.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error != code {
		t.Fatalf("error %q, want %q (%s)", e.Error, code, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", w.Header().Get("Cache-Control"))
	}
}

// ecKey is a client's or publisher's signing key.
type ecKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newKey(t testing.TB, kid string) ecKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return ecKey{priv: priv, kid: kid}
}

func (k ecKey) jwks() string {
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"}}})
	return string(b)
}

func (k ecKey) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

var _ = io.Discard

type httptestRecorder = httptest.ResponseRecorder

func base64std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
func encodeURL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
func base64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}

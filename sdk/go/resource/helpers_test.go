package resource

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// clock is the injected clock of the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signingKey is an issuer key with its kid.
type signingKey struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newSigningKey(t testing.TB, kid string) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, priv: k}
}

// testIssuer is an in-test authorization server: a JWKS endpoint (counting
// fetches) and an RFC 7662 introspection endpoint with a revocation list.
type testIssuer struct {
	t   testing.TB
	srv *httptest.Server
	url string

	mu           sync.Mutex
	published    []signingKey
	extraJWKS    []json.RawMessage
	cacheControl string
	jwksStatus   int
	revoked      map[string]bool
	clientID     string
	clientSecret string
	adminKey     string

	jwksHits       atomic.Int32
	introspectHits atomic.Int32
}

func newTestIssuer(t testing.TB, keys ...signingKey) *testIssuer {
	t.Helper()
	is := &testIssuer{t: t, published: keys, cacheControl: "public, max-age=300", jwksStatus: 200,
		revoked: map[string]bool{}, clientID: "rs client", clientSecret: "s3cr:et+/", adminKey: "sk_live_admin"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", is.serveJWKS)
	mux.HandleFunc("POST /oauth/introspect", is.serveIntrospect)
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	is.url = is.srv.URL
	return is
}

func (is *testIssuer) setKeys(keys ...signingKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.published = keys
}

func (is *testIssuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	is.jwksHits.Add(1)
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.jwksStatus != 200 {
		w.WriteHeader(is.jwksStatus)
		return
	}
	var keys []json.RawMessage
	for _, k := range is.published {
		b, err := json.Marshal(jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"})
		if err != nil {
			is.t.Error(err)
		}
		keys = append(keys, b)
	}
	keys = append(keys, is.extraJWKS...)
	if is.cacheControl != "" {
		w.Header().Set("Cache-Control", is.cacheControl)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

func (is *testIssuer) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	is.introspectHits.Add(1)
	is.mu.Lock()
	defer is.mu.Unlock()
	authorized := false
	if id, secret, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		authorized = id == is.clientID && secret == is.clientSecret
	} else if r.Header.Get("Authorization") == "Bearer "+is.adminKey {
		authorized = true
	}
	w.Header().Set("Content-Type", "application/json")
	if !authorized {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	tok := r.PostFormValue("token")
	if tok == "" || is.revoked[tok] {
		_, _ = w.Write([]byte(`{"active":false}`))
		return
	}
	_, _ = w.Write([]byte(`{"active":true,"token_type":"DPoP"}`))
}

func (is *testIssuer) revoke(tok string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.revoked[tok] = true
}

// claims returns a valid claims set for the resource at now.
func (is *testIssuer) claims(now time.Time, aud string) map[string]any {
	return map[string]any{
		"iss": is.url, "sub": "agent-client", "aud": []string{aud},
		"exp": now.Add(15 * time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Unix(),
		"jti": "jti-" + randomString(8), "client_id": "agent-client", "scope": "mcp:read",
		"agent_id": "agent_123",
	}
}

// signToken signs claims with k as an at+jwt; header members in extra
// override or add to the protected header.
func signToken(t testing.TB, k signingKey, claims map[string]any, extra map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", k.kid)
	for name, v := range extra {
		opts = opts.WithHeader(jose.HeaderKey(name), v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return signCompact(t, s, claims)
}

func signCompact(t testing.TB, s jose.Signer, claims any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// unsigned builds an attacker's JWS with header h and no valid signature:
// the test-only way to produce alg "none" (go-jose cannot sign it).
func unsigned(t testing.TB, h map[string]any, claims any, sig string) string {
	t.Helper()
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return b64(hb) + "." + b64(cb) + "." + sig
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64(b)
}

// prover is a DPoP client key.
type prover struct {
	priv *ecdsa.PrivateKey
	jkt  string
}

func newProver(t testing.TB) *prover {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: &k.PublicKey}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &prover{priv: k, jkt: b64(tp)}
}

// proof signs a DPoP proof for htm/htu/token at iat; edit may change the
// claims before signing.
func (p *prover) proof(t testing.TB, htm, htu, token string, iat time.Time, edit func(map[string]any)) string {
	t.Helper()
	c := map[string]any{"jti": randomString(16), "htm": htm, "htu": htu, "iat": iat.Unix(), "ath": ath(token)}
	if edit != nil {
		edit(c)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.priv},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	return signCompact(t, s, c)
}

// jwkJSON is the public JWK of p as a map (for hand-built headers).
func (p *prover) jwkJSON(t testing.TB, private bool) map[string]any {
	t.Helper()
	var key any = &p.priv.PublicKey
	if private {
		key = p.priv
	}
	b, err := json.Marshal(jose.JSONWebKey{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const (
	testResource = "https://mcp.example.com/mcp"
	testHTU      = "https://mcp.example.com/mcp"
)

// env is one verifier against one test issuer, with a clock.
type env struct {
	t     testing.TB
	clock *clock
	key   signingKey
	is    *testIssuer
	v     *Verifier
	h     http.Handler
}

func newEnv(t testing.TB, edit func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), key: newSigningKey(t, "kid-current")}
	e.is = newTestIssuer(t, e.key)
	cfg := Config{
		Issuer: e.is.url, Resource: testResource, Scopes: []string{"mcp:read"},
		ScopesSupported: []string{"mcp:read", "mcp:write"},
		HTTPClient:      e.is.srv.Client(), Now: e.clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.v = v
	e.h = v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in the context")
			w.WriteHeader(500)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": c.Subject, "scheme": c.Scheme, "jkt": c.JKT, "act": c.ActorChain()})
	}))
	return e
}

// token signs the default claims, edited.
func (e *env) token(edit func(map[string]any)) string {
	c := e.is.claims(e.clock.Now(), testResource)
	if edit != nil {
		edit(c)
	}
	return signToken(e.t, e.key, c, nil)
}

// boundToken is a token bound to p.
func (e *env) boundToken(p *prover, edit func(map[string]any)) string {
	return e.token(func(c map[string]any) {
		c["cnf"] = map[string]any{"jkt": p.jkt}
		if edit != nil {
			edit(c)
		}
	})
}

func request(method, target, authz, dpop string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(`{}`))
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	if dpop != "" {
		r.Header.Set("DPoP", dpop)
	}
	return r
}

func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// challenge returns the WWW-Authenticate value of scheme, or "".
func challenge(w *httptest.ResponseRecorder, scheme string) string {
	for _, c := range w.Result().Header.Values("WWW-Authenticate") {
		if strings.HasPrefix(c, scheme+" ") {
			return c
		}
	}
	return ""
}

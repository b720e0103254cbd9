package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

const issuer = "http://localhost:8080"

var testTenant = tenant.Tenant{ID: tenant.MustID("acme"), Issuer: issuer}

type clients map[string]store.Client

func (c clients) GetClient(_ context.Context, t tenant.ID, id string) (store.Client, error) {
	if t != testTenant.ID {
		return store.Client{}, store.ErrNotFound
	}
	cl, ok := c[id]
	if !ok {
		return store.Client{}, store.ErrNotFound
	}
	return cl, nil
}

var now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

func fixture(t testing.TB) (*Authenticator, *ecdsa.PrivateKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: "k1", Algorithm: "ES256"}}})
	privJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: priv, KeyID: "k1"}}})
	cs := clients{
		"agent":    {ClientID: "agent", Active: true, SecretHash: ids.Hash("s3cret:+/ x")},
		"inactive": {ClientID: "inactive", Active: false, SecretHash: ids.Hash("s3cret")},
		"nosecret": {ClientID: "nosecret", Active: true},
		"jwtc":     {ClientID: "jwtc", Active: true, JWKS: jwks},
		"privjwks": {ClientID: "privjwks", Active: true, JWKS: privJWKS},
	}
	return &Authenticator{Clients: cs, Now: func() time.Time { return now }}, priv
}

type assertionOpts struct {
	iss, sub, jti string
	aud           []string
	exp           time.Time
	noExp         bool
	nbf, iat      time.Time // zero: no nbf; iat defaults to now
	key           any
	alg           jose.SignatureAlgorithm
}

func sign(t testing.TB, o assertionOpts) string {
	t.Helper()
	if o.alg == "" {
		o.alg = jose.ES256
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: o.alg, Key: o.key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	if o.iat.IsZero() {
		o.iat = now
	}
	c := jwt.Claims{Issuer: o.iss, Subject: o.sub, ID: o.jti, Audience: o.aud, IssuedAt: jwt.NewNumericDate(o.iat)}
	if !o.nbf.IsZero() {
		c.NotBefore = jwt.NewNumericDate(o.nbf)
	}
	if !o.noExp {
		c.Expiry = jwt.NewNumericDate(o.exp)
	}
	out, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func TestAuthenticate(t *testing.T) {
	a, priv := fixture(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := assertionOpts{iss: "jwtc", sub: "jwtc", jti: "j1", aud: []string{issuer + "/oauth/token"}, exp: now.Add(time.Minute), key: priv}
	mod := func(f func(*assertionOpts)) assertionOpts { o := good; f(&o); return o }
	assertionForm := func(o assertionOpts) url.Values {
		return url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {sign(t, o)}}
	}
	cases := []struct {
		name      string
		auth      string
		form      url.Values
		noJWT     bool
		want      Code // "" = success
		method    AuthMethod
		challenge bool
	}{
		{name: "post", form: url.Values{"client_id": {"agent"}, "client_secret": {"s3cret:+/ x"}}, method: SecretPost},
		{name: "basic form-url-decoded", auth: basic("agent", "s3cret:+/ x"), method: SecretBasic},
		{name: "basic with matching client_id", auth: basic("agent", "s3cret:+/ x"), form: url.Values{"client_id": {"agent"}}, method: SecretBasic},
		{name: "bearer ignored, post used", auth: "Bearer sk_live_abc", form: url.Values{"client_id": {"agent"}, "client_secret": {"s3cret:+/ x"}}, method: SecretPost},
		{name: "assertion to token endpoint", form: assertionForm(good), method: PrivateKeyJWT},
		{name: "assertion to issuer", form: assertionForm(mod(func(o *assertionOpts) { o.aud = []string{issuer} })), method: PrivateKeyJWT},
		// authlib's default assertion lifetime (RFC 7523 clients commonly use 1 hour).
		{name: "assertion with a one-hour exp", form: assertionForm(mod(func(o *assertionOpts) { o.exp = now.Add(time.Hour) })), method: PrivateKeyJWT},
		// Error paths.
		{name: "wrong secret post", form: url.Values{"client_id": {"agent"}, "client_secret": {"nope"}}, want: InvalidClient},
		{name: "unknown client post", form: url.Values{"client_id": {"ghost"}, "client_secret": {"s3cret"}}, want: InvalidClient},
		{name: "wrong secret basic has challenge", auth: basic("agent", "nope"), want: InvalidClient, challenge: true},
		{name: "unknown client basic", auth: basic("ghost", "x"), want: InvalidClient, challenge: true},
		{name: "raw unencoded basic secret with plus is wrong", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("agent:s3cret:+/ x")), want: InvalidClient, challenge: true},
		{name: "malformed basic", auth: "Basic !!!", want: InvalidClient, challenge: true},
		{name: "inactive client", form: url.Values{"client_id": {"inactive"}, "client_secret": {"s3cret"}}, want: InvalidClient},
		{name: "client without secret", form: url.Values{"client_id": {"nosecret"}, "client_secret": {""}}, want: InvalidClient},
		{name: "client without secret given one", form: url.Values{"client_id": {"nosecret"}, "client_secret": {"x"}}, want: InvalidClient},
		{name: "no authentication", form: url.Values{"client_id": {"agent"}}, want: InvalidClient},
		{name: "bearer alone is not client auth", auth: "Bearer sk_live_abc", want: InvalidClient},
		{name: "basic and post", auth: basic("agent", "s3cret:+/ x"), form: url.Values{"client_secret": {"s3cret:+/ x"}}, want: InvalidRequest},
		{name: "assertion and secret", form: func() url.Values {
			f := assertionForm(good)
			f.Set("client_id", "jwtc")
			f.Set("client_secret", "x")
			return f
		}(), want: InvalidRequest},
		{name: "basic client_id mismatch", auth: basic("agent", "s3cret:+/ x"), form: url.Values{"client_id": {"other"}}, want: InvalidRequest},
		{name: "assertion wrong type", form: url.Values{"client_assertion_type": {"urn:x"}, "client_assertion": {sign(t, good)}}, want: InvalidRequest},
		{name: "assertion not accepted here", form: assertionForm(good), noJWT: true, want: InvalidClient},
		{name: "assertion iss != sub", form: assertionForm(mod(func(o *assertionOpts) { o.iss = "agent" })), want: InvalidClient},
		{name: "assertion wrong aud", form: assertionForm(mod(func(o *assertionOpts) { o.aud = []string{"https://elsewhere"} })), want: InvalidClient},
		{name: "assertion without exp", form: assertionForm(mod(func(o *assertionOpts) { o.noExp = true })), want: InvalidClient},
		{name: "assertion expired", form: assertionForm(mod(func(o *assertionOpts) { o.exp = now.Add(-2 * time.Minute) })), want: InvalidClient},
		{name: "assertion exp too long", form: assertionForm(mod(func(o *assertionOpts) { o.exp = now.Add(time.Hour + time.Second) })), want: InvalidClient},
		{name: "assertion without jti", form: assertionForm(mod(func(o *assertionOpts) { o.jti = "" })), want: InvalidClient},
		{name: "assertion signed by another key", form: assertionForm(mod(func(o *assertionOpts) { o.key = other })), want: InvalidClient},
		{name: "assertion HS256 with public key bytes", form: assertionForm(mod(func(o *assertionOpts) {
			o.alg, o.key = jose.HS256, []byte(`{"kty":"EC","crv":"P-256"}..................`)
		})), want: InvalidClient},
		{name: "assertion of client with private jwks", form: assertionForm(mod(func(o *assertionOpts) { o.iss, o.sub = "privjwks", "privjwks" })), want: InvalidClient},
		{name: "assertion of unknown client", form: assertionForm(mod(func(o *assertionOpts) { o.iss, o.sub = "ghost", "ghost" })), want: InvalidClient},
		{name: "assertion of client without jwks", form: assertionForm(mod(func(o *assertionOpts) { o.iss, o.sub = "agent", "agent" })), want: InvalidClient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(tc.form.Encode()))
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			f, err := ParseFormBody(tc.form.Encode())
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.Authenticate(t.Context(), r, f, testTenant, Options{Assertions: !tc.noJWT})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				if got.Method != tc.method {
					t.Fatalf("method %q, want %q", got.Method, tc.method)
				}
				if tc.method == PrivateKeyJWT && (len(got.Marks) != 1 || got.Marks[0].Kind != "assertion" || got.Marks[0].Value != "jwtc|j1") {
					t.Fatalf("marks %+v", got.Marks)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != tc.want {
				t.Fatalf("want %s, got %v", tc.want, err)
			}
			if e.Status != tc.want.Status() {
				t.Fatalf("status %d", e.Status)
			}
			ch := e.Header.Get("WWW-Authenticate")
			if tc.challenge != (ch != "") || (tc.challenge && ch != `Basic realm="`+issuer+`"`) {
				t.Fatalf("challenge %q, want one: %v", ch, tc.challenge)
			}
		})
	}
}

func TestParseForm(t *testing.T) {
	cases := []struct {
		name, body, ctype, query string
		want                     Code
	}{
		{name: "ok", body: "grant_type=client_credentials&audience=a&audience=b&resource=https://x"},
		{name: "empty value is omitted, no duplicate", body: "scope=&scope=a"},
		{name: "charset param", body: "a=b", ctype: "application/x-www-form-urlencoded; charset=UTF-8"},
		{name: "duplicate grant_type", body: "grant_type=a&grant_type=b", want: InvalidRequest},
		{name: "duplicate scope", body: "scope=a&scope=b", want: InvalidRequest},
		{name: "duplicate client_secret", body: "client_secret=a&client_secret=b", want: InvalidRequest},
		{name: "json body", body: `{"a":1}`, ctype: "application/json", want: InvalidRequest},
		{name: "bad encoding", body: "a=%zz", want: InvalidRequest},
		{name: "query parameters", body: "a=b", query: "client_secret=x", want: InvalidRequest},
		{name: "semicolon separator", body: "a=b;c=d", want: InvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := "/oauth/token"
			if tc.query != "" {
				target += "?" + tc.query
			}
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(tc.body))
			ct := tc.ctype
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			r.Header.Set("Content-Type", ct)
			f, err := ParseForm(r)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "ok" && len(f.All("audience")) != 2 {
					t.Fatalf("audience %v", f.All("audience"))
				}
				if tc.name == "empty value is omitted, no duplicate" && f.Get("scope") != "a" {
					t.Fatalf("scope %q", f.Get("scope"))
				}
				return
			}
			if e, ok := err.(*Error); !ok || e.Code != tc.want {
				t.Fatalf("want %s, got %v", tc.want, err)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		status     int
		body       string
		wantHeader string
	}{
		{name: "typed", err: New(InvalidScope, "scope x not allowed"), status: 400, body: `{"error":"invalid_scope","error_description":"scope x not allowed"}`},
		{name: "challenge", err: BasicChallenge(New(InvalidClient, "no"), issuer), status: 401, body: `{"error":"invalid_client","error_description":"no"}`, wantHeader: `Basic realm="http://localhost:8080"`},
		{name: "internal hides cause", err: Internal(errPlain("table exploded sk_live_x")), status: 500, body: `{"error":"server_error","error_description":"internal error"}`},
		{name: "untyped is internal", err: errPlain("boom"), status: 500, body: `{"error":"server_error","error_description":"internal error"}`},
		{name: "transient is 503", err: Internal(transient("throttled")), status: 503, body: `{"error":"temporarily_unavailable","error_description":"the service is temporarily unavailable; retry after the Retry-After delay"}`},
		{name: "middleware's flat error keeps its code", err: httpx.NotFound("no route"), status: 404, body: `{"error":"not_found","error_description":"no route"}`},
		{name: "flat internal error hides its cause", err: httpx.Internal(errPlain("table sk_live_x")), status: 500, body: `{"error":"server_error","error_description":"internal error"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, httptest.NewRequest("POST", "/oauth/token", nil), tc.err)
			if w.Code != tc.status || strings.TrimSpace(w.Body.String()) != tc.body {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", w.Header())
			}
			if (tc.status == 503) != (w.Header().Get("Retry-After") != "") {
				t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
			}
			if w.Header().Get("WWW-Authenticate") != tc.wantHeader {
				t.Fatalf("challenge %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

type errPlain string

// transient is a cause the failure policy answers 503 (httpx.Unavailable).
type transient string

func (e transient) Error() string     { return string(e) }
func (e transient) Unavailable() bool { return true }

// A panic in an OAuth function is answered in the OAuth shape, without its text.
func TestStackWithOAuthWriter(t *testing.T) {
	w := httptest.NewRecorder()
	httpx.Stack(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom at sk_live_secret") }), WriteError).
		ServeHTTP(w, httptest.NewRequest("POST", "/oauth/token", nil))
	if w.Code != 500 || strings.TrimSpace(w.Body.String()) != `{"error":"server_error","error_description":"internal error"}` {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func (e errPlain) Error() string { return string(e) }

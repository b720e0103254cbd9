package mcpauth_test

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
	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/sharkauth/serverless/sdk/go/mcpauth"
	"github.com/sharkauth/serverless/sdk/go/resource"
)

// now is the verifier's clock: under Require its judgement of expiry
// counts, not the go-sdk middleware's time.Now.
var now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	}))
	t.Cleanup(srv.Close)
	return &issuer{url: srv.URL, key: k}
}

func sign(t *testing.T, key any, opts *jose.SignerOptions, claims any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
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

// token mints an access token for aud with scope, issued at iat (15 minutes
// long), bound to jkt when it is not empty.
func (is *issuer) token(t *testing.T, iat time.Time, aud, scope, jkt string) string {
	c := map[string]any{"iss": is.url, "sub": "user_ann", "aud": []string{aud}, "exp": iat.Add(15 * time.Minute).Unix(),
		"iat": iat.Unix(), "jti": "t-" + iat.String() + aud + scope + jkt, "client_id": "https://app.example.com/client.json", "scope": scope}
	if jkt != "" {
		c["cnf"] = map[string]any{"jkt": jkt}
	}
	return sign(t, is.key, (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "k1"), c)
}

type dpopKey struct {
	priv *ecdsa.PrivateKey
	jkt  string
}

func newDPoPKey(t *testing.T) dpopKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: &k.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return dpopKey{priv: k, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

func (d dpopKey) proof(t *testing.T, htm, htu, token string) string {
	sum := sha256.Sum256([]byte(token))
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return sign(t, d.priv, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"), map[string]any{
		"jti": base64.RawURLEncoding.EncodeToString(b), "htm": htm, "htu": htu, "iat": now.Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(sum[:])})
}

// seen is what the protected handler saw of the go-sdk's TokenInfo.
type seen struct {
	info   *auth.TokenInfo
	claims *resource.Claims
}

// serve starts a server whose /mcp is protected by protect, and returns its
// resource URL, the verifier and what the handler saw last.
func serve(t *testing.T, is *issuer, clock time.Time, protect func(*resource.Verifier) func(http.Handler) http.Handler) (string, *resource.Verifier, *seen) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	res := "http://" + ts.Listener.Addr().String() + "/mcp"
	v, err := resource.New(resource.Config{Issuer: is.url, Resource: res, Scopes: []string{"mcp:read"}, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	got := &seen{}
	mux := http.NewServeMux()
	mux.Handle("GET "+v.MetadataPath(), v.MetadataHandler())
	mux.Handle("/mcp", protect(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.info = auth.TokenInfoFromContext(r.Context())
		got.claims, _ = mcpauth.Claims(got.info)
		_, _ = io.WriteString(w, "ok")
	})))
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return res, v, got
}

type refusal struct {
	name    string
	authz   func(res string) (authz, dpop string)
	status  int
	errCode string // the error in a challenge; "" when none is expected
}

func refusals(t *testing.T, is *issuer, now time.Time) []refusal {
	bound := newDPoPKey(t)
	return []refusal{
		{name: "no token", authz: func(string) (string, string) { return "", "" }, status: 401},
		{name: "another audience", authz: func(string) (string, string) {
			return "Bearer " + is.token(t, now, "http://127.0.0.1:1/mcp", "mcp:read", ""), ""
		}, status: 401, errCode: "invalid_token"},
		{name: "expired", authz: func(res string) (string, string) {
			return "Bearer " + is.token(t, now.Add(-time.Hour), res, "mcp:read", ""), ""
		}, status: 401, errCode: "invalid_token"},
		{name: "DPoP-bound token as Bearer, no proof", authz: func(res string) (string, string) {
			return "Bearer " + is.token(t, now, res, "mcp:read", bound.jkt), ""
		}, status: 401, errCode: "invalid_token"},
		{name: "not signed by the issuer", authz: func(res string) (string, string) {
			other := newIssuer(t)
			other.url = is.url
			return "Bearer " + other.token(t, now, res, "mcp:read", ""), ""
		}, status: 401, errCode: "invalid_token"},
	}
}

func call(t *testing.T, res, authz, dpop string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", res, strings.NewReader(`{}`))
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if dpop != "" {
		req.Header.Set("DPoP", dpop)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

func checkRefused(t *testing.T, r *http.Response, body string, c refusal, v *resource.Verifier, wantCode bool) {
	t.Helper()
	if r.StatusCode != c.status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, c.status, body)
	}
	chal := strings.Join(r.Header.Values("WWW-Authenticate"), "\n")
	if !strings.Contains(chal, `resource_metadata="`+v.MetadataURL()+`"`) {
		t.Fatalf("challenges %q lack the resource_metadata pointer", chal)
	}
	if wantCode && c.errCode != "" && !strings.Contains(chal, `error="`+c.errCode+`"`) {
		t.Fatalf("challenges %q lack error %s", chal, c.errCode)
	}
}

func TestRequire(t *testing.T) {
	is := newIssuer(t)
	res, v, got := serve(t, is, now, func(v *resource.Verifier) func(http.Handler) http.Handler { return mcpauth.Require(v) })

	t.Run("bearer token", func(t *testing.T) {
		r, body := call(t, res, "Bearer "+is.token(t, now, res, "mcp:read mcp:write", ""), "")
		if r.StatusCode != 200 {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		if got.info == nil || got.claims == nil || got.claims.Subject != "user_ann" || got.claims.Scheme != resource.SchemeBearer ||
			len(got.info.Scopes) != 2 || !got.info.Expiration.Equal(now.Add(15*time.Minute)) ||
			got.info.UserID != "user_ann https://app.example.com/client.json" {
			t.Fatalf("token info %+v claims %+v", got.info, got.claims)
		}
	})
	t.Run("DPoP-bound token with its proof", func(t *testing.T) {
		k := newDPoPKey(t)
		tok := is.token(t, now, res, "mcp:read", k.jkt)
		r, body := call(t, res, "DPoP "+tok, k.proof(t, "POST", res, tok))
		if r.StatusCode != 200 {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		if got.claims == nil || got.claims.Scheme != resource.SchemeDPoP || got.claims.JKT != k.jkt {
			t.Fatalf("claims %+v", got.claims)
		}
	})
	cases := refusals(t, is, now)
	k := newDPoPKey(t)
	cases = append(cases,
		refusal{name: "DPoP scheme without a proof", authz: func(res string) (string, string) {
			return "DPoP " + is.token(t, now, res, "mcp:read", k.jkt), ""
		}, status: 401, errCode: "invalid_dpop_proof"},
		refusal{name: "DPoP proof by another key", authz: func(res string) (string, string) {
			tok := is.token(t, now, res, "mcp:read", k.jkt)
			return "DPoP " + tok, newDPoPKey(t).proof(t, "POST", res, tok)
		}, status: 401, errCode: "invalid_token"},
		refusal{name: "without the required scope", authz: func(res string) (string, string) {
			return "Bearer " + is.token(t, now, res, "mcp:write", ""), ""
		}, status: 403, errCode: "insufficient_scope"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got.info = nil
			authz, dpop := c.authz(res)
			r, body := call(t, res, authz, dpop)
			checkRefused(t, r, body, c, v, true)
			if got.info != nil {
				t.Fatal("the handler ran")
			}
		})
	}
}

func TestRequireExtraScopes(t *testing.T) {
	is := newIssuer(t)
	res, v, _ := serve(t, is, now, func(v *resource.Verifier) func(http.Handler) http.Handler { return mcpauth.Require(v, "mcp:write") })
	r, body := call(t, res, "Bearer "+is.token(t, now, res, "mcp:read", ""), "")
	checkRefused(t, r, body, refusal{status: 403, errCode: "insufficient_scope"}, v, true)
	if r, body := call(t, res, "Bearer "+is.token(t, now, res, "mcp:read mcp:write", ""), ""); r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, body)
	}
}

// TokenVerifier inside the go-sdk's own middleware: the same refusals, each a
// 401 whose challenge points at the protected-resource metadata.
func TestTokenVerifierWithRequireBearerToken(t *testing.T) {
	is := newIssuer(t)
	// The go-sdk middleware checks expiry with time.Now: the real clock here.
	now := time.Now().Truncate(time.Second)
	res, v, got := serve(t, is, now, func(v *resource.Verifier) func(http.Handler) http.Handler {
		return auth.RequireBearerToken(mcpauth.TokenVerifier(v), &auth.RequireBearerTokenOptions{ResourceMetadataURL: v.MetadataURL()})
	})
	r, body := call(t, res, "Bearer "+is.token(t, now, res, "mcp:read", ""), "")
	if r.StatusCode != 200 || got.claims == nil || got.claims.Subject != "user_ann" {
		t.Fatalf("%d %s %+v", r.StatusCode, body, got.claims)
	}
	for _, c := range refusals(t, is, now) {
		t.Run(c.name, func(t *testing.T) {
			got.info = nil
			authz, dpop := c.authz(res)
			r, body := call(t, res, authz, dpop)
			checkRefused(t, r, body, c, v, false)
			if got.info != nil {
				t.Fatal("the handler ran")
			}
		})
	}
	t.Run("without the required scope", func(t *testing.T) {
		r, body := call(t, res, "Bearer "+is.token(t, now, res, "mcp:write", ""), "")
		if r.StatusCode != 401 || got.info != nil {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})
}

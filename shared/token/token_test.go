package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

const tokenURL = rootIssuer + tokenPath

// fixtures are the clients the token tests use.
type fixtures struct {
	hs      *harness
	p       *prover // the SDK-like prover; keyed's registered key
	other   *prover
	jwtKey  *ecdsa.PrivateKey
	proof   func() string
	secretF func(clientID string) url.Values
}

func newFixtures(t *testing.T) *fixtures {
	hs := newHarness(t, nil)
	f := &fixtures{hs: hs, p: newProver(t), other: newProver(t)}
	f.proof = func() string { return f.p.proofAt(t, "POST", tokenURL, hs.now, "") }
	f.secretF = func(id string) url.Values {
		return form("grant_type", "client_credentials", "client_id", id, "client_secret", secret)
	}
	scopes := []string{"mcp:read", "mcp:write"}
	hs.client("acme", store.Client{ClientID: "shark_agent_1", Scopes: scopes, Active: true})
	hs.client("acme", store.Client{ClientID: "shark_agent_2", Scopes: scopes, Active: true})
	hs.client("acme", store.Client{ClientID: "bound", Scopes: scopes, Active: true, DPoPBound: true})
	hs.client("acme", store.Client{ClientID: "keyed", Scopes: scopes, Active: true, DPoPJKT: f.p.jkt()})
	hs.client("acme", store.Client{ClientID: "inactive", Scopes: scopes, Active: false})
	hs.client("acme", store.Client{ClientID: "cconly", Scopes: scopes, Active: true, GrantTypes: []string{GrantClientCredentials}})
	hs.client("acme", store.Client{ClientID: "shark_app_1", Kind: "app", ID: "app_1", Scopes: scopes, Active: true,
		GrantTypes: []string{"authorization_code", "refresh_token", GrantClientCredentials}})
	hs.client("acme", store.Client{ClientID: "narrow", Scopes: scopes, Active: true, Audiences: []string{"https://allowed.example"}})
	hs.client("acme", store.Client{ClientID: "long", Scopes: scopes, Active: true, TokenLifetime: 7200})
	var err error
	if f.jwtKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.jwtKey.PublicKey, KeyID: "c1", Algorithm: "ES256"}}})
	hs.client("acme", store.Client{ClientID: "jwtc", Scopes: scopes, Active: true, JWKS: jwks, SecretHash: []byte{}})
	// beta: a restrictive tenant policy.
	hs.addTenant("gamma", "http://localhost:8080/t/gamma", store.Tenant{DefaultAudience: "https://api.gamma.example",
		MaxTokenLifetime: 600, Audiences: []string{"https://api.gamma.example", "https://other.gamma.example"}})
	hs.client("gamma", store.Client{ClientID: "g1", Scopes: scopes, Active: true, TokenLifetime: 7200})
	hs.client("beta", store.Client{ClientID: "shark_agent_1", Scopes: scopes, Active: true})
	return f
}

func (f *fixtures) assertion(t *testing.T, clientID, jti string) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: f.jwtKey}, (&jose.SignerOptions{}).WithHeader("kid", "c1"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{tokenURL},
		Expiry: jwt.NewNumericDate(f.hs.now.Add(time.Minute)), ID: jti}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// crafted proofs an attacker builds by hand.
func craft(header, claims map[string]any, sig func(string) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return in + "." + base64.RawURLEncoding.EncodeToString(sig(in))
}

func esSig(k *ecdsa.PrivateKey) func(string) []byte {
	return func(in string) []byte {
		sum := sha256.Sum256([]byte(in))
		r, s, _ := ecdsa.Sign(rand.Reader, k, sum[:])
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
}

func basicAuth(id, sec string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(sec)))
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: &f.p.priv.PublicKey})
	privJWK, _ := json.Marshal(jose.JSONWebKey{Key: f.p.priv})
	var pub, priv map[string]any
	json.Unmarshal(pubJWK, &pub)
	json.Unmarshal(privJWK, &priv)
	claims := func() map[string]any {
		return map[string]any{"jti": "crafted-" + hs.now.String(), "htm": "POST", "htu": tokenURL, "iat": hs.now.Unix()}
	}
	cc := f.secretF("shark_agent_1")
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = slices.Clone(vs)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	replayed := f.proof()
	assertion := f.assertion(t, "jwtc", "once")
	assertionForm := form("grant_type", "client_credentials", "client_assertion_type", oauth.AssertionType, "client_assertion", assertion)

	type check func(t *testing.T, body map[string]any, jwtClaims map[string]any)
	cases := []struct {
		name   string
		call   func() call
		status int
		code   string // error code, "" on success
		check  check
	}{
		{name: "client_credentials post, no proof: Bearer, all scopes, aud client_id, 900 s",
			call: func() call { return call{form: cc} }, status: 200,
			check: func(t *testing.T, b, c map[string]any) {
				want(t, b["token_type"] == "Bearer" && b["scope"] == "mcp:read mcp:write" && b["expires_in"] == 900.0 && b["cnf"] == nil, "body %v", b)
				want(t, eqAud(c["aud"], "shark_agent_1") && c["sub"] == "shark_agent_1" && c["client_id"] == "shark_agent_1" && c["agent_id"] == "agent_shark_agent_1", "claims %v", c)
				want(t, c["iss"] == rootIssuer && c["exp"].(float64)-c["iat"].(float64) == 900 && c["nbf"] == c["iat"] && c["cnf"] == nil, "claims %v", c)
			}},
		{name: "SDK flow: post + DPoP + scope + audience",
			call: func() call {
				return call{form: with(cc, "scope", "mcp:read mcp:write", "audience", "https://mcp.example.com"), dpop: []string{f.proof()}, headers: map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}}
			}, status: 200,
			check: func(t *testing.T, b, c map[string]any) {
				want(t, b["token_type"] == "DPoP" && b["cnf"].(map[string]any)["jkt"] == f.p.jkt(), "body %v", b)
				want(t, c["cnf"].(map[string]any)["jkt"] == f.p.jkt() && eqAud(c["aud"], "https://mcp.example.com"), "claims %v", c)
			}},
		{name: "basic, narrower scope, repeated audience and resource verbatim",
			call: func() call {
				return call{form: form("grant_type", "client_credentials", "scope", "mcp:read", "audience", "urn:a", "resource", "https://r.example/api", "resource", "https://r.example/api"),
					headers: map[string]string{"Authorization": basicAuth("shark_agent_1", secret)}}
			}, status: 200,
			check: func(t *testing.T, b, c map[string]any) {
				want(t, b["scope"] == "mcp:read" && eqAud(c["aud"], "urn:a", "https://r.example/api"), "%v %v", b, c)
			}},
		{name: "dpop-bound client with a proof", call: func() call { return call{form: f.secretF("bound"), dpop: []string{f.proof()}} }, status: 200},
		{name: "registered key with its proof", call: func() call { return call{form: f.secretF("keyed"), dpop: []string{f.proof()}} }, status: 200},
		{name: "private_key_jwt", call: func() call {
			return call{form: form("grant_type", "client_credentials", "client_assertion_type", oauth.AssertionType, "client_assertion", f.assertion(t, "jwtc", "a1"))}
		}, status: 200},
		{name: "tenant default audience and maximum lifetime", call: func() call {
			return call{tenant: "gamma", form: f.secretF("g1")}
		}, status: 200, check: func(t *testing.T, b, c map[string]any) {
			want(t, b["expires_in"] == 600.0 && eqAud(c["aud"], "https://api.gamma.example") && c["iss"] == "http://localhost:8080/t/gamma", "%v %v", b, c)
		}},
		{name: "client lifetime bounded by the default tenant maximum", call: func() call { return call{form: f.secretF("long")} }, status: 200,
			check: func(t *testing.T, b, _ map[string]any) { want(t, b["expires_in"] == 3600.0, "%v", b) }},
		{name: "first use of the proof to replay", call: func() call { return call{form: cc, dpop: []string{replayed}} }, status: 200},
		{name: "first use of the assertion to replay", call: func() call { return call{form: assertionForm} }, status: 200},

		// Error paths.
		{name: "replayed proof", call: func() call { return call{form: cc, dpop: []string{replayed}} }, status: 400, code: "invalid_dpop_proof"},
		{name: "replayed client assertion", call: func() call { return call{form: assertionForm} }, status: 401, code: "invalid_client"},
		{name: "wrong htm", call: func() call { return call{form: cc, dpop: []string{f.p.proofAt(t, "GET", tokenURL, hs.now, "")}} }, status: 400, code: "invalid_dpop_proof"},
		{name: "wrong htu (another tenant's endpoint)", call: func() call {
			return call{form: cc, dpop: []string{f.p.proofAt(t, "POST", betaIssuer+tokenPath, hs.now, "")}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "wrong htu (another path)", call: func() call {
			return call{form: cc, dpop: []string{f.p.proofAt(t, "POST", rootIssuer+"/oauth/revoke", hs.now, "")}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "stale iat", call: func() call {
			return call{form: cc, dpop: []string{f.p.proofAt(t, "POST", tokenURL, hs.now.Add(-61*time.Second), "")}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "future iat", call: func() call {
			return call{form: cc, dpop: []string{f.p.proofAt(t, "POST", tokenURL, hs.now.Add(61*time.Second), "")}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "alg none", call: func() call {
			return call{form: cc, dpop: []string{craft(map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": pub}, claims(), func(string) []byte { return nil })}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "HS256 keyed with the public key", call: func() call {
			return call{form: cc, dpop: []string{craft(map[string]any{"typ": "dpop+jwt", "alg": "HS256", "jwk": pub}, claims(), func(in string) []byte {
				m := hmac.New(sha256.New, pubJWK)
				m.Write([]byte(in))
				return m.Sum(nil)
			})}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "private key in jwk", call: func() call {
			return call{form: cc, dpop: []string{craft(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": priv}, claims(), esSig(f.p.priv))}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "missing jwk", call: func() call {
			return call{form: cc, dpop: []string{craft(map[string]any{"typ": "dpop+jwt", "alg": "ES256"}, claims(), esSig(f.p.priv))}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "wrong typ", call: func() call {
			return call{form: cc, dpop: []string{craft(map[string]any{"typ": "JWT", "alg": "ES256", "jwk": pub}, claims(), esSig(f.p.priv))}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "bad signature", call: func() call {
			return call{form: cc, dpop: []string{craft(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": pub}, claims(), esSig(f.other.priv))}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "two DPoP headers", call: func() call { return call{form: cc, dpop: []string{f.proof(), f.proof()}} }, status: 400, code: "invalid_dpop_proof"},
		{name: "dpop-bound client without a proof", call: func() call { return call{form: f.secretF("bound")} }, status: 400, code: "invalid_dpop_proof"},
		{name: "registered key, proof of another key", call: func() call {
			return call{form: f.secretF("keyed"), dpop: []string{f.other.proofAt(t, "POST", tokenURL, hs.now, "")}}
		}, status: 400, code: "invalid_dpop_proof"},
		{name: "wrong secret", call: func() call {
			return call{form: form("grant_type", "client_credentials", "client_id", "shark_agent_1", "client_secret", "nope")}
		}, status: 401, code: "invalid_client"},
		{name: "wrong secret over Basic has the challenge", call: func() call {
			return call{form: form("grant_type", "client_credentials"), headers: map[string]string{"Authorization": basicAuth("shark_agent_1", "nope")}}
		}, status: 401, code: "invalid_client"},
		{name: "unknown client", call: func() call { return call{form: f.secretF("ghost")} }, status: 401, code: "invalid_client"},
		{name: "client of another tenant", call: func() call { return call{tenant: "gamma", form: f.secretF("shark_agent_1")} }, status: 401, code: "invalid_client"},
		{name: "inactive client", call: func() call { return call{form: f.secretF("inactive")} }, status: 401, code: "invalid_client"},
		{name: "Basic and form secret at once", call: func() call {
			return call{form: cc, headers: map[string]string{"Authorization": basicAuth("shark_agent_1", secret)}}
		}, status: 400, code: "invalid_request"},
		{name: "missing grant_type", call: func() call { return call{form: form("client_id", "shark_agent_1", "client_secret", secret)} }, status: 400, code: "invalid_request"},
		{name: "duplicate scope parameter", call: func() call { return call{form: with(cc, "scope", "mcp:read", "scope", "mcp:write")} }, status: 400, code: "invalid_request"},
		{name: "unknown grant", call: func() call {
			return call{form: with(url.Values{"client_id": {"shark_agent_1"}, "client_secret": {secret}}, "grant_type", "password")}
		}, status: 400, code: "unsupported_grant_type"},
		{name: "authorization_code with an unknown code", call: func() call {
			return call{form: form("grant_type", "authorization_code", "client_id", "shark_app_1", "client_secret", secret, "code", "x",
				"redirect_uri", "https://app.example/cb", "code_verifier", strings.Repeat("v", 43))}
		}, status: 400, code: "invalid_grant"},
		{name: "refresh_token with an unknown refresh token", call: func() call {
			return call{form: form("grant_type", "refresh_token", "client_id", "shark_app_1", "client_secret", secret, "refresh_token", "x")}
		}, status: 400, code: "invalid_grant"},
		{name: "authorization_code not registered", call: func() call {
			return call{form: form("grant_type", "authorization_code", "client_id", "shark_agent_1", "client_secret", secret)}
		}, status: 400, code: "unauthorized_client"},
		{name: "exchange not allowed for the client", call: func() call {
			return call{form: form("grant_type", GrantTokenExchange, "client_id", "cconly", "client_secret", secret, "subject_token", "x", "subject_token_type", AccessTokenType)}
		}, status: 400, code: "unauthorized_client"},
		{name: "disallowed scope", call: func() call { return call{form: with(cc, "scope", "mcp:read admin")} }, status: 400, code: "invalid_scope"},
		{name: "relative resource URI", call: func() call { return call{form: with(cc, "resource", "/api")} }, status: 400, code: "invalid_target"},
		{name: "resource with a fragment", call: func() call { return call{form: with(cc, "resource", "https://r.example/api#x")} }, status: 400, code: "invalid_target"},
		{name: "audience outside the client's allow-list", call: func() call { return call{form: with(f.secretF("narrow"), "audience", "https://elsewhere.example")} }, status: 400, code: "invalid_target"},
		{name: "audience outside the tenant's allow-list", call: func() call {
			return call{tenant: "gamma", form: with(f.secretF("g1"), "audience", "https://mcp.example.com")}
		}, status: 400, code: "invalid_target"},
		{name: "query-string credentials", call: func() call { return call{path: tokenPath + "?client_secret=" + secret, form: cc} }, status: 400, code: "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(tc.call())
			body := decode(t, w)
			if w.Code != tc.status || (tc.code != "" && body["error"] != tc.code) {
				t.Fatalf("status %d body %v; want %d %s", w.Code, body, tc.status, tc.code)
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
				t.Fatalf("caching headers %v", w.Header())
			}
			if tc.code == "invalid_client" && w.Header().Get("WWW-Authenticate") != "" && w.Header().Get("WWW-Authenticate") != `Basic realm="`+rootIssuer+`"` {
				t.Fatalf("challenge %q", w.Header().Get("WWW-Authenticate"))
			}
			if tc.code != "" {
				return
			}
			at, _ := body["access_token"].(string)
			tid := tenant.MustID(map[bool]string{true: "acme", false: tc.call().tenant}[tc.call().tenant == ""])
			iss := hs.tenants[tid.String()].Issuer
			p, err := hs.h.ring.Verify(t.Context(), tid, iss, at)
			if err != nil {
				t.Fatalf("issued token does not verify: %v", err)
			}
			rec, err := hs.tokens.GetToken(t.Context(), tid, p.Claims.ID)
			if err != nil || rec.ClientID != p.Claims.ClientID || rec.Scope != p.Claims.Scope || rec.KID != p.KID {
				t.Fatalf("record %+v, %v", rec, err)
			}
			if tc.check != nil {
				tc.check(t, body, claimsOf(t, at))
			}
		})
	}
	if hdr := hs.do(call{form: form("grant_type", "client_credentials"), headers: map[string]string{"Authorization": basicAuth("shark_agent_1", "nope")}}).Header().Get("WWW-Authenticate"); hdr != `Basic realm="`+rootIssuer+`"` {
		t.Fatalf("Basic challenge %q", hdr)
	}
}

func want(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}

// eqAud reports whether a decoded aud is want: a string for one audience,
// an array otherwise (RFC 7519 §4.1.3, as SharkAuth writes it).
func eqAud(v any, want ...string) bool {
	if len(want) == 1 {
		return v == want[0]
	}
	arr, ok := v.([]any)
	if !ok || len(arr) != len(want) {
		return false
	}
	for i, a := range arr {
		if a != want[i] {
			return false
		}
	}
	return true
}

var _ = http.StatusOK

// TestDPoPNonces: a tenant that turns nonces on answers a proof without one
// with 400 use_dpop_nonce and a DPoP-Nonce header; the retry carrying it is
// accepted, by another process of the deployment too (the key is the
// store's shared secret), and gets the next nonce; a stale nonce is refused.
func TestDPoPNonces(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	hs.addTenant("noncy", "http://localhost:8080/t/noncy", store.Tenant{DPoPNonce: true})
	hs.client("noncy", store.Client{ClientID: "n1", Scopes: []string{"mcp:read"}, Active: true})
	// A second process of the same deployment (its own handler and key
	// cache, the same table) must accept the nonces the first one issues.
	other := &Handler{Store: hs.st, Keys: hs.h.Keys, Now: hs.clock}
	otherMux := http.NewServeMux()
	other.Register(otherMux)
	firstMux := hs.mux
	htu := "http://localhost:8080/t/noncy/oauth/token"
	proofWith := func(nonce string) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: f.p.priv},
			&jose.SignerOptions{EmbedJWK: true, ExtraHeaders: map[jose.HeaderKey]any{"typ": "dpop+jwt"}})
		if err != nil {
			t.Fatal(err)
		}
		c := map[string]any{"jti": ids.NanoID(), "htm": "POST", "htu": htu, "iat": hs.now.Unix()}
		if nonce != "" {
			c["nonce"] = nonce
		}
		b, _ := json.Marshal(c)
		obj, _ := s.Sign(b)
		out, _ := obj.CompactSerialize()
		return out
	}
	first := hs.do(call{tenant: "noncy", form: f.secretF("n1"), dpop: []string{proofWith("")}})
	nonce := first.Header().Get("DPoP-Nonce")
	if first.Code != 400 || decode(t, first)["error"] != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("without nonce: %d %s (nonce %q)", first.Code, first.Body, nonce)
	}
	hs.mux = otherMux
	retry := hs.do(call{tenant: "noncy", form: f.secretF("n1"), dpop: []string{proofWith(nonce)}})
	hs.mux = firstMux
	if retry.Code != 200 || retry.Header().Get("DPoP-Nonce") == "" {
		t.Fatalf("with nonce, at another process: %d %s", retry.Code, retry.Body)
	}
	hs.now = hs.now.Add(11 * time.Minute) // two 5-minute steps later
	stale := hs.do(call{tenant: "noncy", form: f.secretF("n1"), dpop: []string{proofWith(nonce)}})
	if stale.Code != 400 || decode(t, stale)["error"] != "use_dpop_nonce" {
		t.Fatalf("stale nonce: %d %s", stale.Code, stale.Body)
	}
	// Tenants without nonces never ask for one.
	if w := hs.do(call{form: f.secretF("shark_agent_1"), dpop: []string{f.p.proofAt(t, "POST", tokenURL, hs.now, "")}}); w.Code != 200 || w.Header().Get("DPoP-Nonce") != "" {
		t.Fatalf("default tenant: %d %v", w.Code, w.Header())
	}
}

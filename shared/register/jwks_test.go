package register

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/ids"
)

func pkjwt(uriOrJWKS string) string {
	if strings.HasPrefix(uriOrJWKS, "{") {
		return `{"client_name":"signer","token_endpoint_auth_method":"private_key_jwt","grant_types":["client_credentials"],"scope":"mcp:read","jwks":` + uriOrJWKS + `}`
	}
	return `{"client_name":"signer","token_endpoint_auth_method":"private_key_jwt","grant_types":["client_credentials"],"scope":"mcp:read","jwks_uri":"` + uriOrJWKS + `"}`
}

func TestJWKSURIRefused(t *testing.T) {
	// A deployed (non-local) fetcher: no loopback either.
	hs := newHarness(t, false)
	hs.keysBody = []byte(newKey(t, "k").jwks())
	port := strings.TrimPrefix(hs.keysURL(), "https://keys.example.com:")
	cases := []struct{ name, uri string }{
		{"127.0.0.1", "https://127.0.0.1:" + port},
		{"10.0.0.1", "https://10.0.0.1/jwks.json"},
		{"169.254.169.254", "https://169.254.169.254/latest/meta-data/"},
		{"[::1]", "https://[::1]:" + port + "/jwks.json"},
		{"name resolving to loopback", hs.keysURL()},
		{"name resolving to 10.0.0.1", "https://internal.example.com/jwks.json"},
		{"name resolving to 169.254.169.254", "https://metadata.example.com/jwks.json"},
		{"unresolvable name", "https://nowhere.example.com/jwks.json"},
		{"http", "http://keys.example.com/jwks.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, hs.do(req{body: pkjwt(c.uri)}), 400, "invalid_client_metadata")
		})
	}
}

// assertion signs an RFC 7523 client assertion for the token endpoint.
func assertion(t *testing.T, k ecKey, clientID string, now time.Time) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{rootIssuer + "/oauth/token"},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: ids.NanoID()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPrivateKeyJWTClients(t *testing.T) {
	// A local deployment: its fetcher may reach loopback, where the test
	// key server runs (keys.example.com resolves to 127.0.0.1).
	hs := newHarness(t, true)
	key := newKey(t, "client-key")
	hs.keysBody = []byte(key.jwks())
	cases := []struct {
		name string
		body string
	}{
		{"inline jwks", pkjwt(key.jwks())},
		{"jwks_uri", pkjwt(hs.keysURL())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := hs.registered(c.body)
			id := str(doc, "client_id")
			if doc["client_secret"] != nil {
				t.Fatalf("a private_key_jwt client got a secret: %v", doc)
			}
			token := func(a string) *httptestRecorder {
				return hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"},
					"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}, "")
			}
			if w := token(assertion(t, key, id, hs.now)); w.Code != http.StatusOK {
				t.Fatalf("token: %d %s", w.Code, w.Body)
			}
			wantError(t, token(assertion(t, newKey(t, "client-key"), id, hs.now)), 401, "invalid_client")
		})
	}
	t.Run("a rotated jwks_uri is fetched again, at most once a minute", func(t *testing.T) {
		hs.keysBody = []byte(key.jwks())
		doc := hs.registered(pkjwt(hs.keysURL()))
		id := str(doc, "client_id")
		token := func(k ecKey) *httptestRecorder {
			return hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion(t, k, id, hs.now)}}, "")
		}
		hs.reg.Fetcher.Forget(hs.keysURL())
		if w := token(key); w.Code != 200 { // fetched now
			t.Fatalf("before rotation: %s", w.Body)
		}
		next := newKey(t, "client-key-2")
		hs.keysBody = []byte(next.jwks())
		wantError(t, token(next), 401, "invalid_client") // the set was fetched under a minute ago
		hs.now = hs.now.Add(61 * time.Second)
		if w := token(next); w.Code != 200 {
			t.Fatalf("after rotation: %s", w.Body)
		}
		wantError(t, token(key), 401, "invalid_client") // the old key left the set
	})
	t.Run("loopback allowed locally, private still refused", func(t *testing.T) {
		wantError(t, hs.do(req{body: pkjwt("https://internal.example.com/jwks.json")}), 400, "invalid_client_metadata")
		wantError(t, hs.do(req{body: pkjwt("https://169.254.169.254/jwks.json")}), 400, "invalid_client_metadata")
	})
	t.Run("jwks_uri without keys", func(t *testing.T) {
		hs.reg.Fetcher.Forget(hs.keysURL())
		hs.keysBody = []byte(`{"keys":[]}`)
		wantError(t, hs.do(req{body: pkjwt(hs.keysURL())}), 400, "invalid_client_metadata")
	})
}

package register

import (
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/keys/keystest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// rsaKeys are the test kit's weak and strong RSA keys.
var rsaKeys = keystest.RSAKeys

func rsaJWKS(k *rsa.PrivateKey, kid string) string {
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}})
	return string(b)
}

func rsaAssertion(t *testing.T, k *rsa.PrivateKey, kid, clientID string, now time.Time) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: kid}}, nil)
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

// TestRSAKeysUnder2048BitsRefused (RFC 7518 §3.3): a registered jwks, a
// jwks_uri's keys and a stored set never let an RSA key under 2048 bits
// authenticate a client.
func TestRSAKeysUnder2048BitsRefused(t *testing.T) {
	weak, strong := rsaKeys(t)
	hs := newHarness(t, true)
	token := func(a string) *httptestRecorder {
		return hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}, "")
	}

	t.Run("registered jwks", func(t *testing.T) {
		w := hs.do(req{body: pkjwt(rsaJWKS(weak, "w"))})
		wantError(t, w, 400, "invalid_client_metadata")
		if !strings.Contains(decode(t, w)["error_description"].(string), "2048") {
			t.Fatalf("description: %s", w.Body)
		}
		doc := hs.registered(pkjwt(rsaJWKS(strong, "s")))
		if w := token(rsaAssertion(t, strong, "s", str(doc, "client_id"), hs.now)); w.Code != 200 {
			t.Fatalf("2048-bit key: %d %s", w.Code, w.Body)
		}
	})

	t.Run("a private member in a registered jwks", func(t *testing.T) {
		jwks := strings.Replace(rsaJWKS(strong, "s"), `"kid"`, `"p":"AQAB","kid"`, 1)
		wantError(t, hs.do(req{body: pkjwt(jwks)}), 400, "invalid_client_metadata")
	})

	t.Run("jwks_uri at registration", func(t *testing.T) {
		hs.reg.Fetcher.Forget(hs.keysURL())
		hs.keysBody = []byte(rsaJWKS(weak, "w"))
		wantError(t, hs.do(req{body: pkjwt(hs.keysURL())}), 400, "invalid_client_metadata")
	})

	t.Run("jwks_uri at the token endpoint", func(t *testing.T) {
		hs.reg.Fetcher.Forget(hs.keysURL())
		hs.keysBody = []byte(rsaJWKS(strong, "s"))
		id := str(hs.registered(pkjwt(hs.keysURL())), "client_id")
		// The client's set now publishes a weak key; it is fetched again.
		hs.keysBody = []byte(rsaJWKS(weak, "w"))
		hs.now = hs.now.Add(2 * time.Minute)
		hs.reg.Fetcher.Forget(hs.keysURL())
		wantError(t, token(rsaAssertion(t, weak, "w", id, hs.now)), 401, "invalid_client")
	})

	t.Run("a weak key stored before the check", func(t *testing.T) {
		id := str(hs.registered(pkjwt(rsaJWKS(strong, "s"))), "client_id")
		_, err := hs.st.ChangeClient(t.Context(), tenant.MustID("acme"), id, func(c *store.Client) error {
			c.JWKS = json.RawMessage(rsaJWKS(weak, "w"))
			return nil
		}, func(c store.Client) store.AuditEvent {
			return store.AuditEvent{ID: ids.New("aud_"), Event: "agent.updated", CreatedAt: hs.now}
		})
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, token(rsaAssertion(t, weak, "w", id, hs.now)), 401, "invalid_client")
	})
}

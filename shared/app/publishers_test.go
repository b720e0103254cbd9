package app_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// A platform operator configures the software-statement issuers a tenant
// trusts; registration on that tenant then accepts their statements only.
func TestSoftwarePublishersThroughThePlatformAPI(t *testing.T) {
	s := serveStack(t, "")
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: "p1", Algorithm: "ES256", Use: "sig"}}})
	private, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: priv, KeyID: "p1", Algorithm: "ES256", Use: "sig"}}})
	publishers := func(iss string, jwks []byte) string {
		return `[{"iss":"` + iss + `","jwks":` + string(jwks) + `}]`
	}
	for name, body := range map[string]string{
		"private key":    `{"id":"pubbad","software_publishers":` + publishers("https://publisher.example", private) + `}`,
		"no issuer":      `{"id":"pubbad","software_publishers":` + publishers("", pub) + `}`,
		"not a JWKS":     `{"id":"pubbad","software_publishers":[{"iss":"https://p","jwks":{"keys":[]}}]}`,
		"jwks of a text": `{"id":"pubbad","software_publishers":[{"iss":"https://p","jwks":"x"}]}`,
	} {
		if a := s.call("POST", "/platform/v1/tenants", "", s.boot.PlatformKey, body); a.status != 400 {
			t.Errorf("%s: %d %s", name, a.status, a.raw)
		}
	}
	created := s.createTenant(`{"id":"pubco","dcr_policy":"software_statement","software_publishers":` + publishers("https://publisher.example", pub) + `}`)
	if got := created.body["tenant"].(map[string]any)["software_publishers"].([]any); len(got) != 1 {
		t.Fatalf("publishers: %s", created.raw)
	}
	sign := func(iss string) string {
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{}).WithHeader("kid", "p1"))
		claims, _ := json.Marshal(map[string]any{"iss": iss, "software_id": "tool-1", "client_name": "Signed Tool", "iat": time.Now().Unix()})
		jws, _ := signer.Sign(claims)
		out, _ := jws.CompactSerialize()
		return out
	}
	reg := func(statement string) answer {
		return s.call("POST", "/t/pubco/oauth/register", "", "", `{"client_name":"x","grant_types":["client_credentials"],"software_statement":"`+statement+`"}`)
	}
	if a := reg(sign("https://publisher.example")); a.status != 201 || a.body["client_name"] != "Signed Tool" {
		t.Fatalf("trusted statement: %d %s", a.status, a.raw)
	}
	if a := reg(sign("https://other.example")); a.status != 400 || a.body["error"] != "unapproved_software_statement" {
		t.Fatalf("unknown issuer: %d %s", a.status, a.raw)
	}
	// Removing the publisher takes effect at once.
	if a := s.call("PATCH", "/platform/v1/tenants/pubco", "", s.boot.PlatformKey, `{"software_publishers":[]}`); a.status != 200 {
		t.Fatalf("patch: %s", a.raw)
	}
	if a := reg(sign("https://publisher.example")); a.status != 400 {
		t.Fatalf("statement of a removed publisher: %d %s", a.status, a.raw)
	}
}

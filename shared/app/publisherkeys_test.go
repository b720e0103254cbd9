package app_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// A software publisher's JWKS passes the same key check as a client's:
// RSA keys under 2048 bits (RFC 7518 §3.3) and private members are refused
// on create and on update, naming the reason.
func TestSoftwarePublisherKeyChecks(t *testing.T) {
	s := serveStack(t, "")
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	strong, _ := rsa.GenerateKey(rand.Reader, 2048)
	jwks := func(k *rsa.PublicKey) string {
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k, KeyID: "p1", Algorithm: "RS256", Use: "sig"}}})
		return string(b)
	}
	publishers := func(set string) string { return `[{"iss":"https://publisher.example","jwks":` + set + `}]` }
	refused := map[string]string{
		"RSA 1024":         jwks(&weak.PublicKey),
		"a private member": strings.Replace(jwks(&strong.PublicKey), `"kid"`, `"dq":"AQAB","kid"`, 1),
	}
	for name, set := range refused {
		a := s.call("POST", "/platform/v1/tenants", "", s.boot.PlatformKey, `{"id":"pubweak","software_publishers":`+publishers(set)+`}`)
		if a.status != 400 || !strings.Contains(a.raw, "software_publishers[0].jwks") {
			t.Errorf("create with %s: %d %s", name, a.status, a.raw)
		}
	}
	s.createTenant(`{"id":"pubok","software_publishers":` + publishers(jwks(&strong.PublicKey)) + `}`)
	for name, set := range refused {
		a := s.call("PATCH", "/platform/v1/tenants/pubok", "", s.boot.PlatformKey, `{"software_publishers":`+publishers(set)+`}`)
		if a.status != 400 {
			t.Errorf("update with %s: %d %s", name, a.status, a.raw)
		}
	}
	a := s.call("GET", "/platform/v1/tenants/pubok", "", s.boot.PlatformKey, "")
	if a.status != 200 || !strings.Contains(a.raw, `"kid":"p1"`) || strings.Contains(a.raw, `"dq"`) {
		t.Fatalf("the refused updates changed the publishers: %s", a.raw)
	}
}

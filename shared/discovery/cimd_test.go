package discovery

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
)

// client_id_metadata_document_supported is advertised only when the
// deployment serves CIMD clients (Features.CIMD, set with the authorize
// function) and the tenant accepts them (on unless turned off); otherwise
// the member is absent.
func TestCIMDAdvertised(t *testing.T) {
	const iss = "http://localhost:8080/t/acme"
	off, on := false, true
	for _, c := range []struct {
		name     string
		features Features
		rec      store.Tenant
		want     bool
	}{
		{"not served", Features{Token: true, Register: true}, store.Tenant{}, false},
		{"served, tenant default", Features{Token: true, CIMD: true}, store.Tenant{}, true},
		{"served, tenant turned it on", Features{Token: true, CIMD: true}, store.Tenant{CIMD: &on}, true},
		{"served, tenant turned it off", Features{Token: true, CIMD: true}, store.Tenant{CIMD: &off}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			md := (&Handler{Features: c.features}).Document(iss, c.rec)
			if md.ClientIDMetadataDocumentSupported != c.want {
				t.Fatalf("supported %v, want %v", md.ClientIDMetadataDocumentSupported, c.want)
			}
			b, _ := json.Marshal(md)
			has := strings.Contains(string(b), `"client_id_metadata_document_supported":true`)
			if has != c.want || (!c.want && strings.Contains(string(b), "client_id_metadata_document_supported")) {
				t.Fatalf("document %s", b)
			}
		})
	}
}

package app_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// With the authorize function deployed, a tenant's metadata advertises the
// authorization endpoint and Client ID Metadata Documents; a tenant that
// turned CIMD off does not.
func TestMetadataAdvertisesAuthorizeAndCIMD(t *testing.T) {
	s := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	get := func(path string) map[string]any {
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var md map[string]any
		if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&md) != nil {
			t.Fatalf("metadata: %d", res.StatusCode)
		}
		return md
	}
	md := get("/.well-known/oauth-authorization-server")
	if md["client_id_metadata_document_supported"] != true || md["authorization_endpoint"] != s.URL+"/oauth/authorize" {
		t.Fatalf("metadata: %v", md)
	}
	off := false
	if _, err := s.Env.Store.UpdateTenant(t.Context(), tenant.MustID("default"), func(tn *store.Tenant) error { tn.CIMD = &off; return nil },
		store.AuditEvent{ID: ids.New("aud_"), Event: "tenant.updated", CreatedAt: time.Now(), Metadata: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	s.Env.Tenants.Forget()
	if md := get("/.well-known/oauth-authorization-server"); md["client_id_metadata_document_supported"] != nil || md["authorization_endpoint"] == nil {
		t.Fatalf("a tenant with CIMD off: %v", md)
	}
}

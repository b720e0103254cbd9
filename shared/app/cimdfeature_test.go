package app_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
)

// Until the authorize function is deployed, no tenant's metadata claims
// Client ID Metadata Document support (issue 22: the lead turns
// discovery.Features.CIMD on with it).
func TestMetadataWithoutCIMDUntilAuthorize(t *testing.T) {
	s := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	res, err := http.Get(s.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var md map[string]any
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&md) != nil {
		t.Fatalf("metadata: %d", res.StatusCode)
	}
	if _, ok := md["client_id_metadata_document_supported"]; ok {
		t.Fatalf("metadata advertises CIMD: %v", md)
	}
}

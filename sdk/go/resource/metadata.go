package resource

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

const wellKnownPR = "/.well-known/oauth-protected-resource"

// metadataLocation derives the RFC 9728 §3.1 metadata path and URL from the
// resource identifier: the well-known segment goes between the host and
// the resource's path.
func metadataLocation(res *url.URL) (path, full string) {
	p := strings.TrimSuffix(res.EscapedPath(), "/")
	path = wellKnownPR + p
	return path, res.Scheme + "://" + res.Host + path
}

// MetadataPath is the path at which the metadata must be served
// (e.g. "/.well-known/oauth-protected-resource/mcp").
func (v *Verifier) MetadataPath() string { return v.metadataPath }

// MetadataURL is the absolute metadata URL sent as resource_metadata.
func (v *Verifier) MetadataURL() string { return v.metadataURL }

// Metadata is the RFC 9728 protected-resource metadata document.
type Metadata struct {
	Resource                      string   `json:"resource"`
	AuthorizationServers          []string `json:"authorization_servers"`
	ScopesSupported               []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported        []string `json:"bearer_methods_supported"`
	ResourceName                  string   `json:"resource_name,omitempty"`
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported"`
	DPoPBoundAccessTokensRequired bool     `json:"dpop_bound_access_tokens_required"`
}

// Metadata returns the document the handler serves.
func (v *Verifier) Metadata() Metadata {
	return Metadata{
		Resource:                      v.cfg.Resource,
		AuthorizationServers:          []string{v.cfg.Issuer},
		ScopesSupported:               v.cfg.ScopesSupported,
		BearerMethodsSupported:        []string{"header"},
		ResourceName:                  v.cfg.ResourceName,
		DPoPSigningAlgValuesSupported: v.dpopAlgNames,
		DPoPBoundAccessTokensRequired: v.cfg.RequireDPoP,
	}
}

// MetadataHandler serves the metadata (GET and HEAD). Register it at
// MetadataPath, e.g. mux.Handle("GET "+v.MetadataPath(), v.MetadataHandler()).
func (v *Verifier) MetadataHandler() http.Handler {
	body, err := json.Marshal(v.Metadata())
	if err != nil {
		panic("resource: metadata does not marshal: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = w.Write([]byte(`{"error":"method_not_allowed","error_description":"use GET"}` + "\n"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

package discovery

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Cache lifetimes of the published documents (WIRE §4). A next key is published
// at least JWKSMaxAge before it becomes current.
const (
	JWKSMaxAge     = 300 * time.Second
	MetadataMaxAge = 3600 * time.Second
)

// Grant types, client authentication and algorithms we advertise.
var (
	GrantTypes  = []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}
	AuthMethods = []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	// Algorithms accepted for client assertions and DPoP proofs: asymmetric
	// only, never "none" or HMAC.
	AssertionAlgs = []string{"ES256", "ES384", "RS256", "PS256", "EdDSA"}
	DPoPAlgs      = []string{"ES256", "ES384", "RS256", "PS256", "EdDSA"}
)

// Handler serves the /.well-known documents of the request's tenant.
type Handler struct {
	Store *store.Store
	Now   func() time.Time
	// DocsURL is the service_documentation member.
	DocsURL string
}

// Register adds the routes to mux; paths are tenant-free (the resolver removed
// /t/{tenant} and the RFC 8414 path insertion).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /.well-known/jwks.json", httpx.Handle(h.jwks))
	mux.Handle("GET /.well-known/oauth-authorization-server", httpx.Handle(h.metadata(false)))
	mux.Handle("GET /.well-known/openid-configuration", httpx.Handle(h.metadata(true)))
}

func current(r *http.Request) (tenant.Tenant, error) {
	t, ok := tenant.From(r.Context())
	if !ok {
		return t, httpx.Internal(errors.New("discovery: no tenant in context"))
	}
	return t, nil
}

func (h *Handler) jwks(w http.ResponseWriter, r *http.Request) error {
	t, err := current(r)
	if err != nil {
		return err
	}
	records, err := h.Store.SigningKeys(r.Context(), t.ID)
	if err != nil {
		return httpx.Internal(err)
	}
	set := keys.PublicJWKS(records, h.Now())
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(JWKSMaxAge.Seconds())))
	httpx.WriteJSON(w, http.StatusOK, set)
	return nil
}

// Metadata is the RFC 8414 document of a tenant.
type Metadata struct {
	Issuer                                     string   `json:"issuer"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	RegistrationEndpoint                       string   `json:"registration_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	DPoPSigningAlgValuesSupported              []string `json:"dpop_signing_alg_values_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ServiceDocumentation                       string   `json:"service_documentation,omitempty"`
	// OpenID Provider members, for clients that only read openid-configuration.
	SubjectTypesSupported []string `json:"subject_types_supported,omitempty"`
}

func (h *Handler) metadata(openid bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := current(r)
		if err != nil {
			return err
		}
		rec, err := h.Store.GetTenant(r.Context(), t.ID)
		if err != nil {
			return httpx.Internal(err)
		}
		iss := t.Issuer
		md := Metadata{
			Issuer:                            iss,
			TokenEndpoint:                     iss + "/oauth/token",
			JWKSURI:                           iss + "/.well-known/jwks.json",
			RegistrationEndpoint:              iss + "/oauth/register",
			RevocationEndpoint:                iss + "/oauth/revoke",
			IntrospectionEndpoint:             iss + "/oauth/introspect",
			ScopesSupported:                   nonNil(rec.Scopes),
			ResponseTypesSupported:            []string{"code"},
			GrantTypesSupported:               GrantTypes,
			TokenEndpointAuthMethodsSupported: AuthMethods,
			TokenEndpointAuthSigningAlgValuesSupported: AssertionAlgs,
			RevocationEndpointAuthMethodsSupported:     AuthMethods,
			IntrospectionEndpointAuthMethodsSupported:  AuthMethods,
			DPoPSigningAlgValuesSupported:              DPoPAlgs,
			CodeChallengeMethodsSupported:              []string{"S256"},
			ServiceDocumentation:                       h.DocsURL,
		}
		if openid {
			md.SubjectTypesSupported = []string{"public"}
		}
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(MetadataMaxAge.Seconds())))
		httpx.WriteJSON(w, http.StatusOK, md)
		return nil
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

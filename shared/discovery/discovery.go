package discovery

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/sharkauth/serverless/shared/token"
)

// Cache lifetimes of the published documents (WIRE §4). A next key is published
// at least JWKSMaxAge before it becomes current.
const (
	JWKSMaxAge     = 300 * time.Second
	MetadataMaxAge = 3600 * time.Second
)

// Client authentication and algorithms we advertise: taken from the
// packages that implement them, so the metadata cannot claim more. The
// grant types are the token dispatcher's (token.GrantTypes).
var (
	// AuthMethods are the token endpoint's; RevocationAuthMethods those of
	// revocation and introspection (no private_key_jwt there).
	AuthMethods           = oauth.Strings(oauth.TokenAuthMethods)
	RevocationAuthMethods = oauth.Strings(oauth.RevocationAuthMethods)
	// Algorithms accepted for client assertions and DPoP proofs: asymmetric
	// only, never "none" or HMAC.
	AssertionAlgs = algNames(oauth.AssertionAlgs)
	DPoPAlgs      = algNames(dpop.Algs)
)

func algNames(algs []jose.SignatureAlgorithm) []string {
	out := make([]string, len(algs))
	for i, a := range algs {
		out[i] = string(a)
	}
	return out
}

// Features says which parts of the product this deployment serves, so that
// metadata advertises exactly what exists: each function's issue turns its
// part on.
type Features struct {
	// Token: /oauth/token with the token function's grant types and
	// AuthMethods, DPoP, and
	// /oauth/revoke and /oauth/introspect.
	Token bool
	// Register: /oauth/register (RFC 7591).
	Register bool
	// Authorize: /oauth/authorize (RFC 6749 §4.1 with PKCE S256 and RFC
	// 9207's iss), the authorize function.
	Authorize bool
	// CIMD: client ids that are Client ID Metadata Document URLs
	// (shared/cimd), accepted by the authorize function; off until it is
	// deployed. A tenant that turned CIMD off does not advertise it.
	CIMD bool
}

// Handler serves the /.well-known documents of the request's tenant: the JWKS
// and RFC 8414 metadata. Where the authorize function is deployed the same
// metadata is also served as openid-configuration, because MCP clients look
// for an authorization server's metadata at either name (the MCP
// authorization spec asks clients to try both); it describes an OAuth server
// that issues no ID tokens (response_types_supported is ["code"]). Without an
// authorization endpoint the name is not served at all.
type Handler struct {
	Store *store.Store
	Now   func() time.Time
	// DocsURL is the service_documentation member.
	DocsURL  string
	Features Features
}

// Register adds the routes to mux; paths are tenant-free (the resolver removed
// /t/{tenant} and the RFC 8414 path insertion).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /.well-known/jwks.json", httpx.Handle(tenant.Handle(h.jwks)))
	mux.Handle("GET /.well-known/oauth-authorization-server", httpx.Handle(tenant.Handle(h.metadata)))
	if h.Features.Authorize {
		mux.Handle("GET /.well-known/openid-configuration", httpx.Handle(tenant.Handle(h.metadata)))
	}
}

func (h *Handler) jwks(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	records, err := h.Store.SigningKeys(r.Context(), t.ID)
	if err != nil {
		return httpx.Internal(err)
	}
	set := keys.PublicJWKS(records, h.Now())
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(JWKSMaxAge.Seconds())))
	httpx.WriteJSON(w, http.StatusOK, set)
	return nil
}

// Metadata is the RFC 8414 document of a tenant. Members of parts this
// deployment does not serve are omitted.
type Metadata struct {
	Issuer                                     string   `json:"issuer"`
	TokenEndpoint                              string   `json:"token_endpoint,omitempty"`
	JWKSURI                                    string   `json:"jwks_uri"`
	RegistrationEndpoint                       string   `json:"registration_endpoint,omitempty"`
	RevocationEndpoint                         string   `json:"revocation_endpoint,omitempty"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint,omitempty"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported,omitempty"`
	DPoPSigningAlgValuesSupported              []string `json:"dpop_signing_alg_values_supported,omitempty"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint,omitempty"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported,omitempty"`
	AuthorizationResponseISSParameterSupported bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported,omitempty"`
	ServiceDocumentation                       string   `json:"service_documentation,omitempty"`
}

// Document builds the metadata of the tenant whose issuer is iss.
func (h *Handler) Document(iss string, rec store.Tenant) Metadata {
	md := Metadata{
		Issuer:          iss,
		JWKSURI:         iss + "/.well-known/jwks.json",
		ScopesSupported: nonNil(rec.Scopes),
		// RFC 8414 requires the member: without an authorization
		// endpoint no response type is supported.
		ResponseTypesSupported: []string{},
		ServiceDocumentation:   h.DocsURL,
	}
	if h.Features.Token {
		md.TokenEndpoint = iss + "/oauth/token"
		md.RevocationEndpoint = iss + "/oauth/revoke"
		md.IntrospectionEndpoint = iss + "/oauth/introspect"
		md.GrantTypesSupported = oauth.Strings(token.GrantTypes())
		md.TokenEndpointAuthMethodsSupported = AuthMethods
		md.TokenEndpointAuthSigningAlgValuesSupported = AssertionAlgs
		md.RevocationEndpointAuthMethodsSupported = RevocationAuthMethods
		md.IntrospectionEndpointAuthMethodsSupported = RevocationAuthMethods
		md.DPoPSigningAlgValuesSupported = DPoPAlgs
	}
	if h.Features.Register {
		md.RegistrationEndpoint = iss + "/oauth/register"
	}
	if h.Features.Authorize {
		md.AuthorizationEndpoint = iss + "/oauth/authorize"
		md.ResponseTypesSupported = []string{string(oauth.ResponseCode)}
		md.CodeChallengeMethodsSupported = []string{string(oauth.ChallengeS256)}
		md.AuthorizationResponseISSParameterSupported = true
	}
	md.ClientIDMetadataDocumentSupported = h.Features.CIMD && rec.CIMDEnabled()
	return md
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	rec, ok := store.TenantOf(r.Context())
	if !ok {
		var err error
		if rec, err = h.Store.GetTenant(r.Context(), t.ID); err != nil {
			return httpx.Internal(err)
		}
	}
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(MetadataMaxAge.Seconds())))
	httpx.WriteJSON(w, http.StatusOK, h.Document(t.Issuer, rec))
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

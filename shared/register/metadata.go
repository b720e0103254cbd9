package register

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/sharkauth/serverless/shared/oauth"
)

// Error codes of RFC 7591 §3.2.2.
const (
	InvalidClientMetadata       oauth.Code = "invalid_client_metadata"
	InvalidRedirectURI          oauth.Code = "invalid_redirect_uri"
	InvalidSoftwareStatement    oauth.Code = "invalid_software_statement"
	UnapprovedSoftwareStatement oauth.Code = "unapproved_software_statement"
)

var (
	// grantTypes are the grant types a client may register.
	// authorization_code and refresh_token are stored as metadata: the
	// token endpoint refuses them with unauthorized_client until it serves
	// them.
	grantTypes  = []oauth.GrantType{oauth.GrantClientCredentials, oauth.GrantTokenExchange, oauth.GrantAuthorizationCode, oauth.GrantRefreshToken}
	authMethods = []oauth.AuthMethod{oauth.SecretBasic, oauth.SecretPost, oauth.PrivateKeyJWT, oauth.AuthNone}
	// appSchemes are the single-label private-use schemes that MCP clients
	// in use register (WIRE §9 shows cursor://); every other private-use
	// scheme must be reverse-DNS (RFC 8252 §7.1), so that no scheme a
	// browser or an OS handles itself (view-source:, jar:, chrome:,
	// ms-settings:, intent:, ...) can be a redirect target.
	appSchemes = []string{"cursor", "vscode", "vscode-insiders"}
)

// Limits on what one registration may hold.
const (
	maxStringLen  = 2048
	maxNameLen    = 200
	maxRedirects  = 20
	maxContacts   = 10
	maxScopes     = 100
	maxJWKSBytes  = 32 << 10
	maxJWKSKeys   = 20
	maxStatement  = 16 << 10
	maxListLength = 20
)

// Metadata is the client metadata of RFC 7591 §2 that we register, after
// validation and defaults. It is stored as registered and returned as is.
type Metadata struct {
	ClientName              string          `json:"client_name"`
	RedirectURIs            []string        `json:"redirect_uris,omitempty"`
	GrantTypes              []string        `json:"grant_types"`
	ResponseTypes           []string        `json:"response_types,omitempty"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	TokenEndpointAuthAlg    string          `json:"token_endpoint_auth_signing_alg,omitempty"`
	ApplicationType         string          `json:"application_type"`
	Scope                   string          `json:"scope,omitempty"`
	Contacts                []string        `json:"contacts,omitempty"`
	ClientURI               string          `json:"client_uri,omitempty"`
	LogoURI                 string          `json:"logo_uri,omitempty"`
	TOSURI                  string          `json:"tos_uri,omitempty"`
	PolicyURI               string          `json:"policy_uri,omitempty"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                 string          `json:"jwks_uri,omitempty"`
	SoftwareID              string          `json:"software_id,omitempty"`
	SoftwareVersion         string          `json:"software_version,omitempty"`
	SoftwareStatement       string          `json:"software_statement,omitempty"`
	DPoPBound               bool            `json:"dpop_bound_access_tokens"`
}

// HasSecret reports whether the client authenticates with a client secret.
func (m Metadata) HasSecret() bool {
	am := oauth.AuthMethod(m.TokenEndpointAuthMethod)
	return am == oauth.SecretBasic || am == oauth.SecretPost
}

func metaErr(desc string) *oauth.Error     { return oauth.New(InvalidClientMetadata, desc) }
func redirectErr(desc string) *oauth.Error { return oauth.New(InvalidRedirectURI, desc) }

// DecodeFields reads a JSON object into its members. Anything but one JSON
// object (with nothing after it) is invalid_client_metadata.
func DecodeFields(body []byte) (map[string]json.RawMessage, error) {
	var members map[string]jsontext.Value
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, metaErr("the body must be a JSON object")
	}
	// encoding/json/v2 semantics: a duplicate member or invalid UTF-8 is an
	// error, and nothing may follow the object.
	if err := jsonv2.Unmarshal(body, &members); err != nil {
		if errors.Is(err, jsontext.ErrDuplicateName) {
			return nil, metaErr("the body has a duplicate member")
		}
		return nil, metaErr("the body must be one valid JSON object")
	}
	fields := make(map[string]json.RawMessage, len(members))
	for k, v := range members {
		fields[k] = json.RawMessage(v)
	}
	return fields, nil
}

// Parse validates registration fields (unknown members ignored) and
// applies the defaults of WIRE §9. Errors are *oauth.Error with
// invalid_client_metadata or invalid_redirect_uri.
func Parse(fields map[string]json.RawMessage) (Metadata, error) {
	var m Metadata
	var err error
	str := func(name string, max int) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = stringField(fields, name, max)
		return s
	}
	list := func(name string, max int) []string {
		if err != nil {
			return nil
		}
		var l []string
		l, err = listField(fields, name, max)
		return l
	}
	m.ClientName = str("client_name", maxNameLen)
	m.TokenEndpointAuthMethod = str("token_endpoint_auth_method", 64)
	m.TokenEndpointAuthAlg = str("token_endpoint_auth_signing_alg", 16)
	m.ApplicationType = str("application_type", 16)
	m.Scope = str("scope", maxStringLen)
	m.ClientURI = str("client_uri", maxStringLen)
	m.LogoURI = str("logo_uri", maxStringLen)
	m.TOSURI = str("tos_uri", maxStringLen)
	m.PolicyURI = str("policy_uri", maxStringLen)
	m.JWKSURI = str("jwks_uri", maxStringLen)
	m.SoftwareID = str("software_id", 256)
	m.SoftwareVersion = str("software_version", 256)
	m.SoftwareStatement = str("software_statement", maxStatement)
	m.RedirectURIs = list("redirect_uris", maxRedirects)
	m.GrantTypes = list("grant_types", maxListLength)
	m.ResponseTypes = list("response_types", maxListLength)
	m.Contacts = list("contacts", maxContacts)
	if err != nil {
		return Metadata{}, err
	}
	if raw, ok := present(fields, "dpop_bound_access_tokens"); ok {
		if err := json.Unmarshal(raw, &m.DPoPBound); err != nil {
			return Metadata{}, metaErr("dpop_bound_access_tokens must be a boolean")
		}
	}
	if raw, ok := present(fields, "jwks"); ok {
		if m.JWKS, err = parseJWKS(raw); err != nil {
			return Metadata{}, err
		}
	}
	if err := m.validate(); err != nil {
		return Metadata{}, err
	}
	return m, nil
}

// present returns a member that is there and not null.
func present(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	raw, ok := fields[name]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	return raw, true
}

func stringField(fields map[string]json.RawMessage, name string, max int) (string, error) {
	raw, ok := present(fields, name)
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", metaErr(name + " must be a string")
	}
	if len(s) > max {
		return "", metaErr(name + " is too long")
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, isControl) {
		return "", metaErr(name + " contains a control character")
	}
	return s, nil
}

func listField(fields map[string]json.RawMessage, name string, max int) ([]string, error) {
	raw, ok := present(fields, name)
	if !ok {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, metaErr(name + " must be an array of strings")
	}
	if len(l) > max {
		return nil, metaErr(name + " has too many entries")
	}
	out := make([]string, 0, len(l))
	for _, s := range l {
		if len(s) > maxStringLen || !utf8.ValidString(s) || strings.ContainsFunc(s, isControl) {
			return nil, metaErr(name + " has an invalid entry")
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// parseJWKS accepts a JSON Web Key Set of 1 to maxJWKSKeys keys, each one
// passing oauth.CheckPublicKey (public, asymmetric, no private member, RSA
// of 2048 bits or more).
func parseJWKS(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) > maxJWKSBytes {
		return nil, metaErr("jwks is too large")
	}
	set, err := oauth.ParseKeySet(raw)
	if err != nil {
		return nil, metaErr("jwks: " + err.Error())
	}
	if len(set.Keys) > maxJWKSKeys {
		return nil, metaErr("jwks must hold between 1 and 20 keys")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, metaErr("jwks must be a JSON Web Key Set")
	}
	return compact.Bytes(), nil
}

// validate checks the parsed fields against each other and fills defaults.
func (m *Metadata) validate() error {
	if strings.TrimSpace(m.ClientName) == "" {
		return metaErr("client_name is required")
	}
	switch m.ApplicationType {
	case "":
		m.ApplicationType = "web"
	case "web", "native":
	default:
		return metaErr("application_type must be web or native")
	}
	for _, u := range m.RedirectURIs {
		if err := checkRedirect(u); err != nil {
			return err
		}
	}
	if m.GrantTypes == nil {
		if len(m.RedirectURIs) == 0 {
			m.GrantTypes = []string{string(oauth.GrantClientCredentials)}
		} else {
			m.GrantTypes = []string{string(oauth.GrantAuthorizationCode)}
		}
	}
	if len(m.GrantTypes) == 0 {
		return metaErr("grant_types must not be empty")
	}
	for _, g := range m.GrantTypes {
		if !slices.Contains(grantTypes, oauth.GrantType(g)) {
			return metaErr("grant type " + safe(g) + " is not supported")
		}
	}
	code := slices.Contains(m.GrantTypes, string(oauth.GrantAuthorizationCode))
	if m.ResponseTypes == nil && code {
		m.ResponseTypes = []string{string(oauth.ResponseCode)}
	}
	for _, rt := range m.ResponseTypes {
		if oauth.ResponseType(rt) != oauth.ResponseCode {
			return metaErr("response type " + safe(rt) + " is not supported")
		}
	}
	if len(m.ResponseTypes) > 0 && !code {
		return metaErr("response_types code requires the authorization_code grant")
	}
	if code && len(m.RedirectURIs) == 0 {
		return redirectErr("the authorization_code grant requires redirect_uris")
	}
	if m.TokenEndpointAuthMethod == "" {
		m.TokenEndpointAuthMethod = string(oauth.SecretBasic)
	}
	am := oauth.AuthMethod(m.TokenEndpointAuthMethod)
	if !slices.Contains(authMethods, am) {
		return metaErr("token_endpoint_auth_method " + safe(m.TokenEndpointAuthMethod) + " is not supported")
	}
	if am == oauth.AuthNone {
		for _, g := range m.GrantTypes {
			if gt := oauth.GrantType(g); gt == oauth.GrantClientCredentials || gt == oauth.GrantTokenExchange {
				return metaErr("a public client (token_endpoint_auth_method none) cannot use " + g)
			}
		}
	}
	if m.TokenEndpointAuthAlg != "" {
		if am != oauth.PrivateKeyJWT || !slices.ContainsFunc(oauth.AssertionAlgs, func(a jose.SignatureAlgorithm) bool { return string(a) == m.TokenEndpointAuthAlg }) {
			return metaErr("token_endpoint_auth_signing_alg is not supported")
		}
	}
	if len(m.JWKS) > 0 && m.JWKSURI != "" {
		return metaErr("jwks and jwks_uri are mutually exclusive")
	}
	if am == oauth.PrivateKeyJWT && len(m.JWKS) == 0 && m.JWKSURI == "" {
		return metaErr("private_key_jwt requires jwks or jwks_uri")
	}
	if m.JWKSURI != "" {
		if u, err := url.Parse(m.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" || u.Fragment != "" || u.User != nil {
			return metaErr("jwks_uri must be an https URL")
		}
	}
	for name, v := range map[string]string{"client_uri": m.ClientURI, "logo_uri": m.LogoURI, "tos_uri": m.TOSURI, "policy_uri": m.PolicyURI} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return metaErr(name + " must be an http(s) URL")
		}
	}
	if m.Scope != "" {
		fields := strings.Fields(m.Scope)
		if len(fields) > maxScopes {
			return metaErr("scope has too many values")
		}
		for _, s := range fields {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r == '"' || r == '\\' || r > 0x7e }) {
				return metaErr("scope contains an invalid character")
			}
		}
		m.Scope = strings.Join(dedupe(fields), " ")
	}
	for _, c := range m.Contacts {
		if strings.TrimSpace(c) == "" || len(c) > 320 {
			return metaErr("contacts has an invalid entry")
		}
	}
	return nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// checkRedirect accepts, from an allowlist of forms only: https URIs with
// a host; http URIs on a loopback host (127.0.0.1, [::1], localhost) with
// any port (RFC 8252 §7.3); private-use scheme URIs (RFC 8252 §7.1) whose
// scheme is reverse-DNS (com.example.app:/cb) or one of appSchemes
// (cursor://...). Fragments, wildcards, credentials and every other scheme
// are refused.
func checkRedirect(raw string) error {
	if raw == "" {
		return redirectErr("a redirect URI is empty")
	}
	if strings.Contains(raw, "#") {
		return redirectErr("a redirect URI must not contain a fragment")
	}
	if strings.Contains(raw, "*") {
		return redirectErr("a redirect URI must not contain a wildcard")
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= 0x20 || r == 0x7f || r == '\\' }) {
		return redirectErr("a redirect URI must not contain spaces, controls or backslashes")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return redirectErr("a redirect URI must be an absolute URI")
	}
	scheme := strings.ToLower(u.Scheme)
	if u.User != nil {
		return redirectErr("a redirect URI must not carry credentials")
	}
	switch {
	case scheme == "https":
		if u.Hostname() == "" {
			return redirectErr("an https redirect URI needs a host")
		}
	case scheme == "http":
		if !isLoopback(u.Hostname()) {
			return redirectErr("an http redirect URI must be on a loopback host (localhost, 127.0.0.1, [::1])")
		}
	case reverseDNS(scheme) || slices.Contains(appSchemes, scheme):
		// A private-use scheme: something must follow it.
		if u.Opaque == "" && u.Host == "" && u.Path == "" {
			return redirectErr("a private-use scheme redirect URI needs a path")
		}
	default:
		return redirectErr("redirect URI scheme " + safe(scheme) + " is not allowed: use https, http on a loopback host, or a reverse-DNS private-use scheme")
	}
	return nil
}

// reverseDNS reports whether a URI scheme is a reverse domain name (RFC
// 8252 §7.1): two or more non-empty labels separated by dots.
func reverseDNS(scheme string) bool {
	labels := strings.Split(scheme, ".")
	return len(labels) >= 2 && !slices.Contains(labels, "")
}

// isLoopback reports whether host is one of the loopback names RFC 8252
// §7.3 and §8.3 name: localhost, 127.0.0.1 or ::1.
func isLoopback(host string) bool {
	return strings.EqualFold(host, "localhost") || host == "127.0.0.1" || host == "::1"
}

// safe trims a client-supplied value for an error description.
func safe(s string) string {
	if len(s) > 60 {
		s = s[:60]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}

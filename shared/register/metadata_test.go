package register

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/oauth"
)

func parseBody(body string) (Metadata, error) {
	fields, err := DecodeFields([]byte(body))
	if err != nil {
		return Metadata{}, err
	}
	return Parse(fields)
}

const privateJWKS = `{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]}`
const publicJWKS = `{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		check func(m Metadata) bool
	}{
		{"guide with client_secret_basic", `{"client_name":"a","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"mcp:read mcp:write"}`,
			func(m Metadata) bool {
				return m.TokenEndpointAuthMethod == "client_secret_basic" && m.Scope == "mcp:read mcp:write" && m.HasSecret()
			}},
		{"guide without auth method defaults to client_secret_basic", `{"client_name":"a","grant_types":["client_credentials"],"scope":"mcp:read mcp:write"}`,
			func(m Metadata) bool { return m.TokenEndpointAuthMethod == "client_secret_basic" }},
		{"no grant types and no redirects: client_credentials", `{"client_name":"a"}`,
			func(m Metadata) bool {
				return slices.Equal(m.GrantTypes, []string{"client_credentials"}) && m.ApplicationType == "web" && m.ResponseTypes == nil
			}},
		{"cursor shaped", `{"client_name":"Cursor","redirect_uris":["cursor://anysphere.cursor-retrieval/oauth/user-callback","https://cursor.com/oauth/cb","http://localhost:8787/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"x_unknown":{"deep":[1,2]}}`,
			func(m Metadata) bool {
				return len(m.RedirectURIs) == 3 && !m.HasSecret() && m.TokenEndpointAuthMethod == "none"
			}},
		{"claude shaped", `{"client_name":"Claude","redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"client_secret_post","scope":"claudeai"}`,
			func(m Metadata) bool { return m.TokenEndpointAuthMethod == "client_secret_post" }},
		{"redirects without grant types: authorization_code and code", `{"client_name":"a","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}`,
			func(m Metadata) bool {
				return slices.Equal(m.GrantTypes, []string{"authorization_code"}) && slices.Equal(m.ResponseTypes, []string{"code"})
			}},
		{"native with vscode and loopback ip any port", `{"client_name":"VS Code","application_type":"native","redirect_uris":["vscode://vscode.github-authentication/did-authenticate","http://127.0.0.1:33418/","http://[::1]:9/cb"],"token_endpoint_auth_method":"none"}`,
			func(m Metadata) bool { return m.ApplicationType == "native" && len(m.RedirectURIs) == 3 }},
		{"reverse-domain private-use scheme", `{"client_name":"a","redirect_uris":["com.example.app:/oauth2redirect"],"token_endpoint_auth_method":"none"}`,
			func(m Metadata) bool { return len(m.RedirectURIs) == 1 }},
		{"refresh_token alone is fine", `{"client_name":"a","grant_types":["client_credentials","refresh_token"]}`,
			func(m Metadata) bool { return len(m.GrantTypes) == 2 }},
		{"private_key_jwt with public jwks", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":` + publicJWKS + `}`,
			func(m Metadata) bool { return !m.HasSecret() && len(m.JWKS) > 0 }},
		{"private_key_jwt with jwks_uri", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://keys.example.com/jwks"}`,
			func(m Metadata) bool { return m.JWKSURI == "https://keys.example.com/jwks" }},
		{"nulls are omitted", `{"client_name":"a","scope":null,"grant_types":null,"jwks":null,"dpop_bound_access_tokens":null}`,
			func(m Metadata) bool {
				return m.Scope == "" && slices.Equal(m.GrantTypes, []string{"client_credentials"})
			}},
		{"dpop bound", `{"client_name":"a","dpop_bound_access_tokens":true}`, func(m Metadata) bool { return m.DPoPBound }},
		{"duplicate scopes and redirects collapse", `{"client_name":"a","scope":"a b a","redirect_uris":["https://x.example/cb","https://x.example/cb"],"token_endpoint_auth_method":"none"}`,
			func(m Metadata) bool { return m.Scope == "a b" && len(m.RedirectURIs) == 1 }},
		{"informational fields", `{"client_name":"a","client_uri":"https://a.example","logo_uri":"https://a.example/l.png","contacts":["ops@a.example"],"software_id":"sw","software_version":"1.2"}`,
			func(m Metadata) bool { return m.ClientURI != "" && m.SoftwareID == "sw" && len(m.Contacts) == 1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := parseBody(c.body)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.check(m) {
				t.Fatalf("metadata: %+v", m)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	big := `{"client_name":"` + strings.Repeat("x", 300) + `"}`
	cases := []struct {
		name string
		body string
		code oauth.Code
	}{
		{"not an object", `["client_name"]`, InvalidClientMetadata},
		{"scalar", `"x"`, InvalidClientMetadata},
		{"null", `null`, InvalidClientMetadata},
		{"malformed", `{"client_name":`, InvalidClientMetadata},
		{"trailing data", `{"client_name":"a"} {}`, InvalidClientMetadata},
		{"duplicate member", `{"client_name":"a","client_name":"b"}`, InvalidClientMetadata},
		{"missing client_name", `{"grant_types":["client_credentials"]}`, InvalidClientMetadata},
		{"blank client_name", `{"client_name":"  "}`, InvalidClientMetadata},
		{"client_name too long", big, InvalidClientMetadata},
		{"client_name with control", `{"client_name":"a\u0000b"}`, InvalidClientMetadata},
		{"client_name number", `{"client_name":5}`, InvalidClientMetadata},
		{"grant_types string", `{"client_name":"a","grant_types":"client_credentials"}`, InvalidClientMetadata},
		{"grant_types numbers", `{"client_name":"a","grant_types":[1]}`, InvalidClientMetadata},
		{"grant_types empty", `{"client_name":"a","grant_types":[]}`, InvalidClientMetadata},
		{"unknown grant type", `{"client_name":"a","grant_types":["password"]}`, InvalidClientMetadata},
		{"implicit", `{"client_name":"a","grant_types":["implicit"],"redirect_uris":["https://a.example/cb"]}`, InvalidClientMetadata},
		{"unknown auth method", `{"client_name":"a","token_endpoint_auth_method":"client_secret_jwt"}`, InvalidClientMetadata},
		{"auth method array", `{"client_name":"a","token_endpoint_auth_method":["none"]}`, InvalidClientMetadata},
		{"public client with client_credentials", `{"client_name":"a","token_endpoint_auth_method":"none","grant_types":["client_credentials"]}`, InvalidClientMetadata},
		{"public client with token exchange", `{"client_name":"a","token_endpoint_auth_method":"none","grant_types":["urn:ietf:params:oauth:grant-type:token-exchange"],"redirect_uris":["https://a.example/cb"]}`, InvalidClientMetadata},
		{"public client with token exchange beside a code grant", `{"client_name":"a","token_endpoint_auth_method":"none","grant_types":["authorization_code","urn:ietf:params:oauth:grant-type:token-exchange"],"redirect_uris":["https://a.example/cb"]}`, InvalidClientMetadata},
		{"response type token", `{"client_name":"a","redirect_uris":["https://a.example/cb"],"response_types":["token"],"token_endpoint_auth_method":"none"}`, InvalidClientMetadata},
		{"code response without code grant", `{"client_name":"a","response_types":["code"]}`, InvalidClientMetadata},
		{"authorization_code without redirects", `{"client_name":"a","grant_types":["authorization_code"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"application_type other", `{"client_name":"a","application_type":"desktop"}`, InvalidClientMetadata},
		{"scope number", `{"client_name":"a","scope":42}`, InvalidClientMetadata},
		{"scope with quote", `{"client_name":"a","scope":"a\"b"}`, InvalidClientMetadata},
		{"dpop flag string", `{"client_name":"a","dpop_bound_access_tokens":"yes"}`, InvalidClientMetadata},
		{"contacts string", `{"client_name":"a","contacts":"a@b"}`, InvalidClientMetadata},
		{"client_uri javascript", `{"client_name":"a","client_uri":"javascript:alert(1)"}`, InvalidClientMetadata},
		{"logo_uri relative", `{"client_name":"a","logo_uri":"/logo.png"}`, InvalidClientMetadata},
		{"private_key_jwt without keys", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt"}`, InvalidClientMetadata},
		{"jwks and jwks_uri", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":` + publicJWKS + `,"jwks_uri":"https://k.example/j"}`, InvalidClientMetadata},
		{"jwks with private key", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":` + privateJWKS + `}`, InvalidClientMetadata},
		{"jwks symmetric", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}}`, InvalidClientMetadata},
		{"jwks empty", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[]}}`, InvalidClientMetadata},
		{"jwks not a set", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":"x"}`, InvalidClientMetadata},
		{"jwks_uri http", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks_uri":"http://k.example/j"}`, InvalidClientMetadata},
		{"signing alg HS256", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":` + publicJWKS + `,"token_endpoint_auth_signing_alg":"HS256"}`, InvalidClientMetadata},
		{"signing alg none", `{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":` + publicJWKS + `,"token_endpoint_auth_signing_alg":"none"}`, InvalidClientMetadata},
		{"too many redirects", `{"client_name":"a","token_endpoint_auth_method":"none","redirect_uris":[` + strings.Repeat(`"https://a.example/cb",`, 21) + `"https://a.example/x"]}`, InvalidClientMetadata},
		// Redirect URIs.
		{"http off loopback", `{"client_name":"a","redirect_uris":["http://evil.example/cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"http on a name that looks local", `{"client_name":"a","redirect_uris":["http://localhost.evil.example/cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"http on private ip", `{"client_name":"a","redirect_uris":["http://10.0.0.1/cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"fragment", `{"client_name":"a","redirect_uris":["https://a.example/cb#x"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"empty fragment", `{"client_name":"a","redirect_uris":["https://a.example/cb#"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"javascript", `{"client_name":"a","redirect_uris":["javascript:alert(1)"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"javascript upper case", `{"client_name":"a","redirect_uris":["JavaScript://%0aalert(1)"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"data", `{"client_name":"a","redirect_uris":["data:text/html,<script>x</script>"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"file", `{"client_name":"a","redirect_uris":["file:///etc/passwd"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"wildcard host", `{"client_name":"a","redirect_uris":["https://*.example.com/cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"wildcard path", `{"client_name":"a","redirect_uris":["https://a.example/*"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"relative", `{"client_name":"a","redirect_uris":["/cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"https without host", `{"client_name":"a","redirect_uris":["https:///cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"credentials", `{"client_name":"a","redirect_uris":["https://u:p@a.example/cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"empty", `{"client_name":"a","redirect_uris":[""],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"space", `{"client_name":"a","redirect_uris":["https://a.example/c b"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"bare private scheme", `{"client_name":"a","redirect_uris":["cursor:"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"one bad among good", `{"client_name":"a","redirect_uris":["https://a.example/cb","http://evil.example/cb"],"token_endpoint_auth_method":"none"}`, InvalidRedirectURI},
		{"redirect_uris string", `{"client_name":"a","redirect_uris":"https://a.example/cb"}`, InvalidClientMetadata},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseBody(c.body)
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Code != c.code || oe.Status != 400 {
				t.Fatalf("want %s, got %v", c.code, err)
			}
		})
	}
}

// FuzzParse: whatever is accepted satisfies the registration invariants.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"client_name":"a","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"mcp:read mcp:write"}`,
		`{"client_name":"Cursor","redirect_uris":["cursor://anysphere.cursor-retrieval/oauth/user-callback","https://cursor.com/cb","http://localhost:8787/callback"],"token_endpoint_auth_method":"none","x":1}`,
		`{"client_name":"Claude","redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"grant_types":["authorization_code","refresh_token"]}`,
		`{"client_name":"a","redirect_uris":["javascript:alert(1)"]}`,
		`{"client_name":"a","redirect_uris":["http://evil.example/cb#f"]}`,
		`{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":` + publicJWKS + `}`,
		`{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":` + privateJWKS + `}`,
		`{"client_name":"a","client_name":"b"}`, `[]`, `{}`, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		m, err := parseBody(body)
		if err != nil {
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Status != 400 || (oe.Code != InvalidClientMetadata && oe.Code != InvalidRedirectURI) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		if strings.TrimSpace(m.ClientName) == "" || len(m.GrantTypes) == 0 || m.TokenEndpointAuthMethod == "" {
			t.Fatalf("accepted without name, grants or auth method: %+v", m)
		}
		for _, g := range m.GrantTypes {
			if !slices.Contains(grantTypes, oauth.GrantType(g)) {
				t.Fatalf("accepted grant %q", g)
			}
		}
		if !slices.Contains(authMethods, oauth.AuthMethod(m.TokenEndpointAuthMethod)) {
			t.Fatalf("accepted auth method %q", m.TokenEndpointAuthMethod)
		}
		if oauth.AuthMethod(m.TokenEndpointAuthMethod) == oauth.AuthNone && slices.Contains(m.GrantTypes, string(oauth.GrantClientCredentials)) {
			t.Fatal("public client with client_credentials")
		}
		for _, r := range m.RedirectURIs {
			u, err := url.Parse(r)
			if err != nil || u.Fragment != "" || strings.ContainsAny(r, "#* ") {
				t.Fatalf("accepted redirect %q", r)
			}
			s := strings.ToLower(u.Scheme)
			// The allowlist, restated: https, loopback http, reverse-DNS or a named app scheme.
			allowed := s == "https" || (s == "http" && isLoopback(u.Hostname())) || slices.Contains(appSchemes, s) ||
				(strings.Count(s, ".") >= 1 && !strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".") && !strings.Contains(s, ".."))
			if !allowed {
				t.Fatalf("accepted redirect %q", r)
			}
		}
		if len(m.JWKS) > 0 {
			set, err := oauth.PublicKeySet(m.JWKS)
			var raw struct {
				Keys []json.RawMessage `json:"keys"`
			}
			_ = json.Unmarshal(m.JWKS, &raw)
			if err != nil || len(set.Keys) != len(raw.Keys) {
				t.Fatalf("accepted jwks with non-public keys: %s", m.JWKS)
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	})
}

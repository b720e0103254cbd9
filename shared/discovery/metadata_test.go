package discovery

import (
	"slices"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/token"
)

func TestDocumentListsWhatIsImplemented(t *testing.T) {
	const iss = "http://localhost:8080/t/acme"
	cases := []struct {
		name     string
		features Features
		check    func(t *testing.T, md Metadata)
	}{
		{name: "token function deployed", features: Features{Token: true}, check: func(t *testing.T, md Metadata) {
			if md.TokenEndpoint != iss+"/oauth/token" || md.RevocationEndpoint != iss+"/oauth/revoke" || md.IntrospectionEndpoint != iss+"/oauth/introspect" {
				t.Fatalf("endpoints %+v", md)
			}
			if !slices.Equal(md.GrantTypesSupported, []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange", "authorization_code", "refresh_token"}) {
				t.Fatalf("grants %v", md.GrantTypesSupported)
			}
			if !slices.Equal(md.GrantTypesSupported, oauth.Strings(token.GrantTypes())) {
				t.Fatalf("grants %v, the dispatcher serves %v", md.GrantTypesSupported, token.GrantTypes())
			}
			if !slices.Equal(md.TokenEndpointAuthMethodsSupported, []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}) {
				t.Fatalf("token auth %v", md.TokenEndpointAuthMethodsSupported)
			}
			for _, m := range [][]string{md.RevocationEndpointAuthMethodsSupported, md.IntrospectionEndpointAuthMethodsSupported} {
				if !slices.Equal(m, []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}) {
					t.Fatalf("revocation/introspection auth %v", m)
				}
			}
			for _, algs := range [][]string{md.DPoPSigningAlgValuesSupported, md.TokenEndpointAuthSigningAlgValuesSupported} {
				if !slices.Contains(algs, "ES256") || slices.ContainsFunc(algs, func(a string) bool { return a == "none" || strings.HasPrefix(a, "HS") }) {
					t.Fatalf("algs %v", algs)
				}
			}
		}},
		{name: "no token function: no token members", features: Features{}, check: func(t *testing.T, md Metadata) {
			if md.TokenEndpoint != "" || md.GrantTypesSupported != nil || md.DPoPSigningAlgValuesSupported != nil {
				t.Fatalf("advertises what is not deployed: %+v", md)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, (&Handler{Features: tc.features}).Document(iss, store.Tenant{}))
		})
	}
}

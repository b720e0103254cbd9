package app_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/oauth"
)

// The metadata advertises exactly the grant types the token function
// serves: for a client registered for every grant type there is, each
// advertised one is dispatched to its grant, and each other one is refused
// as not available.
func TestAdvertisedGrantsAreServed(t *testing.T) {
	s := start(t, t.TempDir())
	tok := app.Token(s.env)
	every := []oauth.GrantType{oauth.GrantClientCredentials, oauth.GrantTokenExchange, oauth.GrantAuthorizationCode,
		oauth.GrantRefreshToken, oauth.GrantJWTBearer, oauth.GrantDeviceCode}
	body := `{"name":"every grant","scopes":["mcp:read"],"grant_types":["` + strings.Join(oauth.Strings(every), `","`) + `"]}`
	ag := s.do(s.admin, "POST", "/api/v1/agents", s.boot.AdminKey, body)
	if ag.status != http.StatusCreated {
		t.Fatalf("create agent: %d %s", ag.status, ag.raw)
	}
	id, secret := ag.body["client_id"].(string), ag.body["client_secret"].(string)

	md := s.do(s.jwks, "GET", "/.well-known/oauth-authorization-server", "", "")
	var advertised []oauth.GrantType
	for _, g := range md.body["grant_types_supported"].([]any) {
		advertised = append(advertised, oauth.GrantType(g.(string)))
	}
	if len(advertised) == 0 {
		t.Fatalf("no grant types advertised: %s", md.raw)
	}
	for _, gt := range append(every, "urn:example:grant:unknown") {
		t.Run(string(gt), func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://localhost:8080/oauth/token", strings.NewReader(url.Values{"grant_type": {string(gt)}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
			w := httptest.NewRecorder()
			tok.ServeHTTP(w, r)
			b := w.Body.String()
			refused := strings.Contains(b, `"unsupported_grant_type"`) || strings.Contains(b, "is not available at this server")
			if slices.Contains(advertised, gt) == refused {
				t.Fatalf("advertised %v, answer %d %s", slices.Contains(advertised, gt), w.Code, b)
			}
			if !slices.Contains(every, gt) && !slices.Contains(advertised, gt) && !strings.Contains(b, `"unsupported_grant_type"`) {
				t.Fatalf("unknown grant type: %d %s", w.Code, b)
			}
		})
	}
}

package app_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
)

// An interactive MCP client's whole flow through the stack, as a browser
// and the client drive it: a person gets a password from the admin API, the
// client registers itself (DCR, public, loopback redirect), the browser
// signs in and consents at the authorize function, the client exchanges
// the code with its PKCE verifier at the token function, refreshes, and a
// replay of the code is refused.
func TestInteractiveClientFlow(t *testing.T) {
	st := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(c *http.Client, method, path, contentType, body string, header ...string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, st.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	decode := func(body string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("not JSON: %s", body)
		}
		return m
	}
	admin := []string{"Authorization", "Bearer " + st.Boot.AdminKey}
	api := &http.Client{}

	// The person.
	code, _, body := send(api, "POST", "/api/v1/admin/users", "application/json", `{"email":"ann@example.com","name":"Ann"}`, admin...)
	if code != 201 {
		t.Fatalf("user: %d %s", code, body)
	}
	userID := decode(body)["id"].(string)
	if code, _, body = send(api, "POST", "/api/v1/users/"+userID+"/password", "application/json", `{"password":"correct horse battery"}`, admin...); code != 200 {
		t.Fatalf("password: %d %s", code, body)
	}
	// The client registers itself as MCP clients do.
	redirect := "http://127.0.0.1:5555/callback"
	code, _, body = send(api, "POST", "/oauth/register", "application/json",
		`{"client_name":"Some MCP Client","redirect_uris":["`+redirect+`"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"scope":"mcp:read"}`)
	if code != 201 {
		t.Fatalf("register: %d %s", code, body)
	}
	clientID := decode(body)["client_id"].(string)

	verifier := strings.Repeat("abcdefgh", 6)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "state": {"s-1"}, "scope": {"mcp:read"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	field := func(page, name string) string {
		t.Helper()
		i := strings.Index(page, `name="`+name+`" value="`)
		if i < 0 {
			t.Fatalf("no %s in the page: %s", name, page)
		}
		rest := page[i+len(`name="`+name+`" value="`):]
		return html.UnescapeString(rest[:strings.IndexByte(rest, '"')])
	}
	form := "application/x-www-form-urlencoded"
	code, _, page := send(browser, "GET", "/oauth/authorize?"+q.Encode(), "", "")
	if code != 200 || !strings.Contains(page, "Some MCP Client") && !strings.Contains(page, "password") {
		t.Fatalf("login page: %d %s", code, page)
	}
	code, _, page = send(browser, "POST", "/oauth/authorize", form, url.Values{"step": {"login"}, "csrf": {field(page, "csrf")},
		"request": {field(page, "request")}, "email": {"ann@example.com"}, "password": {"correct horse battery"}}.Encode())
	if code != 200 || !strings.Contains(page, `value="allow"`) || !strings.Contains(page, "127.0.0.1") {
		t.Fatalf("consent page: %d %s", code, page)
	}
	code, hdr, _ := send(browser, "POST", "/oauth/authorize", form, url.Values{"step": {"consent"}, "csrf": {field(page, "csrf")},
		"request": {field(page, "request")}, "decision": {"allow"}}.Encode())
	loc, _ := url.Parse(hdr.Get("Location"))
	if code/100 != 3 || !strings.HasPrefix(hdr.Get("Location"), redirect+"?") || loc.Query().Get("state") != "s-1" || loc.Query().Get("iss") != st.URL {
		t.Fatalf("redirect: %d %q", code, hdr.Get("Location"))
	}
	authCode := loc.Query().Get("code")

	// The client exchanges the code.
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {authCode}, "redirect_uri": {redirect}, "client_id": {clientID}, "code_verifier": {verifier}}
	code, _, body = send(api, "POST", "/oauth/token", form, exchange.Encode())
	if code != 200 {
		t.Fatalf("code exchange: %d %s", code, body)
	}
	tok := decode(body)
	claims := decode(func() string {
		b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok["access_token"].(string), ".")[1])
		return string(b)
	}())
	if claims["sub"] != userID || claims["client_id"] != clientID || tok["scope"] != "mcp:read" || tok["refresh_token"] == nil {
		t.Fatalf("token %v claims %v", tok, claims)
	}
	// The client refreshes: the refresh token rotates.
	code, _, body = send(api, "POST", "/oauth/token", form, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)},
		"client_id": {clientID}}.Encode())
	if code != 200 {
		t.Fatalf("refresh: %d %s", code, body)
	}
	refreshed := decode(body)
	if refreshed["refresh_token"] == tok["refresh_token"] || refreshed["refresh_token"] == nil {
		t.Fatalf("the refresh token did not rotate: %v", refreshed)
	}
	// A second use of the code is refused.
	if code, _, body = send(api, "POST", "/oauth/token", form, exchange.Encode()); code != 400 || decode(body)["error"] != "invalid_grant" {
		t.Fatalf("code replay: %d %s", code, body)
	}
	// The replay revoked what the first use issued.
	code, _, body = send(api, "POST", "/oauth/introspect", form, url.Values{"token": {tok["access_token"].(string)}}.Encode(), admin...)
	if code != 200 || decode(body)["active"] != false {
		t.Fatalf("the first use's token after a replay: %d %s", code, body)
	}
	code, _, body = send(api, "POST", "/oauth/introspect", form, url.Values{"token": {refreshed["access_token"].(string)}}.Encode(), admin...)
	if code != 200 || decode(body)["active"] != false {
		t.Fatalf("the refreshed token after a replay: %d %s", code, body)
	}
	if code, _, body = send(api, "POST", "/oauth/token", form, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshed["refresh_token"].(string)},
		"client_id": {clientID}}.Encode()); code != 400 || decode(body)["error"] != "invalid_grant" {
		t.Fatalf("the grant's refresh token after a replay: %d %s", code, body)
	}
}

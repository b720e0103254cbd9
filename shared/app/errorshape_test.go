package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
	"github.com/sharkauth/serverless/shared/httpx"
)

// Every answer of a function has its function's error shape, its middleware's
// too: the OAuth functions (token, register) answer 404, 405 and 413 with
// error/error_description (RFC 6749 §5.2), the others with error/message.
func TestMiddlewareAnswersInTheFunctionsShape(t *testing.T) {
	st := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	big := strings.Repeat("a", httpx.MaxBody+1)
	cases := []struct {
		function, method, path, body string
		status                       int
		code                         string
	}{
		{"token", "PATCH", "/oauth/token", "", 405, "method_not_allowed"},
		{"token", "POST", "/oauth/token", big, 413, "invalid_request"},
		{"token", "POST", "/oauth//token", "", 404, "not_found"},
		{"token", "GET", "/oauth/nothing-here", "", 404, "not_found"},
		{"register", "PATCH", "/oauth/register", "", 405, "method_not_allowed"},
		{"register", "POST", "/oauth/register", big, 413, "invalid_request"},
		{"admin", "PUT", "/api/v1/agents", "", 405, "method_not_allowed"},
		{"admin", "POST", "/api/v1/agents", big, 413, "invalid_request"},
		{"audit", "POST", "/api/v1/audit-logs", "", 405, "method_not_allowed"},
		{"jwks", "POST", "/.well-known/jwks.json", "", 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.function+" "+c.method+" "+c.path+" "+c.code, func(t *testing.T) {
			h := app.Functions[c.function](st.Env)
			r := httptest.NewRequest(c.method, "http://localhost"+c.path, strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != c.status || body["error"] != c.code {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			oauthShape := c.function == "token" || c.function == "register"
			_, hasDesc := body["error_description"]
			_, hasMsg := body["message"]
			if oauthShape != hasDesc || oauthShape == hasMsg || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("shape of %s: %s", c.function, w.Body)
			}
			if c.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

package authorize

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var styleElement = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// Every page kind carries the one style element, and the CSP's style-src
// hash is that element's exact content: a browser applies the style (the
// page stays usable on a phone) and runs nothing else.
func TestPageStyleMatchesCSP(t *testing.T) {
	for _, v := range []view{
		{Kind: "login", Tenant: "Acme", Title: "Sign in", CSRF: "c", Request: "r", ClientName: "App"},
		{Kind: "consent", Tenant: "Acme", Title: "Allow access?", CSRF: "c", Request: "r", ClientName: "App",
			Email: "a@example.com", RedirectHost: "app.example", Scopes: []string{"mcp:read"}, Resources: []string{"https://mcp.example/"}},
		{Kind: "message", Tenant: "Acme", Title: "Error", Message: "Something"},
	} {
		w := httptest.NewRecorder()
		render(w, http.StatusOK, v, "https://app.example")
		m := styleElement.FindAllStringSubmatch(w.Body.String(), -1)
		if len(m) != 1 {
			t.Fatalf("%s: %d style elements:\n%s", v.Kind, len(m), w.Body)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q does not allow the page's style (%s)", v.Kind, csp, want)
		}
		if strings.Contains(w.Body.String(), "<script") {
			t.Errorf("%s: a script in the page", v.Kind)
		}
	}
}

// Values land escaped in every context the pages use: text, the title
// (RCDATA), double-quoted attributes, list items.
func TestPagesEscapeEveryField(t *testing.T) {
	evil := `"'><script>x</script>&`
	for _, v := range []view{
		{Kind: "login", Tenant: evil, Title: evil, Error: evil, CSRF: evil, Request: evil, ClientName: evil, Email: evil},
		{Kind: "consent", Tenant: evil, Title: evil, CSRF: evil, Request: evil, ClientName: evil, Email: evil,
			RedirectHost: evil, Scopes: []string{evil}, Resources: []string{evil}},
		{Kind: "message", Tenant: evil, Title: evil, Message: evil},
	} {
		w := httptest.NewRecorder()
		render(w, http.StatusOK, v, "")
		body := w.Body.String()
		if strings.Contains(body, "<script") || strings.Contains(body, `"'>`) {
			t.Fatalf("%s: unescaped value:\n%s", v.Kind, body)
		}
		if v.Kind != "message" {
			if got := formValue(t, body, "request"); got != evil {
				t.Fatalf("%s: request field round-trips as %q", v.Kind, got)
			}
		}
	}
}

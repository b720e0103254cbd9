package register

import (
	"testing"
)

// TestRedirectSchemeAllowlist: a redirect URI is https, http on a loopback
// host (any port, RFC 8252 §7.3), or a private-use scheme (RFC 8252 §7.1):
// a reverse-DNS one, or one of the few single-label schemes of the MCP
// clients in use. Every other scheme is refused, whatever a browser or an
// OS makes of it.
func TestRedirectSchemeAllowlist(t *testing.T) {
	accepted := []string{
		"https://app.example.com/cb",
		"https://app.example.com:8443/cb?x=1",
		"http://127.0.0.1/cb",
		"http://127.0.0.1:51004/cb",
		"http://[::1]:9/cb",
		"http://localhost:8787/callback",
		"http://LOCALHOST:1/cb",
		"com.example.app:/oauth2redirect",
		"com.example.app://callback",
		"io.github.some-tool:/cb",
		"cursor://anysphere.cursor-retrieval/oauth/user-callback",
		"vscode://vscode.github-authentication/did-authenticate",
		"vscode-insiders://vscode.github-authentication/did-authenticate",
	}
	refused := []string{
		"view-source:https://evil.example/",
		"jar:https://evil.example/x.jar!/",
		"chrome://settings",
		"ms-settings:privacy",
		"x-javascript:alert(1)",
		"javascript:alert(1)",
		"JavaScript:alert(1)",
		"data:text/html,hi",
		"file:///etc/passwd",
		"blob:https://a.example/1",
		"about:blank",
		"ftp://a.example/",
		"ws://127.0.0.1/cb",
		"wss://a.example/cb",
		"mailto:a@example.com",
		"tel:+100",
		"vbscript:x",
		"intent://scan/#Intent;scheme=zxing;end",
		"itms-services://?action=download-manifest",
		"market://details?id=x",
		"myapp://cb",
		"http://example.com/cb",
		"http://127.0.0.1.nip.io/cb",
		"http://localhost.evil.example/cb",
		"https://app.example.com/cb#frag",
		"com.example.app:/cb#x",
		"https:///nohost",
		".example.app:/cb",
		"com..example:/cb",
		"com.example.:/cb",
		"com.example.app:",
	}
	for _, u := range accepted {
		if err := checkRedirect(u); err != nil {
			t.Errorf("%q refused: %v", u, err)
		}
	}
	for _, u := range refused {
		if err := checkRedirect(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}

	// Through the endpoint: the answer is 400 invalid_redirect_uri.
	hs := newHarness(t, false)
	for _, u := range []string{"view-source:https://evil.example/", "ms-settings:privacy", "chrome://settings"} {
		w := hs.do(req{body: `{"client_name":"x","token_endpoint_auth_method":"none","redirect_uris":["` + u + `"]}`})
		wantError(t, w, 400, "invalid_redirect_uri")
	}
}

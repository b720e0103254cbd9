package authorize

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/storetest"
)

const issuer = "http://auth.example/t/acme"

// A page answer: HTML, the status, no redirect, and every header that keeps
// it out of frames and locks its content down.
func wantPage(t *testing.T, w *httptest.ResponseRecorder, status int, contains string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if loc := w.Header().Get("Location"); loc != "" {
		t.Fatalf("a page answer redirects to %s", loc)
	}
	wantPageHeaders(t, w)
	if !strings.Contains(w.Body.String(), contains) {
		t.Fatalf("page lacks %q:\n%s", contains, w.Body)
	}
}

func wantPageHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	csp := w.Header().Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "style-src 'sha256-"} {
		if !strings.Contains(csp, d) {
			t.Fatalf("CSP %q lacks %s", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Fatalf("CSP %q is not strict", csp)
	}
	if w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Content-Type-Options") != "nosniff" ||
		w.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page headers %v", w.Header())
	}
	if !strings.Contains(w.Body.String(), "Acme Corp") {
		t.Fatalf("the page does not name the tenant:\n%s", w.Body)
	}
}

// Errors before the client and its redirect URI are validated are a page,
// never a redirect (RFC 6749 §4.1.2.1).
func TestRefusedWithAPage(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		multi := params("redirect_uri", "")
		dupClient := params()
		dupClient.Add("client_id", "app")
		dupRedirect := params()
		dupRedirect.Add("redirect_uri", appRedirect)
		for _, tc := range []struct {
			name string
			q    url.Values
			want string
		}{
			{"no client_id", params("client_id", ""), "no client_id"},
			{"unknown client", params("client_id", "nope"), "not known"},
			{"wrong redirect", params("redirect_uri", "https://evil.example/cb"), "not registered"},
			{"redirect with another path", params("redirect_uri", appRedirect+"/x"), "not registered"},
			{"redirect with a query added", params("redirect_uri", appRedirect+"?a=1"), "not registered"},
			{"redirect with a fragment", params("redirect_uri", appRedirect+"#f"), "not registered"},
			{"loopback by name", params("redirect_uri", "http://localhost:5000/callback"), "not registered"},
			{"loopback with another path", params("redirect_uri", "http://127.0.0.1:5000/other"), "not registered"},
			{"loopback over https", params("redirect_uri", "https://127.0.0.1:5000/callback"), "not registered"},
			{"no redirect_uri, several registered", multi, "no redirect_uri"},
			{"client_id twice", dupClient, "more than one client_id"},
			{"redirect_uri twice", dupRedirect, "more than one redirect_uri"},
			{"CIMD client without a resolver", params("client_id", "https://app.example/client.json"), "Client ID Metadata"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantPage(t, h.get(tc.q), http.StatusBadRequest, tc.want)
			})
		}
		t.Run("a malformed query", func(t *testing.T) {
			wantPage(t, h.do("GET", "/oauth/authorize", nil, "client_id=%zz"), http.StatusBadRequest, "malformed")
		})
	})
}

// Errors after the redirect URI is known go back to the client, with
// error, error_description, state and iss (RFC 9207).
func TestRefusedWithARedirect(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		dupState := params()
		dupState.Add("state", "again")
		for _, tc := range []struct {
			name string
			q    url.Values
			code string
		}{
			{"no PKCE", params("code_challenge", "", "code_challenge_method", ""), "invalid_request"},
			{"no challenge method", params("code_challenge_method", ""), "invalid_request"},
			{"PKCE plain", params("code_challenge_method", "plain"), "invalid_request"},
			{"another challenge method", params("code_challenge_method", "S512"), "invalid_request"},
			{"no challenge", params("code_challenge", ""), "invalid_request"},
			{"a short challenge", params("code_challenge", "abc"), "invalid_request"},
			{"no response_type", params("response_type", ""), "invalid_request"},
			{"response_type token", params("response_type", "token"), "unsupported_response_type"},
			{"a client without the code grant", params("client_id", "machine"), "unauthorized_client"},
			{"a scope beyond the client's", params("scope", "mcp:read admin"), "invalid_scope"},
			{"a resource beyond the client's audiences", params("resource", "https://evil.example/mcp"), "invalid_target"},
			{"a relative resource", params("resource", "/mcp"), "invalid_target"},
			{"a resource with a fragment", params("resource", "https://mcp.example/mcp#x"), "invalid_target"},
			{"an unknown prompt", params("prompt", "select_account"), "invalid_request"},
			{"prompt none with login", params("prompt", "none login"), "invalid_request"},
			{"state twice", dupState, "invalid_request"},
			{"a malformed dpop_jkt", params("dpop_jkt", "short"), "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := location(t, h.get(tc.q), appRedirect)
				if q.Get("error") != tc.code || q.Get("error_description") == "" || q.Get("iss") != issuer || q.Get("code") != "" {
					t.Fatalf("redirect %v, want error %s with iss", q, tc.code)
				}
				if tc.name != "state twice" && q.Get("state") != "xyz" {
					t.Fatalf("state %q, want xyz", q.Get("state"))
				}
			})
		}
	})
}

// The whole flow: login page, a wrong password and an unknown user (the
// same answer), sign-in, consent page, code; then the remembered consent.
func TestSignInConsentCode(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		q := params("dpop_jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "login_hint", userEmail)
		q.Add("resource", "https://other.example/mcp")
		page := h.get(q)
		wantPage(t, page, http.StatusOK, "Sign in to continue to <strong>Claude &lt;Desktop&gt;</strong>")
		if !strings.Contains(page.Body.String(), `value="`+userEmail+`"`) {
			t.Fatal("login_hint does not fill the email")
		}

		wrong := h.login(page, userEmail, "Tr0ub4dor-nope")
		unknown := h.login(page, "bob@example.com", "Tr0ub4dor-nope")
		wantPage(t, wrong, http.StatusUnauthorized, "The email or password is wrong.")
		wantPage(t, unknown, http.StatusUnauthorized, "The email or password is wrong.")
		if a, b := strings.ReplaceAll(wrong.Body.String(), userEmail, "E"), strings.ReplaceAll(unknown.Body.String(), "bob@example.com", "E"); a != b {
			t.Fatalf("a wrong password and an unknown user answer differently:\n%s\n---\n%s", a, b)
		}
		if _, ok := h.jar["shark_session_acme"]; ok {
			t.Fatal("a failed sign-in set a session")
		}
		failed := h.events(EventSignInFailed)
		if len(failed) != 2 {
			t.Fatalf("%d sign-in failures recorded, want 2", len(failed))
		}
		for _, ev := range failed {
			if strings.Contains(toJSON(ev), "Tr0ub4dor") || ev.Status != "failure" {
				t.Fatalf("failure event %+v", ev)
			}
		}

		consent := h.login(page, userEmail, userPassword)
		wantPage(t, consent, http.StatusOK, "Allow access?")
		for _, want := range []string{"Claude &lt;Desktop&gt;", "<strong>app.example</strong>", "mcp:read", "https://mcp.example/mcp", "https://other.example/mcp"} {
			if !strings.Contains(consent.Body.String(), want) {
				t.Fatalf("the consent page lacks %q:\n%s", want, consent.Body)
			}
		}
		if !strings.Contains(consent.Header().Get("Content-Security-Policy"), "form-action 'self' https://app.example;") {
			t.Fatalf("CSP %q: the form may not lead to the client", consent.Header().Get("Content-Security-Policy"))
		}
		if len(h.events(EventSignedIn)) != 1 {
			t.Fatal("no user.signed_in event")
		}

		back := location(t, h.consent(consent, "allow"), appRedirect)
		if back.Get("state") != "xyz" || back.Get("iss") != issuer || back.Get("code") == "" || back.Get("error") != "" {
			t.Fatalf("redirect %v", back)
		}
		code, ok := h.codes.byValue(back.Get("code"))
		if !ok {
			t.Fatal("the code in the redirect was not stored by its hash")
		}
		want := AuthCode{ClientID: "app", RedirectURI: appRedirect, Challenge: challenge, Scope: "mcp:read", UserID: "usr_alice",
			Resources: []string{"https://mcp.example/mcp", "https://other.example/mcp"}, DPoPJKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}
		if code.ClientID != want.ClientID || code.RedirectURI != want.RedirectURI || code.Challenge != want.Challenge || code.Scope != want.Scope ||
			code.UserID != want.UserID || !slices.Equal(code.Resources, want.Resources) || code.DPoPJKT != want.DPoPJKT ||
			!strings.HasPrefix(code.ID, "code_") || code.ExpiresAt.Sub(code.CreatedAt) > 60*time.Second || code.ExpiresAt.Sub(code.CreatedAt) <= 0 {
			t.Fatalf("code %+v", code)
		}
		if len(h.events(EventConsent)) != 1 || len(h.events(EventCodeIssued)) != 1 {
			t.Fatal("consent.granted or oauth.code_issued missing")
		}

		// Remembered: the next request (a subset) gets its code at once.
		again := location(t, h.get(params("state", "second")), appRedirect)
		if again.Get("code") == "" || again.Get("state") != "second" || again.Get("iss") != issuer {
			t.Fatalf("remembered consent: %v", again)
		}
		// A wider scope, prompt=consent, another redirect URI: the page again.
		for _, q := range []url.Values{params("scope", "mcp:read mcp:write"), params("prompt", "consent"),
			params("redirect_uri", "http://127.0.0.1:49152/callback")} {
			wantPage(t, h.get(q), http.StatusOK, "Allow access?")
		}
		// prompt=none with session and consent: the code, no page.
		if none := location(t, h.get(params("prompt", "none")), appRedirect); none.Get("code") == "" {
			t.Fatalf("prompt=none: %v", none)
		}
		// prompt=login: the login page despite the session.
		wantPage(t, h.get(params("prompt", "login")), http.StatusOK, `value="login"`)
	})
}

func TestConsentDenied(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		consent := h.signIn(params())
		q := location(t, h.consent(consent, "deny"), appRedirect)
		if q.Get("error") != "access_denied" || q.Get("iss") != issuer || q.Get("state") != "xyz" || q.Get("code") != "" {
			t.Fatalf("deny: %v", q)
		}
		if _, err := h.s.GetConsent(t.Context(), h.ten.ID, "usr_alice", "app", appRedirect); err == nil {
			t.Fatal("a denied consent was stored")
		}
		if len(h.codes.codes) != 0 {
			t.Fatal("a code was issued")
		}
	})
}

func TestPromptNone(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		q := location(t, h.get(params("prompt", "none")), appRedirect)
		if q.Get("error") != "login_required" || q.Get("iss") != issuer || q.Get("state") != "xyz" {
			t.Fatalf("no session: %v", q)
		}
		h.signIn(params())
		q = location(t, h.get(params("prompt", "none")), appRedirect)
		if q.Get("error") != "consent_required" || q.Get("iss") != issuer {
			t.Fatalf("no consent: %v", q)
		}
	})
}

func TestCSRF(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		page := h.get(params())
		request := formValue(t, page.Body.String(), "request")
		for _, tc := range []struct{ name, csrf string }{{"missing", ""}, {"wrong", "AAAA" + formValue(t, page.Body.String(), "csrf")[4:]}} {
			t.Run("login, "+tc.name, func(t *testing.T) {
				w := h.do("POST", "/oauth/authorize", url.Values{"step": {"login"}, "csrf": {tc.csrf}, "request": {request},
					"email": {userEmail}, "password": {userPassword}}, "")
				wantPage(t, w, http.StatusForbidden, "form expired")
				if _, ok := h.jar["shark_session_acme"]; ok {
					t.Fatal("signed in without the CSRF token")
				}
			})
		}
		t.Run("login without the pre-session cookie", func(t *testing.T) {
			pre := h.jar["shark_pre_acme"]
			delete(h.jar, "shark_pre_acme")
			w := h.do("POST", "/oauth/authorize", url.Values{"step": {"login"}, "csrf": {formValue(t, page.Body.String(), "csrf")},
				"request": {request}, "email": {userEmail}, "password": {userPassword}}, "")
			wantPage(t, w, http.StatusForbidden, "form expired")
			h.jar["shark_pre_acme"] = pre
		})
		consent := h.login(page, userEmail, userPassword)
		for _, tc := range []struct{ name, csrf string }{
			{"missing", ""}, {"wrong", "AAAA" + formValue(t, consent.Body.String(), "csrf")[4:]},
			{"the pre-session's", formValue(t, page.Body.String(), "csrf")},
		} {
			t.Run("consent, "+tc.name, func(t *testing.T) {
				w := h.do("POST", "/oauth/authorize", url.Values{"step": {"consent"}, "csrf": {tc.csrf}, "request": {request}, "decision": {"allow"}}, "")
				wantPage(t, w, http.StatusForbidden, "form expired")
				if len(h.codes.codes) != 0 || len(h.events(EventConsent)) != 0 {
					t.Fatal("consent or code without the CSRF token")
				}
			})
		}
		t.Run("logout, wrong", func(t *testing.T) {
			w := h.do("POST", "/oauth/logout", url.Values{"csrf": {"nope"}}, "")
			wantPage(t, w, http.StatusForbidden, "form expired")
		})
	})
}

// Cookies: HttpOnly, SameSite=Lax; on https Secure with __Host- (root path)
// or __Secure- (a path tenant: __Host- requires Path=/); scoped to the
// tenant's path; a new session at every sign-in.
func TestCookies(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		for _, tc := range []struct {
			issuer, name, path string
			secure             bool
		}{
			{"http://auth.example/t/acme", "shark_session_acme", "/t/acme", false},
			{"https://auth.example/t/acme", "__Secure-shark_session_acme", "/t/acme", true},
			{"https://auth.example", "__Host-shark_session_acme", "/", true},
			{"https://login.acme.example", "__Host-shark_session_acme", "/", true},
		} {
			t.Run(tc.issuer, func(t *testing.T) {
				h := newHarness(t, newTable, tc.issuer)
				first := h.signIn(params())
				ck := h.jar[tc.name]
				if ck == nil {
					t.Fatalf("no cookie %s in %v", tc.name, first.Header()["Set-Cookie"])
				}
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure != tc.secure || ck.Path != tc.path || ck.Domain != "" || ck.MaxAge <= 0 {
					t.Fatalf("cookie %+v", ck)
				}
				pre := strings.Replace(tc.name, "session", "pre", 1)
				if p := h.jar[pre]; p == nil || !p.HttpOnly || p.Secure != tc.secure || p.Path != tc.path {
					t.Fatalf("pre-session cookie %+v", p)
				}
				h.signIn(params("prompt", "login"))
				if h.jar[tc.name].Value == ck.Value {
					t.Fatal("a new sign-in kept the session id")
				}
				if _, err := h.s.SessionByHash(t.Context(), h.ten.ID, ids.Hash(ck.Value)); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("the previous session outlived a new sign-in: %v", err)
				}
			})
		}
	})
}

func TestThrottle(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		h.h.Limits = Limits{PerAccount: 2, PerAddress: 5, Window: time.Minute}
		page := h.get(params())
		for range 2 {
			wantPage(t, h.login(page, userEmail, "wrong"), http.StatusUnauthorized, "wrong")
		}
		wantPage(t, h.login(page, userEmail, userPassword), http.StatusTooManyRequests, "Too many")
		// Another account from the same address: its own count, then the address's.
		for range 2 {
			wantPage(t, h.login(page, "bob@example.com", "wrong"), http.StatusUnauthorized, "wrong")
		}
		wantPage(t, h.login(page, "carol@example.com", "wrong"), http.StatusUnauthorized, "wrong")
		wantPage(t, h.login(page, "dave@example.com", "wrong"), http.StatusTooManyRequests, "Too many")
		h.clock.Advance(2 * time.Minute)
		wantPage(t, h.login(page, userEmail, userPassword), http.StatusOK, "Allow access?")
	})
}

// A client walking the addresses of its IPv6 /64 is one address to the
// sign-in throttle.
func TestThrottleCountsAnIPv6Slash64Once(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		h.h.Limits = Limits{PerAccount: 100, PerAddress: 3, Window: time.Minute}
		page := h.get(params())
		for i, addr := range []string{"[2001:db8:1:2::1]:5000", "[2001:db8:1:2::2]:5000", "[2001:db8:1:2:ffff::9]:5000"} {
			h.addr = addr
			wantPage(t, h.login(page, fmt.Sprintf("walker%d@example.com", i), "wrong"), http.StatusUnauthorized, "wrong")
		}
		h.addr = "[2001:db8:1:2:abcd::7]:5000"
		wantPage(t, h.login(page, "walker9@example.com", "wrong"), http.StatusTooManyRequests, "Too many")
		h.addr = "[2001:db8:1:3::1]:5000" // another /64
		wantPage(t, h.login(page, "walker9@example.com", "wrong"), http.StatusUnauthorized, "wrong")
	})
}

func TestLogoutAndDeletedUser(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		consent := h.signIn(params())
		w := h.do("POST", "/oauth/logout", url.Values{"csrf": {formValue(t, consent.Body.String(), "csrf")}}, "")
		wantPage(t, w, http.StatusOK, "signed out")
		if _, ok := h.jar["shark_session_acme"]; ok {
			t.Fatal("logout kept the cookie")
		}
		if len(h.events(EventSignedOut)) != 1 {
			t.Fatal("no user.signed_out event")
		}
		wantPage(t, h.get(params()), http.StatusOK, `value="login"`)

		h.signIn(params())
		ev := store.AuditEvent{ID: store.NewAuditID(h.s.Now(), store.DefaultAuditShards), Event: "user.deleted", ActorType: "test", ActorID: "t", Status: "success", Metadata: map[string]any{}, CreatedAt: h.s.Now()}
		if _, err := h.s.DeleteUser(t.Context(), h.ten.ID, "usr_alice", "test", ev); err != nil {
			t.Fatal(err)
		}
		wantPage(t, h.get(params()), http.StatusOK, `value="login"`)
	})
}

// A consent revoked between its page and the code (the store refuses the
// code) is the user's refusal as far as the client can tell: a redirect
// with access_denied and iss, never a 500 page.
func TestConsentRevokedBeforeTheCode(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		h.codes.refuse = store.ErrConsentRevoked
		consent := h.signIn(params())
		q := location(t, h.consent(consent, "allow"), appRedirect)
		if q.Get("error") != "access_denied" || q.Get("iss") != issuer || q.Get("state") != "xyz" || q.Get("code") != "" {
			t.Fatalf("revoked consent: %v", q)
		}
	})
}

func TestCodesNotWired(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		h.h.Codes = nil
		consent := h.signIn(params())
		wantPage(t, h.consent(consent, "allow"), http.StatusServiceUnavailable, "cannot issue")
	})
}

// Every value a page shows is escaped: the request (carried in a hidden
// field), the login hint, the client's name, scopes and resources.
func TestPagesEscape(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		evil := `"><script>alert(1)</script>`
		page := h.get(params("login_hint", evil, "state", evil))
		wantPage(t, page, http.StatusOK, "Sign in")
		if strings.Contains(page.Body.String(), "<script") || !strings.Contains(page.Body.String(), "&lt;script&gt;") {
			t.Fatalf("unescaped value in the page:\n%s", page.Body)
		}
		consent := h.login(page, userEmail, userPassword)
		if strings.Contains(consent.Body.String(), "<script") || !strings.Contains(consent.Body.String(), "Claude &lt;Desktop&gt;") {
			t.Fatalf("unescaped value in the consent page:\n%s", consent.Body)
		}
		if q := location(t, h.consent(consent, "allow"), appRedirect); q.Get("state") != evil {
			t.Fatalf("state %q did not round-trip through the forms", q.Get("state"))
		}
	})
}

// An unknown user, and a user without a password, cost a password check
// (against a dummy hash), so that timing does not tell them from a wrong
// password.
func TestUnknownUserCostsACheck(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		calls := 0
		prev := checkNone
		checkNone = func(pw string) bool { calls++; return prev(pw) }
		t.Cleanup(func() { checkNone = prev })
		page := h.get(params())
		wantPage(t, h.login(page, "bob@example.com", "x"), http.StatusUnauthorized, "wrong")
		if calls != 1 {
			t.Fatalf("an unknown user cost %d dummy checks, want 1", calls)
		}
		wantPage(t, h.login(page, userEmail, "x"), http.StatusUnauthorized, "wrong")
		if calls != 1 {
			t.Fatal("a wrong password spent a dummy check besides the real one")
		}
	})
}

// A session ends with its lifetime; a deactivated client is unknown.
func TestSessionExpiryAndInactiveClient(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		h.h.SessionTTL = time.Hour
		h.consent(h.signIn(params()), "allow")
		if q := location(t, h.get(params()), appRedirect); q.Get("code") == "" {
			t.Fatalf("signed in: %v", q)
		}
		h.clock.Advance(time.Hour + time.Second)
		wantPage(t, h.get(params()), http.StatusOK, `value="login"`)
		if q := location(t, h.get(params("prompt", "none")), appRedirect); q.Get("error") != "login_required" {
			t.Fatalf("expired session, prompt=none: %v", q)
		}

		ev := store.AuditEvent{ID: store.NewAuditID(h.s.Now(), store.DefaultAuditShards), Event: "agent.deactivated", ActorType: "test", ActorID: "t", Status: "success", Metadata: map[string]any{}, CreatedAt: h.s.Now()}
		if _, err := h.s.ChangeClient(t.Context(), h.ten.ID, "app", func(c *store.Client) error { c.Active = false; return nil },
			func(store.Client) store.AuditEvent { return ev }); err != nil {
			t.Fatal(err)
		}
		wantPage(t, h.get(params()), http.StatusBadRequest, "not known")
	})
}

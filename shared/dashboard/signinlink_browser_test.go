package dashboard_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestSignInLinkInBrowser: the one-time sign-in link `shark serve` prints
// signs the browser in (a short-lived admin key in sessionStorage, the link
// gone from the address bar and history); opened again it is refused with
// a clear message, as is an expired one; a path tenant's link signs in to
// that tenant; a link opened in a tab already on the dashboard works too.
// At both widths, with no dialog, exception or CSP violation.
func TestSignInLinkInBrowser(t *testing.T) {
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			var skew atomic.Int64
			st := apptest.Serve(t, apptest.Config(t, ""), app.Options{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
			url := st.URL
			mint := func(id string) string {
				t.Helper()
				secret, _, err := st.Env.MintSignInLink(t.Context(), tenant.MustID(id), "test")
				if err != nil {
					t.Fatal(err)
				}
				return secret
			}
			b := startBrowser(t)
			opts := []chromedp.EmulateViewportOption{}
			if vp.name == "phone" {
				opts = append(opts, chromedp.EmulateMobile)
			}
			b.do("viewport", chromedp.EmulateViewport(vp.w, vp.h, opts...))

			link := mint("default")
			b.do("open the link", chromedp.Navigate(url+"/#signin="+link),
				waitText("Signed in with a one-time link"), waitText("Get started: ship agents"))
			b.shot("signin-link-" + vp.name)
			var href, key string
			b.eval(`location.href`, &href)
			b.eval(`sessionStorage.getItem("shark.adminKey")`, &key)
			if strings.Contains(href, "signin") || strings.Contains(href, link) || !strings.HasSuffix(href, "#/welcome") {
				t.Fatalf("the address bar still holds the link: %s", href)
			}
			if !strings.HasPrefix(key, "sk_live_") || key == st.Boot.AdminKey {
				t.Fatalf("session key %.12s…, want a minted admin key", key)
			}
			if got := apiCall(t, url, key, "GET", "/api/v1/admin/tenant", ""); got["id"] != "default" {
				t.Fatalf("the session's key reads its tenant: %v", got)
			}

			if vp.name == "phone" {
				b.do("menu", chromedp.Click(chromedp.CSS("#menu")))
			}
			b.do("sign out", chromedp.Click(button("Sign out")), waitText("Signed out."))
			b.do("the same link again", chromedp.Navigate("about:blank"), chromedp.Navigate(url+"/#signin="+link),
				waitText("Sign-in link refused: this sign-in link was already used"))
			b.shot("signin-link-used-" + vp.name)

			late := mint("default")
			skew.Add(int64(16 * time.Minute))
			b.do("an expired link", chromedp.Navigate("about:blank"), chromedp.Navigate(url+"/#signin="+late),
				waitText("Sign-in link refused: this sign-in link expired"))
			b.do("an unknown link", chromedp.Navigate("about:blank"), chromedp.Navigate(url+"/#signin=signin_nothing"),
				waitText("Sign-in link refused: unknown sign-in link"))

			// A path tenant's link, opened in a tab already on the dashboard.
			apiCall(t, url, st.Boot.PlatformKey, "POST", "/platform/v1/tenants", `{"id":"acme","name":"Acme"}`)
			acme := mint("acme")
			var set string
			b.eval(`location.hash = "#signin=`+acme+`&tenant=acme"`, &set)
			b.do("a path tenant's link in an open tab", waitText("Signed in with a one-time link"), waitText("tenant acme"))
			b.eval(`location.href`, &href)
			if strings.Contains(href, acme) {
				t.Fatalf("the address bar still holds the link: %s", href)
			}

			var csp []string
			b.eval(`window.__csp`, &csp)
			b.mu.Lock()
			defer b.mu.Unlock()
			if len(b.dialogs) > 0 || len(b.thrown) > 0 || len(csp) > 0 {
				t.Fatalf("dialogs %q, exceptions %q, CSP violations %q", b.dialogs, b.thrown, csp)
			}
		})
	}
}

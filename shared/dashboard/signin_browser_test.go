package dashboard_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSignInToAPathTenant: a path tenant's admin key signs in with the
// tenant's id; without it, the refusal says to type the tenant (the
// server only knows the key is not the root tenant's). At both widths.
func TestSignInToAPathTenant(t *testing.T) {
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			url, boot := serveStack(t)
			key := apiCall(t, url, boot.PlatformKey, "POST", "/platform/v1/tenants", `{"id":"acme","name":"Acme"}`)["admin_key"].(string)
			b := startBrowser(t)
			opts := []chromedp.EmulateViewportOption{}
			if vp.name == "phone" {
				opts = append(opts, chromedp.EmulateMobile)
			}
			b.do("open", chromedp.EmulateViewport(vp.w, vp.h, opts...), chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#signin-key")))
			b.do("no tenant", setValue("#signin-key", key), chromedp.Click(button("Sign in")),
				waitText("Sign-in failed: invalid API key. If this key belongs to a path tenant"))
			b.shot("signin-hint-" + vp.name)
			b.do("with its tenant", setValue("#signin-key", key), setValue("#signin-tenant", "acme"), chromedp.Click(button("Sign in")),
				waitText("Get started: ship agents"), waitText("tenant acme"), waitText(url+"/t/acme"))
			// Its own settings, not the root tenant's.
			b.do("settings", chromedp.Navigate(url+"/#/settings"), waitText("Tenant settings"), waitText(url+"/t/acme"))
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

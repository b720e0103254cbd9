package dashboard_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestResourceServersPageInBrowser drives the Resource servers page at
// desktop and phone width: the three verification modes explained, a
// resource server created (its secret shown once, working on the
// revocation feed, gone from the page once its dialog closes), a refused
// resource URL, edited (name and resources), its secret rotated (the old
// one refused), a private_key_jwt one (no secret to show or rotate), and
// deleted after a confirmation (its credential refused). A name written
// as markup stays text; no page scrolls sideways at phone width.
func TestResourceServersPageInBrowser(t *testing.T) {
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			url, boot := serveStack(t)
			b := startBrowser(t)
			opts := []chromedp.EmulateViewportOption{}
			if vp.name == "phone" {
				opts = append(opts, chromedp.EmulateMobile)
			}
			shot := func(name string) {
				t.Helper()
				// Against the emulated width: a phone's layout viewport grows
				// to fit content wider than the screen (innerWidth with it).
				var scroll int64
				b.eval(`Math.max(document.documentElement.scrollWidth, window.innerWidth)`, &scroll)
				if scroll > vp.w+1 {
					t.Errorf("%s scrolls sideways at %s width (%d px wide)", name, vp.name, scroll)
				}
				b.shot(name + "-" + vp.name)
			}
			// feed is the status of GET /oauth/revocations with a resource
			// server's credential.
			feed := func(clientID, secret string) int {
				t.Helper()
				req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/oauth/revocations", nil)
				req.SetBasicAuth(clientID, secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			secretShown := func() string {
				var s string
				b.eval(`(document.querySelector("#dialog[open] .secret code") || {}).textContent || ""`, &s)
				return s
			}
			const evil = `<img src=x onerror=alert(1)>`

			b.do("sign in", chromedp.EmulateViewport(vp.w, vp.h, opts...), chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#signin-key")),
				setValue("#signin-key", boot.AdminKey), chromedp.Click(button("Sign in")), waitText("Get started: ship agents"))
			// Get started's resource-server step says how to see revocation
			// before exp, and links here.
			b.do("get started", waitText("refuse a revoked token before it expires"),
				chromedp.WaitVisible(chromedp.Search(`//*[@id="page"]//a[@href="#/resource-servers"]`)))
			if vp.name == "phone" {
				b.do("menu", chromedp.Click(chromedp.CSS("#menu")), chromedp.WaitVisible(chromedp.CSS(`nav a[data-page="resource-servers"]`)))
			}
			b.do("nav", chromedp.Click(chromedp.CSS(`nav a[data-page="resource-servers"]`)), waitText("No resource server yet"),
				waitText("until it expires"), waitText("within the poll interval"), waitText("at once"), waitText(url+"/oauth/revocations"))
			var snippet string
			b.eval(`[...document.querySelectorAll("#page pre")].map(p => p.textContent).join("\n")`, &snippet)
			if !strings.Contains(snippet, fmt.Sprintf(`resource.Config{Issuer: %q, Resource: `, url)) || !strings.Contains(snippet, "Feed: &resource.Feed{ClientID: ") {
				t.Fatalf("the page's sdk/go snippet:\n%s", snippet)
			}
			shot("resource-servers-empty")

			// A resource URL that is not one is refused in the dialog.
			b.do("bad resource", chromedp.Click(button("New resource server")), setValue("#dialog input", "x"),
				setValue("#dialog textarea", "not a url"), chromedp.Click(dialogButton("Create resource server")), waitText("resources[0]"),
				chromedp.Click(dialogButton("Cancel")))

			// Created: the secret is shown once, and works.
			b.do("create", chromedp.Click(button("New resource server")), setValue("#dialog input", evil),
				setValue("#dialog textarea", "https://mcp.example.com\nhttps://api.example.com"),
				chromedp.Click(dialogButton("Create resource server")), waitText("Resource server created."))
			secret := secretShown()
			list := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/resource-servers", "")["data"].([]any)
			if len(list) != 1 {
				t.Fatalf("resource servers: %v", list)
			}
			rs := list[0].(map[string]any)
			id, clientID := rs["id"].(string), rs["client_id"].(string)
			if secret == "" || rs["name"] != evil || fmt.Sprint(rs["resources"]) != "[https://mcp.example.com https://api.example.com]" {
				t.Fatalf("created %v, secret %q", rs, secret)
			}
			if got := feed(clientID, secret); got != 200 {
				t.Fatalf("the feed with the new credential: %d", got)
			}
			b.eval(`[...document.querySelectorAll("#dialog pre")].map(p => p.textContent).join("\n")`, &snippet)
			if !strings.Contains(snippet, `ClientID: "`+clientID+`"`) || !strings.Contains(snippet, `Resource: "https://mcp.example.com"`) || strings.Contains(snippet, secret) {
				t.Fatalf("the created dialog's snippet (its id and resource, not the secret):\n%s", snippet)
			}
			shot("resource-server-created")
			b.do("close", chromedp.Click(dialogButton("Done")), waitText(clientID), waitText("https://api.example.com"), waitText("client_secret_basic"))
			if strings.Contains(b.text(), secret) {
				t.Fatal("the secret is still on the page after its dialog closed")
			}
			var images int
			b.eval(`document.querySelectorAll("#page img, #dialog img").length`, &images)
			if images != 0 {
				t.Fatal("the resource server's markup-like name became markup")
			}
			b.do("name as text", chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//*[@id="page"]//td[normalize-space()=%q]`, evil))))
			shot("resource-servers")

			// Edited: name and resources (PATCH).
			b.do("edit", chromedp.Click(chromedp.Search(fmt.Sprintf(`//button[@aria-label=%q]`, "Edit resource server "+evil))),
				setValue("#dialog input", "mcp-prod"), setValue("#dialog textarea", "https://mcp.example.com"),
				chromedp.Click(dialogButton("Save")), waitText("Resource server saved."), waitText("mcp-prod"))
			got := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/resource-servers/"+id, "")
			if got["name"] != "mcp-prod" || fmt.Sprint(got["resources"]) != "[https://mcp.example.com]" {
				t.Fatalf("edited: %v", got)
			}
			b.do("edit refused", chromedp.Click(chromedp.Search(`//button[@aria-label="Edit resource server mcp-prod"]`)),
				// The refusal itself, in the dialog's alert: the word alone is
				// already on the page, and a Cancel sent before the answer
				// arrives can race it (seen on CI, phone, under load).
				setValue("#dialog textarea", ""), chromedp.Click(dialogButton("Save")),
				chromedp.WaitVisible(chromedp.Search(`//dialog[@open]//p[@role="alert" and contains(., "resources")]`)),
				chromedp.Click(dialogButton("Cancel")),
				// The modal must be closed before the next click: a click sent
				// while it is still open lands on its backdrop (seen on CI, phone).
				chromedp.WaitNotPresent(chromedp.Search(`//dialog[@open]`)))

			// Rotated: a new secret shown once, the old one refused.
			b.do("rotate", chromedp.Click(chromedp.Search(`//button[@aria-label="Rotate secret of resource server mcp-prod"]`)),
				chromedp.Click(dialogButton("Rotate")), waitText("New secret made"))
			rotated := secretShown()
			if rotated == "" || rotated == secret {
				t.Fatalf("rotated secret %q", rotated)
			}
			if old, now := feed(clientID, secret), feed(clientID, rotated); old != 401 || now != 200 {
				t.Fatalf("after rotation: old secret %d, new secret %d", old, now)
			}
			b.do("close", chromedp.Click(dialogButton("Done")), waitText("mcp-prod"))
			if strings.Contains(b.text(), rotated) {
				t.Fatal("the rotated secret is still on the page after its dialog closed")
			}

			// With a jwks_uri: private_key_jwt, no secret to show or rotate.
			b.do("create with jwks_uri", chromedp.Click(button("New resource server")), setValue("#dialog input", "api-keys-only"),
				setValue("#dialog textarea", "https://api.example.com"), setValue(`#dialog input[type=url]`, "https://api.example.com/jwks.json"),
				chromedp.Click(dialogButton("Create resource server")), waitText("authenticates with private_key_jwt"))
			if secretShown() != "" {
				t.Fatal("a private_key_jwt resource server shows a secret")
			}
			b.do("close", chromedp.Click(dialogButton("Done")), waitText("api-keys-only"), waitText("private_key_jwt"),
				chromedp.WaitVisible(chromedp.Search(`//button[@aria-label="Delete resource server api-keys-only"]`)))
			var rotateJWT int
			b.eval(`document.querySelectorAll('button[aria-label="Rotate secret of resource server api-keys-only"]').length`, &rotateJWT)
			if rotateJWT != 0 {
				t.Fatal("a private_key_jwt resource server offers a secret rotation")
			}

			// Deleted after a confirmation; cancelling keeps it.
			del := chromedp.Search(`//button[@aria-label="Delete resource server mcp-prod"]`)
			b.do("delete cancelled", chromedp.Click(del), waitText("Delete resource server"), chromedp.Click(dialogButton("Cancel")))
			if n := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/resource-servers", "")["total"]; n != float64(2) {
				t.Fatalf("after a cancelled delete: %v resource servers", n)
			}
			b.do("delete", chromedp.Click(del), chromedp.Click(dialogButton("Delete")), waitText("Resource server mcp-prod deleted."),
				chromedp.Poll[chromedp.Void](`!document.querySelector("#page tbody").innerText.includes("mcp-prod")`))
			if got := feed(clientID, rotated); got != 401 {
				t.Fatalf("the deleted resource server's credential: %d", got)
			}
			shot("resource-servers-after-delete")

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

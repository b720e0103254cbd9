package dashboard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
	"github.com/sharkauth/serverless/shared/dashboard"
)

// serveStack serves every function of template.yaml through the local
// runner on httptest, as `shark serve` does.
func serveStack(t *testing.T) (string, *app.FirstBoot) {
	t.Helper()
	st := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	return st.URL, st.Boot
}

// TestServedByTheStack checks the dashboard's routes through the runner and
// the admin function: its own CSP on its files, the API's strict one kept.
func TestServedByTheStack(t *testing.T) {
	url, boot := serveStack(t)
	cases := []struct {
		name, path, key string
		status          int
		csp             string
	}{
		{"page", "/", "", 200, dashboard.CSP},
		{"script", "/dashboard/app.js", "", 200, dashboard.CSP},
		{"unknown asset", "/dashboard/nope.js", "", 404, "default-src 'none'; frame-ancestors 'none'"},
		{"api keeps its policy", "/api/v1/agents", boot.AdminKey, 200, "default-src 'none'; frame-ancestors 'none'"},
		{"api without key", "/api/v1/agents", "", 401, "default-src 'none'; frame-ancestors 'none'"},
		{"no dashboard under a path tenant", "/t/default/", "", 404, ""},
		{"not a page", "/index.html", "", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", url+c.path, nil)
			if c.key != "" {
				req.Header.Set("Authorization", "Bearer "+c.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status || (c.csp != "" && resp.Header.Get("Content-Security-Policy") != c.csp) {
				t.Fatalf("%d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
			}
		})
	}
}

// browser drives headless chromium. Chromium that cannot be found or
// started fails the test: `make test` installs it.
type browser struct {
	t        *testing.T
	ctx      context.Context
	shots    string
	mu       sync.Mutex
	dialogs  []string
	thrown   []string
	problems func() []string
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is required for the dashboard's browser test and was not found (%v): `make test` installs it with apt-get install chromium", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	b := &browser{t: t, ctx: bctx, shots: os.Getenv("SHARK_SCREENSHOTS")}
	if b.shots == "" {
		b.shots = filepath.Join("..", "..", "bin", "screenshots")
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// Subscribing starts the browser: a chromium that cannot start fails here.
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	thrown := chromedp.Events(bctx, runtime.ExceptionThrown)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("chromium (%s) did not start: %v", path, err)
	}
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	go func() {
		for ev, err := range thrown {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.thrown = append(b.thrown, (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
			b.mu.Unlock()
		}
	}()
	// CSP violations are recorded by the page itself, from before its
	// first script runs (a CDP script, which the page's CSP does not cover).
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.text())
	}
}

func (b *browser) eval(js string, out any) {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[json.RawMessage](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	if err := json.Unmarshal(v, out); err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
}

func (b *browser) text() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// shot saves a full-page screenshot as <name>.png, after checking that
// the page shows no JavaScript value that leaked into text.
func (b *browser) shot(name string) string {
	b.t.Helper()
	var leaked string
	b.eval(`(() => { const p = document.getElementById("page").cloneNode(true); p.querySelectorAll("pre").forEach(e => e.remove());
		const m = p.textContent.match(/\bnull\b|\bundefined\b|\[object Object\]|\bNaN\b/); return m ? m[0] : ""; })()`, &leaked)
	if leaked != "" && !strings.HasPrefix(name, "failed-") {
		b.t.Errorf("page %s shows %q", name, leaked)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
	return path
}

// waitText waits until the page shows s.
func waitText(s string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(s)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.body.innerText.includes(%s)`, q), chromedp.WithPollingTimeout(20*time.Second))(ctx, t)
		if err != nil {
			err = fmt.Errorf("waiting for %q: %w", s, err)
		}
		return chromedp.Void{}, err
	}
}

// setValue sets a form control's value (as a user's typing leaves it).
func setValue(css, value string) chromedp.Action[chromedp.Void] {
	sel, _ := json.Marshal(css)
	v, _ := json.Marshal(value)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		ok, err := chromedp.Evaluate[bool](fmt.Sprintf(`(e => !!e && ((e.value = %s), e.value === %s))(document.querySelector(%s))`, v, v, sel))(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("could not set %s to %s", css, v)
		}
		return chromedp.Void{}, err
	}
}

// apiCall calls the admin API and decodes its 2xx JSON answer.
func apiCall(t *testing.T, url, key, method, path, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out
}

func button(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//button[normalize-space()=%q]`, text))
}

func dialogButton(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//dialog[@open]//button[normalize-space()=%q]`, text))
}

// TestDashboardInBrowser drives the dashboard in headless chromium: sign
// in, create an application and an agent (its secret shown once), revoke
// the agent, find the events in the audit log; an agent named like markup
// renders as text. A screenshot of each page goes to bin/screenshots.
func TestDashboardInBrowser(t *testing.T) {
	url, boot := serveStack(t)
	b := startBrowser(t)
	const evil = `<img src=x onerror=alert(1)>`

	// Sign in: a wrong key is refused with the server's message.
	b.do("open", chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#signin-key")))
	b.shot("signin")
	b.do("wrong key", chromedp.SendKeys(chromedp.CSS("#signin-key"), "sk_live_"+strings.Repeat("A", 43)),
		chromedp.Click(button("Sign in")), waitText("Sign-in failed: invalid API key"))
	b.do("sign in", setValue("#signin-key", ""), chromedp.SendKeys(chromedp.CSS("#signin-key"), boot.AdminKey),
		chromedp.Click(button("Sign in")), chromedp.WaitVisible(chromedp.CSS("#nav")), waitText("Get started: ship agents to your customers"))
	b.shot("welcome")

	// The key is in sessionStorage only: not in the URL, a cookie or localStorage.
	var where struct {
		Session, Cookie, Href string
		Local                 int
	}
	b.eval(`({session: sessionStorage.getItem("shark.adminKey"), cookie: document.cookie, href: location.href, local: localStorage.length})`, &where)
	if where.Session != boot.AdminKey || where.Cookie != "" || where.Local != 0 || strings.Contains(where.Href, "sk_live") {
		t.Fatalf("key storage: %+v", where)
	}

	// Applications → New Application: the dialog shows the app_ id.
	b.do("new application", chromedp.Navigate(url+"/#/apps"), chromedp.Click(button("New Application")),
		chromedp.SendKeys(chromedp.CSS("#dialog input"), "my-saas-backend"), chromedp.Click(dialogButton("Create application")),
		waitText("Application created."))
	var appID string
	b.eval(`document.querySelector("#dialog dd code").textContent`, &appID)
	if !strings.HasPrefix(appID, "app_") {
		t.Fatalf("application id %q", appID)
	}
	b.shot("new-application")
	b.do("close dialog", chromedp.Click(dialogButton("Done")), waitText(appID))
	b.shot("applications")

	// Agents → New agent: the secret is shown once, with a copy button.
	createAgent := func(name string) (secret, clientID string) {
		b.do("new agent "+name, chromedp.Navigate(url+"/#/agents"), chromedp.Click(button("New agent")),
			chromedp.SendKeys(chromedp.CSS("#dialog input[type=text]"), name), setValue("#dialog select", appID),
			chromedp.Click(dialogButton("Create agent")), waitText("Agent created."))
		b.eval(`document.querySelector("#dialog .secret code").textContent`, &secret)
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
			t.Fatalf("secret %q", secret)
		}
		b.eval(`[...document.querySelectorAll("#dialog dd code")].map(c => c.textContent).find(t => t.startsWith("shark_agent_")) || ""`, &clientID)
		return secret, clientID
	}
	secret, clientID := createAgent("a1")
	var copyButton bool
	b.eval(`!!document.evaluate('//dialog[@open]//button[normalize-space()="Copy"]', document, null, 9, null).singleNodeValue`, &copyButton)
	if !copyButton {
		t.Fatal("no copy button next to the secret")
	}
	b.shot("new-agent-secret")
	b.do("close", chromedp.Click(dialogButton("Done")))
	createAgent(evil)
	b.do("close", chromedp.Click(dialogButton("Done")), waitText("a1"), waitText(evil))
	b.shot("agents-created")

	// The markup-like name is text: no image element, no dialog, shown literally.
	var rendered struct {
		Literal bool
		Images  int
	}
	b.eval(fmt.Sprintf(`({literal: [...document.querySelectorAll("#page a")].some(a => a.textContent === %q), images: document.querySelectorAll("#page img, #page [onerror]").length})`, evil), &rendered)
	if !rendered.Literal || rendered.Images != 0 {
		t.Fatalf("the agent name was not rendered as text: %+v", rendered)
	}
	if strings.Contains(b.text(), secret) {
		t.Fatal("the secret is still on the page after its dialog closed")
	}

	// Search and filter.
	// Search by a part of the markup-like name: "<" cannot occur in an id or
	// client_id (the search also matches those), so exactly one row is left.
	b.do("search", chromedp.SendKeys(chromedp.CSS(`#page input[type=search]`), "<img"), chromedp.Click(button("Apply")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll("#page tbody tr").length === 1 && document.querySelector("#page tbody a").textContent === %q`, evil),
			chromedp.WithPollingTimeout(20*time.Second)))

	// Agent detail: its token, then revoke it.
	form := "grant_type=client_credentials&client_id=" + clientID + "&client_secret=" + secret
	resp, err := http.Post(url+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token for a1: %v %v", resp, err)
	}
	resp.Body.Close()
	tokenState := func(state string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//tbody//td/span[normalize-space()=%q]`, state)))
	}
	b.do("open agent", setValue("#page input[type=search]", ""), chromedp.Click(button("Apply")), chromedp.Click(chromedp.Search(`//a[normalize-space()="a1"]`)), waitText("Tokens"), tokenState("active"))
	// A revoke-all leaves the agent active and its token revoked: the row
	// shows the server's decision, not revoked_at (which it does not set).
	b.do("revoke all tokens", chromedp.Click(button("Revoke all tokens")), chromedp.Click(dialogButton("Revoke tokens")),
		tokenState("revoked (all tokens revoked)"))
	b.do("revoke", chromedp.Click(button("Revoke agent")), chromedp.Click(dialogButton("Revoke agent")),
		waitText("Agent revoked"), chromedp.WaitVisible(chromedp.Search(`//h1//span[normalize-space()="revoked"]`)),
		waitText("inactive (agent revoked)"))
	b.shot("agent-detail")

	// The other agent's detail: its name as text in the heading; rotate
	// its secret (the new one shown once) and its DPoP key.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: key.Public()})
	b.do("open the other agent", chromedp.Navigate(url+"/#/agents"), chromedp.Click(chromedp.Search(fmt.Sprintf(`//a[normalize-space()=%q]`, evil))),
		waitText("Agent "+evil), chromedp.Click(button("Rotate secret")), chromedp.Click(dialogButton("Rotate")), waitText("New secret"))
	var rotated string
	b.eval(`document.querySelector("#page .secret code").textContent`, &rotated)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(rotated) {
		t.Fatalf("rotated secret %q", rotated)
	}
	b.do("rotate dpop key", chromedp.Click(button("Rotate DPoP key")), setValue("#dialog textarea", string(jwk)),
		chromedp.Click(dialogButton("Rotate key")), waitText("DPoP key rotated: new jkt"),
		chromedp.Poll[chromedp.Void](`!document.body.innerText.includes("none registered")`, chromedp.WithPollingTimeout(20*time.Second)))
	b.shot("agent-rotated")
	b.do("bad jwk", chromedp.Click(button("Rotate DPoP key")), setValue("#dialog textarea", `{"kty":"oct","k":"c2VjcmV0"}`),
		chromedp.Click(dialogButton("Rotate key")), waitText("private member"), chromedp.Click(dialogButton("Cancel")))

	// Users: create one; an agent acting for the user (made by the customer's
	// backend over the API); cascade revoke, the revoked agent shown.
	b.do("users", chromedp.Navigate(url+"/#/users"), chromedp.SendKeys(chromedp.CSS(`#page input[type=email]`), "alice@example.com"),
		chromedp.Click(button("Create user")), waitText("alice@example.com"))
	var userID string
	b.eval(`[...document.querySelectorAll("#page td code")].map(c => c.textContent).find(t => t.startsWith("usr_")) || ""`, &userID)
	aliceAgent := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/agents", `{"name":"agent-alice","created_by":"`+userID+`"}`)["id"].(string)
	b.do("cascade", chromedp.Click(button("Revoke agents")), chromedp.Click(dialogButton("Revoke agents")), waitText("Agents revoked"),
		waitText(aliceAgent), waitText("Audit event"))
	b.shot("users")
	b.do("agents", chromedp.Navigate(url+"/#/agents"), waitText("agent-alice"), waitText("revoked"))
	b.shot("agents") // docs/img/agents.png

	// Audit log: the events of what we did, with their detail.
	b.do("audit", chromedp.Navigate(url+"/#/audit"), waitText("app.created"), waitText("agent.created"), waitText("agent.deactivated"),
		waitText("user.agents_revoked"))
	b.shot("audit")
	b.do("event detail", chromedp.Click(chromedp.Search(`//button[normalize-space()="agent.deactivated"]`)), waitText("Metadata"))
	b.do("filter", chromedp.SendKeys(chromedp.CSS(`#page form input`), "app.created"), chromedp.Click(button("Apply")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#page tbody tr").length === 1`, chromedp.WithPollingTimeout(20*time.Second)))
	b.shot("audit-detail")

	// Live tail: an event made elsewhere appears without reloading.
	b.do("live tail", setValue("#page form input", ""), chromedp.Click(button("Apply")),
		chromedp.Click(chromedp.CSS(`#page input[type=checkbox]`)))
	apiCall(t, url, boot.AdminKey, "POST", "/api/v1/admin/apps", `{"name":"tailed-app"}`)
	b.do("tailed", chromedp.Poll[chromedp.Void](`document.querySelectorAll("#page tbody tr").length >= 2 && document.querySelector("#page tbody tr").innerText.includes("app.created")`, chromedp.WithPollingTimeout(20*time.Second)))

	// Signing keys: states, and a scheduled rotation.
	b.do("signing keys", chromedp.Navigate(url+"/#/keys"), waitText("current"), chromedp.Click(button("Rotate (scheduled)")),
		chromedp.Click(dialogButton("Rotate")), waitText("next"))
	b.shot("signing-keys")

	// First-run page with the real ids filled in.
	b.do("welcome", chromedp.Navigate(url+"/#/welcome"), waitText("has the Application ID"), waitText(url+"/.well-known/jwks.json"))
	var snippets string
	b.eval(`[...document.querySelectorAll("#page pre")].map(p => p.textContent).join("\n")`, &snippets)
	for _, re := range []string{`base_url="` + regexp.QuoteMeta(url) + `"`, `app_id="app_[A-Za-z0-9_-]{21}"`, `client_id="shark_agent_[A-Za-z0-9_-]{21}"`, `revoke_agents\("usr_[A-Za-z0-9_-]+"`} {
		if !regexp.MustCompile(re).MatchString(snippets) {
			t.Errorf("the guide's snippets lack %s:\n%s", re, snippets)
		}
	}
	b.shot("welcome-filled")

	// Phone width: the agents page fits (tables scroll inside their frame).
	b.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(url+"/#/agents"), waitText("a1"))
	var overflow bool
	b.eval(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow)
	b.shot("agents-phone")
	if overflow {
		t.Error("the agents page scrolls sideways at phone width")
	}

	// Sign out forgets the key.
	b.do("desktop", chromedp.EmulateViewport(1280, 900), chromedp.Click(button("Sign out")), chromedp.WaitVisible(chromedp.CSS("#signin-key")))
	var left string
	b.eval(`sessionStorage.getItem("shark.adminKey") || ""`, &left)
	if left != "" {
		t.Fatal("the key survived sign-out")
	}

	var csp []string
	b.eval(`window.__csp`, &csp)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 || len(b.thrown) > 0 || len(csp) > 0 {
		t.Fatalf("dialogs %q, exceptions %q, CSP violations %q", b.dialogs, b.thrown, csp)
	}
}

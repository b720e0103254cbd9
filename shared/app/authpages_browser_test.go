package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
)

// The authorize function's pages in headless chromium, at a phone's width
// and a desktop's, served by the whole stack (the local runner through the
// HTTP handler): every page (login, a refused login, consent, an error)
// forbids framing (CSP frame-ancestors 'none' and X-Frame-Options) and the
// browser indeed does not render it in a frame of another page; a form
// posted with a wrong or missing CSRF token, or forged on another page, is
// refused with nothing done; a wrong password and an unknown user get the
// same message; a denied consent sends the browser back to the client with
// error=access_denied, the state and iss (RFC 9207). Chromium that cannot
// start fails the test (`make test` installs it).
func TestAuthorizePagesInABrowser(t *testing.T) {
	st := apptest.Serve(t, apptest.Config(t, ""), app.Options{})
	chrome := startChromium(t)

	// The client's redirect target: a loopback page that records what the
	// browser brings back.
	var mu sync.Mutex
	var back []url.Values
	client := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cb" {
			mu.Lock()
			back = append(back, r.URL.Query())
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>client</title><p id="client">back at the client</p>`)
	}))
	t.Cleanup(client.Close)
	returns := func() []url.Values {
		mu.Lock()
		defer mu.Unlock()
		return append([]url.Values(nil), back...)
	}
	// Another site's pages: one framing a URL, one posting a forged form.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		q := r.URL.Query()
		switch r.URL.Path {
		case "/frame":
			fmt.Fprintf(w, `<!doctype html><title>framing</title><iframe id="f" name="f" src="%s" width="400" height="600"></iframe>`, html.EscapeString(q.Get("src")))
		case "/forge":
			fmt.Fprintf(w, `<!doctype html><title>forged</title><form method="post" action="%s"><input type="hidden" name="step" value="%s">`+
				`<input type="hidden" name="decision" value="allow"><input type="hidden" name="csrf" value="guessed">`+
				`<input type="hidden" name="request" value="%s"><input type="hidden" name="email" value="%s"><input type="hidden" name="password" value="%s">`+
				`<button id="go" type="submit">Win a prize</button></form>`,
				html.EscapeString(st.URL+"/oauth/authorize"), html.EscapeString(q.Get("step")), html.EscapeString(q.Get("request")),
				html.EscapeString(q.Get("email")), html.EscapeString(q.Get("password")))
		}
	}))
	t.Cleanup(other.Close)

	api := func(method, path, body string, status int) map[string]any {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, st.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+st.Boot.AdminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if resp.StatusCode != status || json.Unmarshal(b, &m) != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return m
	}
	redirect := client.URL + "/cb"
	reg := api("POST", "/oauth/register", `{"client_name":"Pages Test Client","redirect_uris":["`+redirect+`"],"token_endpoint_auth_method":"none",`+
		`"grant_types":["authorization_code","refresh_token"],"scope":"mcp:read","application_type":"native"}`, 201)
	clientID := reg["client_id"].(string)

	for _, vp := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		t.Run(vp.name, func(t *testing.T) {
			b := chrome.tab(t, vp.width, vp.height, vp.mobile)
			email := "ann-" + vp.name + "@example.com"
			const pw = "correct horse battery staple"
			user := api("POST", "/api/v1/admin/users", `{"email":"`+email+`","name":"Ann"}`, 201)
			api("POST", "/api/v1/users/"+user["id"].(string)+"/password", `{"password":"`+pw+`"}`, 200)

			sum := sha256.Sum256([]byte(strings.Repeat("v", 50)))
			state := "state-" + vp.name
			authURL := st.URL + "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
				"state": {state}, "scope": {"mcp:read"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
				"code_challenge_method": {"S256"}}.Encode()

			// The login page: unframeable, fits the screen.
			b.open("login page", 200, authURL)
			b.do("the login form", chromedp.WaitVisible("#email"), chromedp.WaitVisible("#password"))
			b.fits("login page")
			b.shot("authorize-" + vp.name + "-login")

			// CSRF: a wrong token, then none, then a form forged on another
			// page: each refused (403, an unframeable page), no session made.
			login := func(emailValue, pwValue string) chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.SetValue("#email", emailValue), chromedp.SetValue("#password", pwValue), chromedp.Click(`button[type=submit]`))
			}
			b.do("forge the token", chromedp.SetAttributeValue(`input[name=csrf]`, "value", "forged-token"))
			b.page("a login with a wrong CSRF token", 403, login(email, pw))
			b.wantText("The form expired or was not sent by this page")
			b.open("login page again", 200, authURL)
			b.do("drop the token", chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=csrf]').remove()`))
			b.page("a login without a CSRF token", 403, login(email, pw))
			b.wantText("The form expired or was not sent by this page")
			b.open("login page again", 200, authURL)
			request := b.value(`input[name=request]`)
			b.open("another site's page", 200, other.URL+"/forge?"+url.Values{"step": {"login"}, "request": {request},
				"email": {email}, "password": {pw}}.Encode())
			b.page("a login forged on another site", 403, chromedp.Click("#go"))
			b.open("still signed out", 200, authURL)
			b.do("the login form after the refusals", chromedp.WaitVisible("#password"))

			// A wrong password and an unknown user: the same message.
			b.page("a wrong password", 401, login(email, "not the password"))
			wrong := b.text(".error")
			b.do("the login form after a wrong password", chromedp.WaitVisible("#password"))
			b.page("an unknown user", 401, login("nobody-"+vp.name+"@example.com", pw))
			unknown := b.text(".error")
			if wrong == "" || wrong != unknown {
				t.Fatalf("a wrong password says %q, an unknown user %q", wrong, unknown)
			}
			b.shot("authorize-" + vp.name + "-wrong-password")

			// Signed in: the consent page names the client and where the
			// code goes.
			b.page("consent page", 200, login(email, pw))
			b.do("the consent form", chromedp.WaitVisible(`button[value=allow]`), chromedp.WaitVisible(`button[value=deny]`))
			b.wantText("Pages Test Client")
			b.wantText(strings.TrimPrefix(client.URL, "http://"))
			b.fits("consent page")
			b.shot("authorize-" + vp.name + "-consent")
			// A consent forged on another site is refused: no code.
			request = b.value(`input[name=request]`)
			returned := len(returns())
			b.open("another site's page", 200, other.URL+"/forge?"+url.Values{"step": {"consent"}, "request": {request}}.Encode())
			b.page("a consent forged on another site", 403, chromedp.Click("#go"))
			b.wantText("The form expired or was not sent by this page")
			if got := returns(); len(got) != returned {
				t.Fatalf("the forged consent reached the client: %v", got[returned:])
			}

			// No page renders in another site's frame: the login page (a
			// fresh browser would get it), the consent page (this one's
			// session), an error page; a page that allows framing does
			// render there, so the check sees a frame's content.
			b.open("consent page again", 200, authURL)
			errURL := st.URL + "/oauth/authorize?client_id=nobody&response_type=code"
			b.open("an error page", 400, errURL)
			b.wantText("This request cannot continue")
			for _, src := range []string{authURL, errURL, st.URL + "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {clientID},
				"redirect_uri": {redirect}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
				"prompt": {"login"}}.Encode()} {
				if b.framed(other.URL+"/frame?src="+url.QueryEscape(src), src) {
					t.Fatalf("%s rendered inside another site's frame", src)
				}
			}
			if !b.framed(other.URL+"/frame?src="+url.QueryEscape(client.URL+"/framable"), client.URL+"/framable") {
				t.Fatal("a page that allows framing did not render in the frame: the framing check sees nothing")
			}

			// Deny: back at the client with access_denied, the state and iss.
			b.open("consent page again", 200, authURL)
			before := len(returns())
			b.do("deny", chromedp.Click(`button[value=deny]`), chromedp.WaitVisible("#client"))
			loc, err := chromedp.Run(b.ctx, chromedp.Location())
			if err != nil || !strings.HasPrefix(loc, redirect+"?") {
				t.Fatalf("after deny the browser is at %q (%v)", loc, err)
			}
			got := returns()
			if len(got) != before+1 {
				t.Fatalf("%d returns to the client, want %d", len(got), before+1)
			}
			q := got[len(got)-1]
			if q.Get("error") != "access_denied" || q.Get("state") != state || q.Get("iss") != st.URL || q.Get("code") != "" {
				t.Fatalf("denied consent came back with %v (issuer %s)", q, st.URL)
			}
		})
	}
}

// chromium is one headless browser; each tab() is a fresh browser context
// (its own cookies) with a viewport.
type chromium struct {
	ctx   context.Context
	shots string
}

func startChromium(t *testing.T) *chromium {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is required for the authorize pages' browser test and was not found (%v): `make test` installs it with apt-get install chromium", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("chromium (%s) did not start: %v", path, err)
	}
	shots := os.Getenv("SHARK_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join("..", "..", "bin", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &chromium{ctx: bctx, shots: shots}
}

type tab struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

func (c *chromium) tab(t *testing.T, width, height int64, mobile bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	vp := chromedp.EmulateViewport(width, height)
	if mobile {
		vp = chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateScale(3))
	}
	// The first action opens the tab: it runs on the tab's own context (a
	// shorter one would close the tab when it ends).
	if err := chromedp.Do(ctx, vp); err != nil {
		t.Fatalf("a tab at %dx%d: %v", width, height, err)
	}
	return &tab{t: t, ctx: ctx, shots: c.shots}
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.body())
	}
}

// open navigates to u, a page of the authorize function (or another
// site's), and checks it as page does.
func (b *tab) open(what string, status int64, u string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	b.check(what, status, resp, err)
}

// page runs steps that load a page of the authorize function (a form
// submitted) and checks its status and that it forbids framing.
func (b *tab) page(what string, status int64, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	b.check(what, status, resp, err)
}

func (b *tab) check(what string, status int64, resp *network.Response, err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.body())
	}
	if resp.Status != status {
		b.t.Fatalf("%s: status %d, want %d\npage text:\n%s", what, resp.Status, status, b.body())
	}
	if !strings.HasPrefix(resp.URL, "http://127.0.0.1") {
		b.t.Fatalf("%s: at %s", what, resp.URL)
	}
	if strings.Contains(resp.URL, "/oauth/authorize") {
		csp, xfo := header(resp.Headers, "Content-Security-Policy"), header(resp.Headers, "X-Frame-Options")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.EqualFold(xfo, "DENY") {
			b.t.Fatalf("%s: CSP %q, X-Frame-Options %q: the page may be framed", what, csp, xfo)
		}
	}
}

func header(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

func (b *tab) body() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

func (b *tab) wantText(s string) {
	b.t.Helper()
	if body := b.body(); !strings.Contains(body, s) {
		b.t.Fatalf("the page does not say %q:\n%s", s, body)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("%s: %v\n%s", sel, err, b.body())
	}
	return strings.TrimSpace(s)
}

func (b *tab) value(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(sel))
	if err != nil {
		b.t.Fatalf("%s: %v", sel, err)
	}
	return s
}

// fits checks the page needs no sideways scrolling and its buttons are on
// screen (usable on a phone).
func (b *tab) fits(what string) {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth &&
		[...document.querySelectorAll("button, input:not([type=hidden])")].every(e => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth && r.width > 0; })`))
	if err != nil || !ok {
		b.t.Fatalf("%s does not fit a %s-wide screen (%v)", what, b.t.Name(), err)
	}
}

// framed loads the page at framer, whose iframe loads src, and reports
// whether src's document rendered in the frame (a frame chromium blocked
// shows its error page instead).
func (b *tab) framed(framer, src string) bool {
	b.t.Helper()
	b.do("framing page", chromedp.Navigate(framer), chromedp.WaitReady("#f"), chromedp.Sleep(500*time.Millisecond))
	tree, err := chromedp.Call(b.ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		b.t.Fatal(err)
	}
	if len(tree.FrameTree.ChildFrames) != 1 {
		b.t.Fatalf("%d frames in the framing page", len(tree.FrameTree.ChildFrames))
	}
	f := tree.FrameTree.ChildFrames[0].Frame
	return f.URL == src && f.UnreachableURL == ""
}

func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
}

// Command signin is the person at the browser in tests/e2e/test_mcp_clients.py:
// headless chromium (chromedp, as the dashboard's browser test drives it)
// opens the authorization URL an MCP client printed, signs in on the
// authorize function's login page, allows on the consent page, and lets the
// browser follow the redirect to the client's loopback callback. It exits 0
// once the browser shows the callback's page, and prints nothing secret.
//
//	signin -url AUTHORIZATION_URL -email E -password P -callback http://127.0.0.1:N/callback
//
// The password may come from SIGNIN_PASSWORD instead of the flag. Chromium
// is required (`make deps` installs it): its absence fails, never skips.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	authURL := flag.String("url", "", "the authorization URL the client printed")
	email := flag.String("email", "", "the user's email")
	password := flag.String("password", os.Getenv("SIGNIN_PASSWORD"), "the user's password (SIGNIN_PASSWORD)")
	callback := flag.String("callback", "", "the client's redirect URI; done when the browser lands there")
	shots := flag.String("screenshots", "", "directory for a screenshot of each page (optional)")
	flag.Parse()
	if *authURL == "" || *email == "" || *password == "" || *callback == "" {
		fmt.Fprintln(os.Stderr, "signin: -url, -email, -password (or SIGNIN_PASSWORD) and -callback are required")
		os.Exit(2)
	}
	if err := run(*authURL, *email, *password, *callback, *shots); err != nil {
		fmt.Fprintln(os.Stderr, "signin:", err)
		os.Exit(1)
	}
	fmt.Println("signed in and consented; the browser reached the callback")
}

func run(authURL, email, password, callback, shots string) error {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("chromium is required (`make deps` installs it): %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1000, 900), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	// The first action starts the browser, bound to bctx (not to a step's
	// shorter context, whose end would close it).
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("chromium (%s) did not start: %w", path, err)
	}
	shot := func(name string) {
		if shots == "" {
			return
		}
		if png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.MkdirAll(shots, 0o755)
			_ = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) error {
		sctx, scancel := context.WithTimeout(bctx, 30*time.Second)
		defer scancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			shot("failed-" + strings.ReplaceAll(what, " ", "-"))
			return fmt.Errorf("%s: %w\npage text:\n%s", what, err, text)
		}
		return nil
	}
	button := func(text string) chromedp.Search {
		return chromedp.Search(fmt.Sprintf(`//button[normalize-space()=%q]`, text))
	}
	if err := step("open the login page", chromedp.Navigate(authURL), chromedp.WaitVisible(chromedp.CSS("#password"))); err != nil {
		return err
	}
	shot("mcp-login")
	if err := step("sign in", chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(button("Sign in")), chromedp.WaitVisible(button("Allow"))); err != nil {
		return err
	}
	shot("mcp-consent")
	if err := step("allow", chromedp.Click(button("Allow"))); err != nil {
		return err
	}
	// The browser follows the redirect to the loopback callback. Evaluating
	// while it navigates fails; that is retried until the deadline.
	prefix, _ := json.Marshal(callback + "?")
	check := fmt.Sprintf(`location.href.startsWith(%s) && !!document.getElementById("done")`, prefix)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](check))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			return fmt.Errorf("the browser did not reach the callback (%v)\npage text:\n%s", err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
	shot("mcp-callback")
	return nil
}

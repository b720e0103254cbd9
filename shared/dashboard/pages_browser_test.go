package dashboard_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
	"github.com/sharkauth/serverless/shared/discovery"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestDashboardPagesInBrowser drives the operator pages at desktop and
// phone width: tenant settings (read with the admin key, changed only with
// a platform key), application detail, user detail (agents, consents,
// password, delete), admin keys (secret once, rotate, revoke), and the
// warnings that keep an operator from surprises (a pending signing key
// replaced, a DPoP key pinning the agent, Get started snippets that pass
// created_by and an audience). No page scrolls sideways at phone width.
func TestDashboardPagesInBrowser(t *testing.T) {
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			// The stack's clock is the real one plus a skew the test moves
			// forward (a scheduled signing key's promotion).
			var skew atomic.Int64
			st := apptest.Serve(t, apptest.Config(t, ""), app.Options{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
			pagesAt(t, st, vp.name, vp.w, vp.h, func(d time.Duration) { skew.Add(int64(d)) })
		})
	}
}

func pagesAt(t *testing.T, st *apptest.Stack, width string, w, h int64, advance func(time.Duration)) {
	url, boot := st.URL, st.Boot
	b := startBrowser(t)
	opts := []chromedp.EmulateViewportOption{}
	if width == "phone" {
		opts = append(opts, chromedp.EmulateMobile)
	}
	b.do("viewport", chromedp.EmulateViewport(w, h, opts...))
	shot := func(name string) {
		t.Helper()
		var overflow bool
		b.eval(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow)
		if overflow {
			t.Errorf("%s scrolls sideways at %s width", name, width)
		}
		b.shot(name + "-" + width)
	}
	const evil = `<img src=x onerror=alert(1)>`
	b.do("sign in", chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#signin-key")),
		setValue("#signin-key", boot.AdminKey), chromedp.Click(button("Sign in")), waitText("Get started: ship agents"))

	// Get started: the token and cancel steps are not done yet.
	var steps []bool
	stepsDone := `[...document.querySelectorAll("#page .steps > li")].map(li => li.classList.contains("done"))`
	b.eval(stepsDone, &steps)
	if len(steps) != 6 || steps[3] || steps[5] {
		t.Fatalf("steps done on a fresh tenant: %v", steps)
	}

	// Navigation: a Menu button at phone width (the links behind it),
	// the links themselves on a desktop.
	var nav struct{ Menu, Links bool }
	navState := `({menu: getComputedStyle(document.getElementById("menu")).display !== "none",
		links: document.querySelector('nav a[data-page="users"]').getBoundingClientRect().width > 0})`
	b.eval(navState, &nav)
	if width == "phone" {
		if !nav.Menu || nav.Links {
			t.Fatalf("phone navigation: %+v", nav)
		}
		b.do("menu", chromedp.Click(chromedp.CSS("#menu")), chromedp.WaitVisible(chromedp.CSS(`nav a[data-page="users"]`)))
		shot("menu")
		b.do("menu choice", chromedp.Click(chromedp.CSS(`nav a[data-page="users"]`)), waitText("New user"),
			chromedp.WaitNotVisible(chromedp.CSS(`nav a[data-page="users"]`)))
		if v, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("menu").getAttribute("aria-expanded")`)); v != "false" {
			t.Fatalf("menu after a choice: aria-expanded %q", v)
		}
	} else if nav.Menu || !nav.Links {
		t.Fatalf("desktop navigation: %+v", nav)
	}

	// Tenant settings: read with the admin key; saving without a platform
	// key says it needs one and changes nothing; with one, it is saved.
	b.do("settings", chromedp.Navigate(url+"/#/settings"), waitText("Tenant settings"), waitText("none: tokens carry aud = [client_id]"),
		waitText("Needs a platform key"))
	shot("settings")
	b.do("save without platform key", setValue(`#page input[type=url]`, "https://mcp.example.com"), chromedp.Click(button("Save settings")),
		waitText("paste a platform key"))
	if got := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/admin/tenant", "")["default_audience"]; got != "" {
		t.Fatalf("saved without a platform key: %v", got)
	}
	b.do("wrong platform key", setValue(`#page input[type=password]`, "sk_platform_"+strings.Repeat("A", 43)), chromedp.Click(button("Save settings")),
		waitText("invalid"), chromedp.WaitVisible(chromedp.CSS("#nav"))) // a refused platform key does not sign the admin out
	b.do("save with platform key", setValue(`#page input[type=url]`, "https://mcp.example.com"), setValue(`#page input[type=password]`, boot.PlatformKey),
		chromedp.Click(button("Save settings")), waitText("Settings saved."), waitText("https://mcp.example.com"))
	if got := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/admin/tenant", "")["default_audience"]; got != "https://mcp.example.com" {
		t.Fatalf("default_audience %v", got)
	}
	// Only the changed setting was sent: the DCR scopes the tenant never
	// set still follow the deployment's default.
	if tn, err := st.Env.Store.GetTenant(t.Context(), tenant.MustID("default")); err != nil || tn.DCRScopes != nil || tn.Scopes != nil {
		t.Fatalf("settings not changed were written: %+v %v", tn, err)
	}
	// The banner stays until the next action, which clears it.
	b.do("banner cleared", chromedp.Click(button("Save settings")), waitText("Nothing changed."),
		chromedp.WaitNotVisible(chromedp.CSS("#status")))
	var keyLeft string
	b.eval(`[...document.querySelectorAll("#page input")].map(i => i.value).join(" ") + JSON.stringify(sessionStorage)`, &keyLeft)
	if strings.Contains(keyLeft, boot.PlatformKey) {
		t.Fatal("the platform key is kept after the save")
	}

	// Application detail: rename, redirect URIs, rotate secret, its agents.
	appID := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/admin/apps", `{"name":"backend"}`)["id"].(string)
	user := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/users", `{"email":"alice@example.com"}`)["id"].(string)
	agent := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/agents", `{"name":"agent-alice","created_by":"`+user+`","metadata":{"app_id":"`+appID+`"}}`)
	b.do("apps", chromedp.Navigate(url+"/#/apps"), chromedp.Click(chromedp.Search(`//a[normalize-space()="backend"]`)), waitText("Application backend"),
		waitText("agent-alice"), waitText(appID))
	b.do("rename app", chromedp.Click(button("Rename")), setValue("#dialog input", evil), chromedp.Click(dialogButton("Save")),
		waitText("Application renamed."), waitText("Application "+evil))
	b.do("redirect uris", chromedp.Click(button("Edit redirect URIs")), setValue("#dialog textarea", "https://app.example.com/cb\nhttps://app.example.com/cb2"),
		chromedp.Click(dialogButton("Save")), waitText("Redirect URIs saved."), waitText("https://app.example.com/cb2"))
	b.do("bad redirect uri", chromedp.Click(button("Edit redirect URIs")), setValue("#dialog textarea", "not a uri#x"),
		chromedp.Click(dialogButton("Save")), waitText("redirect_uris[0]"), chromedp.Click(dialogButton("Cancel")))
	b.do("rotate app secret", chromedp.Click(button("Rotate secret")), chromedp.Click(dialogButton("Rotate")), waitText("New secret"))
	var images int
	b.eval(`document.querySelectorAll("#page img").length`, &images)
	if images != 0 {
		t.Fatal("the application's markup-like name became markup")
	}
	shot("application")

	// Agents: the created-by column and filter, the application's name.
	agentNobody := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/agents", `{"name":"agent-nobody"}`)["id"].(string)
	b.do("agents by user", chromedp.Navigate(url+"/#/agents"), waitText("agent-nobody"), waitText("alice@example.com"),
		setValue("#page form > div:nth-of-type(4) select", user), chromedp.Click(button("Apply")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#page tbody tr").length === 1 && document.querySelector("#page tbody").innerText.includes("agent-alice")`,
			chromedp.WithPollingTimeout(20*time.Second)))
	shot("agents")
	// Rows are cards at phone width, a table on a desktop; an id does not
	// wrap every few characters (one line box, the card being wide enough).
	var layout struct {
		Head  string
		Lines int
	}
	b.eval(`({head: getComputedStyle(document.querySelector("#page thead")).display,
		lines: document.querySelector("#page tbody td code").getClientRects().length})`, &layout)
	if (width == "phone") != (layout.Head == "none") || layout.Lines != 1 {
		t.Fatalf("agents layout at %s width: %+v", width, layout)
	}
	// Agent detail: the application by name, created by a user; edit it,
	// revoke one of its tokens with a reason, its audit tab.
	aliceID, aliceClient := agent["id"].(string), agent["client_id"].(string)
	for range 2 {
		resp, err := http.Post(url+"/oauth/token", "application/x-www-form-urlencoded",
			strings.NewReader("grant_type=client_credentials&client_id="+aliceClient+"&client_secret="+agent["client_secret"].(string)))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("token: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	b.do("agent detail", chromedp.Click(chromedp.Search(`//a[normalize-space()="agent-alice"]`)), waitText("Agent agent-alice"),
		chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//dd/a[normalize-space()=%q]`, evil))), waitText(user))
	b.do("edit agent", chromedp.Click(button("Edit")), setValue("#dialog input", "agent-alice-2"),
		setValue("#dialog form > div:nth-of-type(2) input", "mcp:read"),
		setValue("#dialog form > div:nth-of-type(3) textarea", "https://mcp.example.com"),
		setValue("#dialog form > div:nth-of-type(4) textarea", "https://app.example.com/agent-cb"),
		chromedp.Click(dialogButton("Save")), waitText("Agent saved."), waitText("Agent agent-alice-2"), waitText("https://app.example.com/agent-cb"))
	got := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/agents/"+aliceID, "")
	if fmt.Sprint(got["scopes"], got["audiences"], got["redirect_uris"]) != "[mcp:read] [https://mcp.example.com] [https://app.example.com/agent-cb]" {
		t.Fatalf("edited agent: %v", got)
	}
	b.do("revoke one token", chromedp.Click(chromedp.Search(`(//button[starts-with(@aria-label, "Revoke token ")])[1]`)),
		setValue("#dialog input", "leaked in a log"), chromedp.Click(dialogButton("Revoke token")), waitText("Token revoked."),
		chromedp.WaitVisible(chromedp.Search(`//tbody//td/span[normalize-space()="revoked"]`)),
		chromedp.WaitVisible(chromedp.Search(`//tbody//td/span[normalize-space()="active"]`))) // the other token
	b.do("agent audit tab", chromedp.Click(chromedp.Search(`//button[@role="tab"][normalize-space()="Audit"]`)), waitText("oauth.token_issued"),
		waitText("agent.updated"), waitText("admin key first admin key"))
	shot("agent")
	ev := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/audit-logs?event=oauth.token_revoked", "")["data"].([]any)
	if len(ev) != 1 || !strings.Contains(fmt.Sprint(ev[0]), "leaked in a log") {
		t.Fatalf("token revoke event: %v", ev)
	}
	b.do("revoke all with a reason", chromedp.Click(button("Revoke all tokens")), setValue("#dialog input", "rotating credentials"),
		chromedp.Click(dialogButton("Revoke tokens")), waitText("Revoked 1 token(s)"))
	ev = apiCall(t, url, boot.AdminKey, "GET", "/api/v1/audit-logs?event=agent.tokens_revoked", "")["data"].([]any)
	if len(ev) != 1 || !strings.Contains(fmt.Sprint(ev[0]), "rotating credentials") {
		t.Fatalf("revoke-all event: %v", ev)
	}

	// Audit log: admin keys by name as actors; filtered by target, exported.
	dir := t.TempDir()
	if _, err := chromedp.Call(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	b.do("audit by target", chromedp.Navigate(url+"/#/audit"), waitText("admin key first admin key"),
		setValue("#page form > div:nth-of-type(3) input", aliceClient), chromedp.Click(button("Apply")),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll("#page tbody tr")].length > 0 && [...document.querySelectorAll("#page tbody tr")].every(r => r.innerText.includes("agent."))`,
			chromedp.WithPollingTimeout(20*time.Second)))
	shot("audit")
	for _, format := range []string{"CSV", "NDJSON"} {
		b.do("export "+format, chromedp.Click(button("Export "+format)), waitText("Export downloaded ("+format))
	}
	var csvFile, ndjson string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && (csvFile == "" || ndjson == ""); time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "audit-*"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.HasSuffix(f, ".csv") {
				csvFile = string(b)
			} else if err == nil && strings.HasSuffix(f, ".ndjson") {
				ndjson = string(b)
			}
		}
	}
	if !strings.HasPrefix(csvFile, "id,") || !strings.Contains(csvFile, "agent.updated") || !strings.Contains(ndjson, `"agent.updated"`) ||
		strings.Contains(csvFile, "app.created") || strings.Contains(ndjson, "app.created") {
		t.Fatalf("exports (filtered by target %s):\n%s\n%s", aliceClient, csvFile, ndjson)
	}

	// User detail: their agent, a consent (revoked), set a password, delete.
	now := st.Env.Store.Now()
	root := tenant.MustID("default")
	if err := st.Env.Store.GrantConsent(t.Context(), root, store.Consent{UserID: user, ClientID: "https://claude.example/client.json",
		RedirectURI: "https://claude.example/cb", Scopes: []string{"mcp:read"}, Resources: []string{"https://mcp.example.com"}, CreatedAt: now, UpdatedAt: now},
		store.AuditEvent{ID: ids.New("aud_"), Event: "consent.granted", ActorType: "user", ActorID: user, Status: "success", Metadata: map[string]any{}, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	b.do("user detail", chromedp.Navigate(url+"/#/users"), chromedp.Click(chromedp.Search(`//a[normalize-space()="alice@example.com"]`)),
		waitText("User alice@example.com"), waitText("agent-alice"), waitText("https://claude.example/client.json"), waitText("none (cannot sign in)"))
	shot("user")
	b.do("revoke consent", chromedp.Click(button("Revoke consent")), chromedp.Click(dialogButton("Revoke consent")), waitText("Consent revoked."),
		waitText("No consent"))
	b.do("set password", chromedp.Click(button("Set password")), chromedp.Click(dialogButton("Set password")), waitText("Type a password."),
		setValue("#dialog input[type=password]", "correct horse battery"), chromedp.Click(dialogButton("Set password")),
		waitText("Password set for alice@example.com."), waitText("set (signs in at the authorize page)"))
	if strings.Contains(b.text(), "correct horse") {
		t.Fatal("the password is on the page")
	}
	// Revoke agents asks for a reason, which lands in the audit event.
	b.do("revoke agents", chromedp.Click(button("Revoke agents")), setValue("#dialog input", "customer cancelled plan"),
		chromedp.Click(dialogButton("Revoke agents")), waitText("Agents revoked"), waitText(agent["id"].(string)), chromedp.Click(dialogButton("Done")))
	ev = apiCall(t, url, boot.AdminKey, "GET", "/api/v1/audit-logs?event=user.agents_revoked", "")["data"].([]any)
	if len(ev) != 1 || !strings.Contains(fmt.Sprint(ev[0]), "customer cancelled plan") {
		t.Fatalf("revoke event: %v", ev)
	}
	// Revoking one agent asks for a reason too.
	b.do("revoke agent", chromedp.Navigate(url+"/#/agents/"+agentNobody), waitText("Agent agent-nobody"), chromedp.Click(button("Revoke agent")),
		setValue("#dialog input", "unused"), chromedp.Click(dialogButton("Revoke agent")), waitText("Agent revoked"))
	ev = apiCall(t, url, boot.AdminKey, "GET", "/api/v1/audit-logs?event=agent.deactivated&target_id="+agentNobody, "")["data"].([]any)
	if len(ev) != 1 || !strings.Contains(fmt.Sprint(ev[0]), "unused") {
		t.Fatalf("agent revoke event: %v", ev)
	}
	b.do("back to the user", chromedp.Navigate(url+"/#/users/"+user), waitText("User alice@example.com"))
	b.do("delete user", chromedp.Click(button("Delete user")), chromedp.Click(dialogButton("Delete user")), waitText("User alice@example.com deleted."),
		chromedp.Poll[chromedp.Void](`location.hash === "#/users" && !document.querySelector("#page").innerText.includes("alice@example.com")`, chromedp.WithPollingTimeout(20*time.Second)))

	// Admin keys: create one with scopes (shown once), rotate, revoke.
	b.do("admin keys", chromedp.Navigate(url+"/#/api-keys"), waitText("Admin keys"), chromedp.Click(button("New admin key")),
		setValue("#dialog input", "ci-deploy"), chromedp.Click(dialogButton("Create key")), waitText("Admin key created."))
	var secret string
	b.eval(`document.querySelector("#dialog .secret code").textContent`, &secret)
	if !strings.HasPrefix(secret, "sk_live_") {
		t.Fatalf("new key %q", secret)
	}
	apiCall(t, url, secret, "GET", "/api/v1/agents", "") // it works
	b.do("close", chromedp.Click(dialogButton("Done")), waitText("ci-deploy"))
	if strings.Contains(b.text(), secret) {
		t.Fatal("the key is still on the page after its dialog closed")
	}
	shot("admin-keys")
	b.do("rotate key", chromedp.Click(chromedp.Search(`//button[@aria-label="Rotate admin key ci-deploy"]`)), chromedp.Click(dialogButton("Rotate")),
		waitText("New key made"))
	var rotated string
	b.eval(`document.querySelector("#dialog .secret code").textContent`, &rotated)
	if !strings.HasPrefix(rotated, "sk_live_") || rotated == secret {
		t.Fatalf("rotated key %q", rotated)
	}
	b.do("close", chromedp.Click(dialogButton("Done")), chromedp.Poll[chromedp.Void](
		`[...document.querySelectorAll("#page tbody tr")].filter(r => r.innerText.includes("ci-deploy")).length === 2`, chromedp.WithPollingTimeout(20*time.Second)))
	b.do("revoke key", chromedp.Click(chromedp.Search(`//button[@aria-label="Revoke admin key ci-deploy"]`)), chromedp.Click(dialogButton("Revoke key")),
		waitText("Admin key ci-deploy revoked."), chromedp.WaitVisible(chromedp.Search(`//td/span[normalize-space()="revoked"]`)))
	b.do("scoped key", chromedp.Click(button("New admin key")), setValue("#dialog input", "reader"),
		setValue("#dialog form > div:nth-of-type(2) input", "introspect"),
		chromedp.Click(dialogButton("Create key")), waitText("Admin key created."), waitText("introspect"), chromedp.Click(dialogButton("Done")))

	// Signing keys: a second scheduled rotation says it replaces the pending key.
	b.do("first rotation", chromedp.Navigate(url+"/#/keys"), waitText("current"), chromedp.Click(button("Rotate (scheduled)")),
		chromedp.Click(dialogButton("Rotate")), waitText("current after"))
	b.do("second rotation", chromedp.Click(button("Rotate (scheduled)")), waitText("is already pending"), chromedp.Click(dialogButton("Cancel")))
	// Once the next key has been in the JWKS for its cache lifetime it is
	// current; the old key is listed as retired, in the JWKS until a date.
	advance(discovery.JWKSMaxAge + time.Second)
	b.do("promotion", chromedp.Navigate(url+"/#/welcome"), waitText("Get started"), chromedp.Navigate(url+"/#/keys"),
		chromedp.WaitVisible(chromedp.Search(`//td/span[normalize-space()="retired"]`)), waitText("until "))
	shot("signing-keys")
	keys := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/admin/signing-keys", "")["data"].([]any)
	if len(keys) != 2 {
		t.Fatalf("keys: %v", keys)
	}

	// The DPoP rotation dialog warns that the agent is pinned to one key.
	other := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/agents", `{"name":"a2"}`)["id"].(string)
	b.do("dpop warning", chromedp.Navigate(url+"/#/agents/"+other), waitText("Agent a2"), chromedp.Click(button("Rotate DPoP key")),
		waitText("This pins the agent to one key."), chromedp.Click(dialogButton("Cancel")))

	// Delegation: a may-act grant from a2 to a user, then revoked.
	bob := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/users", `{"email":"bob@example.com"}`)["id"].(string)
	b.do("may-act", chromedp.Navigate(url+"/#/may-act"), waitText("No grant."), chromedp.Click(button("New grant")),
		setValue("#dialog select", other), setValue("#dialog form > div:nth-of-type(2) input", bob), setValue("#dialog form > div:nth-of-type(3) input", "mcp:read"),
		chromedp.Click(dialogButton("Create grant")), waitText("Grant created."), chromedp.WaitVisible(chromedp.Search(`//td/a[normalize-space()="a2"]`)), waitText(bob))
	shot("may-act")
	grants := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/admin/may-act", "")["grants"].([]any)
	if len(grants) != 1 || grants[0].(map[string]any)["from_id"] != other || grants[0].(map[string]any)["to_id"] != bob {
		t.Fatalf("grants: %v", grants)
	}
	b.do("revoke grant", chromedp.Click(chromedp.Search(`//button[starts-with(@aria-label, "Revoke grant ")]`)), chromedp.Click(dialogButton("Revoke grant")),
		waitText("Grant revoked."), waitText("No grant."), chromedp.Click(chromedp.CSS(`#page input[type=checkbox]`)),
		chromedp.WaitVisible(chromedp.Search(`//td/span[normalize-space()="revoked"]`)))

	// Revoke by pattern: a preview of the matching agents, then the
	// server's count; a2's token is revoked, a2 stays active.
	otherAgent := apiCall(t, url, boot.AdminKey, "GET", "/api/v1/agents/"+other, "")
	a2Secret := apiCall(t, url, boot.AdminKey, "POST", "/api/v1/agents/"+other+"/rotate-secret", "")["client_secret"].(string)
	a2Client := otherAgent["client_id"].(string)
	resp, err := http.Post(url+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials&client_id="+a2Client+"&client_secret="+a2Secret))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a2 token: %v %v", resp, err)
	}
	resp.Body.Close()
	b.do("revoke by pattern", chromedp.Navigate(url+"/#/agents"), waitText("agent-nobody"), chromedp.Click(button("Revoke by pattern")),
		chromedp.SendKeys(chromedp.CSS("#dialog input"), a2Client[:len(a2Client)-3]+"*"), waitText("match: a2."),
		setValue("#dialog form > div:nth-of-type(2) input", "incident 42"), chromedp.Click(dialogButton("Revoke tokens")),
		waitText("1 client(s) matched, 1 token(s) revoked"))
	ev = apiCall(t, url, boot.AdminKey, "GET", "/api/v1/audit-logs?event=oauth.tokens_bulk_revoked", "")["data"].([]any)
	if len(ev) != 1 || !strings.Contains(fmt.Sprint(ev[0]), "incident 42") {
		t.Fatalf("pattern event: %v", ev)
	}

	// Overview: counts, what needs attention, recent events.
	b.do("overview", chromedp.Navigate(url+"/#/overview"), waitText("Needs attention"), waitText("Recent events"),
		waitText("active agent(s) have no creating user"), waitText("oauth.tokens_bulk_revoked"))
	var stats []string
	b.eval(`[...document.querySelectorAll("#page .stat")].map(s => s.innerText.replace(/\s+/g, " "))`, &stats)
	if strings.Join(stats, "|") != "1 applications|3 agents (1 active)|1 users|2 active admin keys" {
		t.Errorf("overview stats: %q", stats)
	}
	if strings.Contains(b.text(), "No default audience") {
		t.Error("the overview says no default audience after it was set")
	}
	shot("overview")

	// Get started: the snippets pass created_by and name the audience.
	b.do("welcome", chromedp.Navigate(url+"/#/welcome"), waitText("default audience"))
	var snippets string
	b.eval(`[...document.querySelectorAll("#page pre")].map(p => p.textContent).join("\n")`, &snippets)
	for _, re := range []string{`created_by="usr_[A-Za-z0-9_-]+"`, `resource="https://mcp\.example\.com"`} {
		if !regexp.MustCompile(re).MatchString(snippets) {
			t.Errorf("the guide's snippets lack %s:\n%s", re, snippets)
		}
	}
	shot("welcome")
	// The token and cancel steps are green now: the audit trail has both.
	b.eval(stepsDone, &steps)
	if len(steps) != 6 || !steps[3] || !steps[5] {
		t.Fatalf("steps done after a token and a cancellation: %v", steps)
	}

	// Disable the tenant (a platform key, a confirmation), then enable it
	// again from the same page.
	b.do("disable without key", chromedp.Navigate(url+"/#/settings"), waitText("Tenant settings"), chromedp.Click(button("Disable tenant")),
		waitText("paste a platform key"))
	b.do("disable", setValue(`#page input[type=password]`, boot.PlatformKey), chromedp.Click(button("Disable tenant")),
		chromedp.Click(dialogButton("Disable tenant")), waitText("Tenant disabled:"), chromedp.WaitVisible(chromedp.Search(`//*[@id="page"]//button[normalize-space()="Enable tenant"]`)))
	shot("tenant-disabled")
	if d := apiCall(t, url, boot.PlatformKey, "GET", "/platform/v1/tenants/default", "")["disabled"]; d != true {
		t.Fatalf("disabled: %v", d)
	}
	b.do("enable", setValue(`#page input[type=password]`, boot.PlatformKey), chromedp.Click(button("Enable tenant")),
		waitText("Tenant enabled."), chromedp.WaitVisible(chromedp.Search(`//*[@id="page"]//button[normalize-space()="Disable tenant"]`)))
	if d := apiCall(t, url, boot.PlatformKey, "GET", "/platform/v1/tenants/default", "")["disabled"]; d != false {
		t.Fatalf("enabled again: %v", d)
	}

	b.do("sign out", chromedp.Navigate(url+"/#/agents"), waitText("agent-nobody"))
	if width == "phone" {
		b.do("menu", chromedp.Click(chromedp.CSS("#menu")))
	}
	b.do("sign out", chromedp.Click(button("Sign out")), chromedp.WaitVisible(chromedp.CSS("#signin-note")), waitText("Signed out."))
	var signedOut struct{ Error bool }
	b.eval(`({error: !document.getElementById("signin-error").hidden})`, &signedOut)
	if signedOut.Error {
		t.Fatal("signing out shows an error")
	}

	var csp []string
	b.eval(`window.__csp`, &csp)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 || len(b.thrown) > 0 || len(csp) > 0 {
		t.Fatalf("dialogs %q, exceptions %q, CSP violations %q", b.dialogs, b.thrown, csp)
	}
}

package authorize

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// css is the pages' whole style: plain, readable on a phone.
const css = `*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1c1e21}
main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.25rem;margin:0 0 1rem}p.tenant{color:#606770;font-size:.875rem;margin:0 0 .25rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input[type=email],input[type=password]{width:100%;padding:.6rem;font-size:1rem;border:1px solid #ccd0d5;border-radius:.25rem}
button{width:100%;margin-top:1rem;padding:.7rem;font-size:1rem;border:0;border-radius:.25rem;background:#1a56db;color:#fff;cursor:pointer}
button.secondary{background:#e4e6eb;color:#1c1e21}.error{background:#fdecea;color:#611a15;padding:.6rem;border-radius:.25rem}
ul{padding-left:1.25rem}code{word-break:break-all}.row{display:flex;gap:.5rem}.row button{flex:1}
form.logout button{background:none;color:#1a56db;width:auto;padding:0;margin-top:.5rem;font-size:.875rem}
@media (max-width:30rem){main{margin:0;border-radius:0;min-height:100vh}}`

var styleHash = func() string {
	h := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

// The pages are built here rather than with html/template: its reflective
// method lookups keep every exported method of every linked type alive in
// the binary (4.5 MB on each bootstrap, past DESIGN §8's budget). Every
// value goes through esc (html.EscapeString: text and double-quoted
// attributes); nothing else is interpolated.
func esc(s string) string { return html.EscapeString(s) }

// page writes v as a whole HTML document.
func page(v view) string {
	var b strings.Builder
	w := b.WriteString
	w(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>`)
	w(esc(v.Title) + " · " + esc(v.Tenant))
	w(`</title><style>` + css + `</style></head>
<body><main><p class="tenant">` + esc(v.Tenant) + `</p><h1>` + esc(v.Title) + "</h1>\n")
	if v.Error != "" {
		w(`<p class="error" role="alert">` + esc(v.Error) + "</p>\n")
	}
	hidden := func(name, value string) {
		w(`<input type="hidden" name="` + name + `" value="` + esc(value) + `">`)
	}
	switch v.Kind {
	case "login":
		w(`<p>Sign in to continue to <strong>` + esc(v.ClientName) + "</strong>.</p>\n")
		w(`<form method="post" action="authorize">`)
		hidden("step", "login")
		hidden("csrf", v.CSRF)
		hidden("request", v.Request)
		w("\n" + `<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="` + esc(v.Email) + `">`)
		w("\n" + `<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>`)
		w("\n<button type=\"submit\">Sign in</button></form>\n")
	case "consent":
		w(`<p><strong>` + esc(v.ClientName) + `</strong> wants access to your account`)
		if v.Email != "" {
			w(` (<strong>` + esc(v.Email) + `</strong>)`)
		}
		w(".</p>\n<p>It will be sent back to <strong>" + esc(v.RedirectHost) + "</strong>.</p>\n")
		list := func(title string, items []string) {
			if len(items) == 0 {
				return
			}
			w("<p>" + title + "</p><ul>")
			for _, it := range items {
				w("<li><code>" + esc(it) + "</code></li>")
			}
			w("</ul>\n")
		}
		list("It asks for:", v.Scopes)
		list("For use with:", v.Resources)
		w(`<form method="post" action="authorize">`)
		hidden("step", "consent")
		hidden("csrf", v.CSRF)
		hidden("request", v.Request)
		w("\n" + `<div class="row"><button type="submit" name="decision" value="deny" class="secondary">Deny</button><button type="submit" name="decision" value="allow">Allow</button></div></form>`)
		w("\n" + `<form method="post" action="logout" class="logout">`)
		hidden("csrf", v.CSRF)
		w(`<button type="submit">Not you? Sign out</button></form>` + "\n")
	default:
		w("<p>" + esc(v.Message) + "</p>\n")
	}
	w("</main></body></html>\n")
	return b.String()
}

// view is what a page shows.
type view struct {
	Kind         string // login, consent, message
	Tenant       string
	Title        string
	Error        string
	Message      string
	Request      string
	CSRF         string
	Email        string
	ClientName   string
	RedirectHost string
	Scopes       []string
	Resources    []string
}

// render writes a page with the headers every page carries: no framing
// (frame-ancestors 'none' and X-Frame-Options), a CSP that allows nothing
// but the page's own style and forms posted to the page itself (and the
// redirects they lead to, to formTarget: the client's redirect URI), no
// referrer, no caching.
func render(w http.ResponseWriter, status int, v view, formTarget string) {
	formAction := "'none'"
	if v.Kind == "login" || v.Kind == "consent" {
		formAction = "'self'"
		if formTarget != "" {
			formAction += " " + formTarget
		}
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; img-src 'self'; base-uri 'none'; form-action "+formAction+"; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, page(v))
}

// cspSource is the CSP source expression of a redirect URI: its origin, or
// its scheme for a private-use scheme (RFC 8252 §7.1). "" when it has no
// expressible source.
func cspSource(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		if u.Host == "" || strings.ContainsAny(u.Host, " ;,'") {
			return ""
		}
		return u.Scheme + "://" + u.Host
	}
	for _, c := range u.Scheme {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return ""
		}
	}
	return u.Scheme + ":"
}

// redirectHost is the host a consent page names (for a private-use scheme,
// the scheme).
func redirectHost(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return redirectURI
	}
	if u.Host != "" {
		return u.Host
	}
	return u.Scheme + ":"
}

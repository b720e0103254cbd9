package authorize

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// The pages are html/template templates (pages/page.html, embedded), so
// every value is escaped for the context it lands in (text, title,
// attribute); their one style sheet (pages/pages.css) is inlined and allowed
// by its hash in the CSP, and nothing else runs: no script, no JS required.
//
//go:embed pages/page.html pages/pages.css
var pageFiles embed.FS

// css is the pages' whole style: plain, readable on a phone.
var css = mustRead("pages/pages.css")

var styleHash = func() string {
	h := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

var pageTemplate = template.Must(template.New("pages").Funcs(template.FuncMap{
	// The style sheet is the embedded file, never a request's value.
	"css": func() template.CSS { return template.CSS(css) },
}).ParseFS(pageFiles, "pages/page.html"))

func mustRead(name string) string {
	b, err := pageFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
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
	// Rendered whole before anything is written: a template failure is a
	// plain 500, never half a page.
	var body bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&body, "page", v); err != nil {
		http.Error(w, "The service failed; try again.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; img-src 'self'; base-uri 'none'; form-action "+formAction+"; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body.Bytes())
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

package dashboard

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	cases := []struct {
		name, method, path string
		status             int
		ctype, body        string
	}{
		{"page", "GET", "/", 200, "text/html; charset=utf-8", `<script src="/dashboard/app.js"`},
		{"script", "GET", "/dashboard/app.js", 200, "text/javascript; charset=utf-8", "sessionStorage"},
		{"style", "GET", "/dashboard/app.css", 200, "text/css; charset=utf-8", ":root"},
		{"icon", "GET", "/dashboard/icon.svg", 200, "image/svg+xml", "<svg"},
		{"head", "HEAD", "/dashboard/app.js", 200, "text/javascript; charset=utf-8", ""},
		{"unknown file", "GET", "/dashboard/nope.js", 404, "application/json", "not_found"},
		{"directory", "GET", "/dashboard/", 404, "application/json", "not_found"},
		{"nested", "GET", "/dashboard/static/app.js", 404, "application/json", "not_found"},
		{"dot dot", "GET", "/dashboard/..%2fdashboard.go", 404, "application/json", "not_found"},
		{"source file", "GET", "/dashboard/dashboard.go", 404, "application/json", "not_found"},
		{"index by name", "GET", "/dashboard/index.html", 404, "application/json", "not_found"},
		{"other path", "GET", "/other", 404, "application/json", "not_found"},
	}
	h := Handler()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
			if rec.Code != c.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), c.ctype) || !strings.Contains(rec.Body.String(), c.body) {
				t.Fatalf("%d %q:\n%.300s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
			}
			if c.status == http.StatusOK && rec.Header().Get("Content-Security-Policy") != CSP {
				t.Fatalf("CSP %q", rec.Header().Get("Content-Security-Policy"))
			}
		})
	}
}

// TestCSPIsStrict pins what the policy must keep: no inline or eval'd
// script, no inline style, nothing from other origins.
func TestCSPIsStrict(t *testing.T) {
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} {
		if strings.Contains(CSP, bad) {
			t.Errorf("CSP allows %s", bad)
		}
	}
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(CSP, want) {
			t.Errorf("CSP lacks %s", want)
		}
	}
}

// TestNoHTMLInjectionSinks scans the static files for the ways a value
// could become markup or script: the dashboard builds its DOM with
// textContent only, and the page has no inline script, style or handler
// (which the CSP would block anyway, breaking the page).
func TestNoHTMLInjectionSinks(t *testing.T) {
	sinks := map[string]*regexp.Regexp{
		".js":   regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*["'` + "`" + `]|javascript:|\.html\(`),
		".html": regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|\sstyle=|\son[a-z]+=|<style|javascript:|https?://`),
		".css":  regexp.MustCompile(`(?i)@import|url\(\s*["']?https?:|expression\(`),
	}
	n := 0
	fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(static, path)
		for ext, re := range sinks {
			if strings.HasSuffix(path, ext) {
				n++
				if m := re.Find(b); m != nil {
					t.Errorf("%s contains %q", path, m)
				}
			}
		}
		return nil
	})
	if n < 3 {
		t.Fatalf("scanned %d files", n)
	}
}

package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/sharkauth/serverless/shared/httpx"
)

//go:embed static
var static embed.FS

// CSP is the dashboard's Content-Security-Policy: scripts, styles, images
// and API calls from this origin only; no inline script or style, no
// plugins, no framing, no <base> rewriting, no form posts anywhere.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// types are the content types of the files the dashboard serves.
var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Handler serves the dashboard: the page at / and its assets at
// /dashboard/{file}. Anything else is the API's JSON 404.
func Handler() http.Handler {
	files, _ := fs.Sub(static, "static")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "index.html"
		if r.URL.Path != "/" {
			rest, ok := strings.CutPrefix(r.URL.Path, "/dashboard/")
			if !ok || rest == "" || strings.Contains(rest, "/") || rest == "index.html" {
				httpx.WriteError(w, r, httpx.NotFound("no such dashboard file"))
				return
			}
			name = rest
		}
		ctype, known := types[path.Ext(name)]
		b, err := fs.ReadFile(files, name)
		if err != nil || !known {
			httpx.WriteError(w, r, httpx.NotFound("no such dashboard file"))
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("Content-Type", ctype)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(b)
		}
	})
}

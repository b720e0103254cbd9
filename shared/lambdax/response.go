package lambdax

import (
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"
)

// responseWriter records a handler's response as an HTTP API response, with
// net/http's rules: the first WriteHeader (or Write) fixes the status and the
// headers, and later WriteHeader calls and header changes are ignored; 1xx
// statuses are not forwarded (a Lambda response has one status); a handler
// that writes nothing answers 200. The headers become the response's at that
// point, in one pass: several values of a name joined with "," (as API
// Gateway joins them), Set-Cookie values as the response's cookies.
type responseWriter struct {
	header  http.Header
	status  int
	wrote   bool // the status and headers are fixed
	written bool // Write was called
	// contentType is the Content-Type values when the headers were fixed.
	contentType []string
	headers     map[string]string
	cookies     []string
	body        strings.Builder
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.wrote || (code >= 100 && code < 200) {
		return
	}
	w.wrote = true
	w.status = code
	w.headers = make(map[string]string, len(w.header))
	w.cookies = []string{}
	for k, vs := range w.header {
		if strings.EqualFold(k, "Set-Cookie") {
			w.cookies = append(w.cookies, vs...)
			continue
		}
		w.headers[k] = strings.Join(vs, ",")
	}
	w.contentType = w.header["Content-Type"]
}

// Write appends p to the body. The first Write fixes the status (200) and the
// headers if nothing did, and, when no Content-Type was set, sets the one
// http.DetectContentType finds in p.
func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if !w.written {
		w.written = true
		if len(w.contentType) == 0 || w.contentType[0] == "" {
			w.headers["Content-Type"] = strings.Join(append(w.contentType, http.DetectContentType(p)), ",")
		}
	}
	return w.body.Write(p)
}

// response is the HTTP API response of what the handler wrote; a body that is
// not valid UTF-8 is base64-encoded.
func (w *responseWriter) response() Response {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	resp := Response{StatusCode: w.status, Headers: w.headers, Cookies: w.cookies, Body: w.body.String()}
	if !utf8.ValidString(resp.Body) {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(resp.Body)), true
	}
	return resp
}

package httpx

import (
	"bytes"
	"context"
	"errors"

	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"
)

// The body limit is 1 MiB exactly (WIRE §3), whatever the constant is called.
func TestMaxBodyIsOneMiB(t *testing.T) {
	if MaxBody != 1048576 {
		t.Fatalf("MaxBody = %d, want 1048576", MaxBody)
	}
}

func decodeHandler() http.Handler {
	return Stack(Handle(func(w http.ResponseWriter, r *http.Request) error {
		var v map[string]any
		if err := DecodeJSON(r, &v, false); err != nil {
			return err
		}
		WriteJSON(w, 200, map[string]int{"members": len(v)})
		return nil
	}), WriteError)
}

// The stack applies the limit itself: once deployed it is the only one
// (API Gateway forwards bodies larger than 1 MiB).
func TestStackLimitsBodies(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 1<<20) + `"}`
	for name, contentLength := range map[string]int64{"declared": int64(len(big)), "chunked": -1} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(big))
		r.ContentLength = contentLength
		w := httptest.NewRecorder()
		decodeHandler().ServeHTTP(w, r)
		if w.Code != 413 || !strings.Contains(w.Body.String(), `"error":"invalid_request"`) {
			t.Errorf("%s body of %d bytes: %d %s", name, len(big), w.Code, w.Body)
		}
	}
	fits := `{"a":"` + strings.Repeat("x", 1<<20-8) + `"}`
	r := httptest.NewRequest("POST", "/", strings.NewReader(fits))
	r.ContentLength = -1
	w := httptest.NewRecorder()
	decodeHandler().ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("a body of exactly 1 MiB: %d %s", w.Code, w.Body)
	}
}

func TestDecodeJSON(t *testing.T) {
	type in struct {
		ID   *string        `json:"id"`
		N    *int           `json:"n"`
		Meta map[string]any `json:"metadata"`
	}
	cases := []struct {
		name, body string
		strict     bool
		status     int
		code, msg  string
	}{
		{"ok", `{"id":"a","n":1,"other":true}`, false, 0, "", ""},
		{"trailing object", `{"id":"a"}{"id":"b"}`, false, 400, "invalid_request", ""},
		{"trailing garbage", `{"id":"a"} x`, false, 400, "invalid_request", ""},
		{"duplicate member", `{"id":"a","id":"b"}`, false, 400, "invalid_request", "duplicate"},
		{"nested duplicate", `{"metadata":{"k":1,"k":2}}`, false, 400, "invalid_request", "duplicate"},
		{"null", `null`, false, 400, "invalid_request", "JSON object"},
		{"empty", ``, false, 400, "invalid_request", "JSON object"},
		{"array", `[]`, false, 400, "invalid_request", "JSON object"},
		{"wrong type names the field", `{"n":"x"}`, false, 400, "invalid_parameter", "field n"},
		{"nested wrong type", `{"metadata":[1]}`, false, 400, "invalid_parameter", "field metadata"},
		{"unknown member when strict", `{"other":1}`, true, 400, "invalid_parameter", "unknown field other"},
		{"mis-cased member when strict", `{"ID":"a"}`, true, 400, "invalid_parameter", "unknown field ID"},
		{"invalid UTF-8", "{\"id\":\"\xff\"}", false, 400, "invalid_request", ""},
		{"truncated", `{"id":`, false, 400, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v in
			err := DecodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(c.body)), &v, c.strict)
			if c.status == 0 {
				if err != nil || *v.ID != "a" {
					t.Fatalf("%v %+v", err, v)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != c.status || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("got %v", err)
			}
		})
	}
	// Mis-cased members are not matched to fields (v1 matched them).
	var v in
	if err := DecodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(`{"ID":"a"}`)), &v, false); err != nil || v.ID != nil {
		t.Fatalf("mis-cased member matched: %v %+v", err, v)
	}
}

// A 500 says "internal error" and nothing of its cause.
func TestInternalErrorHidesItsCause(t *testing.T) {
	h := Stack(Handle(func(http.ResponseWriter, *http.Request) error {
		return Internal(errors.New("dynamodb: table sharkauth-prod in 123456789012 throttled"))
	}), WriteError)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 500 || w.Body.String() != `{"error":"internal_error","message":"internal error"}`+"\n" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	Stack(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom at secret place") }), WriteError).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret place") {
		t.Fatalf("panic: %d %s", w.Code, w.Body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	w := httptest.NewRecorder()
	Stack(http.NotFoundHandler(), WriteError).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	for k, want := range map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"X-Frame-Options":           "DENY",
		"X-Content-Type-Options":    "nosniff",
		"Content-Security-Policy":   "default-src 'none'; frame-ancestors 'none'",
		"Referrer-Policy":           "no-referrer",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestRequestIDs(t *testing.T) {
	for id, kept := range map[string]bool{
		"abc-123":                   true,
		strings.Repeat("7", 64):     true,
		strings.Repeat("7", 65):     false,
		"line\nbreak":               false,
		"<img src=x>":               false,
		"quote\"":                   false,
		"":                          false,
		"Root=1-5759e988-bd862e3fe": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["X-Request-Id"] = []string{id}
		w := httptest.NewRecorder()
		var seen string
		Stack(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = RequestID(r.Context()) }), WriteError).ServeHTTP(w, r)
		got := w.Header().Get("X-Request-Id")
		if got != seen || got == "" || (got == id) != kept || len(got) > 64 {
			t.Errorf("X-Request-Id %q: answered %q, logged %q (kept: want %v)", id, got, seen, kept)
		}
	}
}

// The access log has the route (method and path) and status, never the query string (where
// a careless client puts a token).
func TestAccessLogOmitsQuery(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(NewLogger(&buf, "info"))
	t.Cleanup(func() { slog.SetDefault(prev) })
	Stack(http.NotFoundHandler(), WriteError).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x?access_token=opaque-secret-value&code=abc", nil))
	out := buf.String()
	if !strings.Contains(out, `"route":"GET /x"`) || strings.Contains(out, "opaque-secret-value") || strings.Contains(out, "code=abc") {
		t.Fatalf("access log: %s", out)
	}
}

func TestCanonical(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/a": true, "/a/b": true, "/t/acme/": true, "/.well-known/jwks.json": true,
		"": false, "a": false, "//": false, "/a//b": false, "/a/./b": false, "/a/../b": false, "/a/..": false,
		"/a/.": false, "/a//": false, "/a\\b": false, "//a": false,
	} {
		if got := Canonical(p, ""); got != want {
			t.Errorf("Canonical(%q) = %v, want %v", p, got, want)
		}
	}
	for raw, want := range map[string]bool{"/t/acme%2f..": false, "/a%2Fb": false, "/a%5cb": false, "/a%20b": true} {
		if got := Canonical("/x", raw); got != want {
			t.Errorf("raw %q: %v, want %v", raw, got, want)
		}
	}
}

// FuzzCanonical: whatever Canonical accepts is what path.Clean would keep
// (with at most a trailing slash), so no router can redirect it elsewhere.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"/", "/t/acme/.well-known/jwks.json", "/a//b", "/a/./b", "/a/../b", "/t/acme/", "/a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !Canonical(p, "") {
			return
		}
		clean := path.Clean(p)
		if clean != p && clean+"/" != p {
			t.Fatalf("accepted %q, which cleans to %q", p, clean)
		}
	})
}

// A client that went away is not a server error: no 500, no error log.
func TestClientGoneIsNotAServerError(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(NewLogger(&buf, "info"))
	t.Cleanup(func() { slog.SetDefault(prev) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := httptest.NewRequest("POST", "/", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	WriteError(w, r, Internal(context.Canceled))
	if w.Code != StatusClientClosed || strings.Contains(buf.String(), `"level":"ERROR"`) {
		t.Fatalf("%d %s", w.Code, buf.String())
	}
	// The same error while the client is still there stays a 500.
	w = httptest.NewRecorder()
	WriteError(w, httptest.NewRequest("POST", "/", nil), Internal(context.Canceled))
	if w.Code != 500 {
		t.Fatalf("live client: %d", w.Code)
	}
}

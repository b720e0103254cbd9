package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the request's id ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Stack wraps h with the middleware every function runs, outermost first:
// request id, access log, panic recovery, security headers, canonical path,
// body limit. The middleware's own answers (a panic's 500, a non-canonical
// path's 404, a body's 413) are written by write, the function's error
// writer, so they have the shape of the function's other errors.
func Stack(h http.Handler, write ErrorWriter) http.Handler {
	h = limitBody(h, write)
	h = canonicalPath(h, write)
	h = securityHeaders(h)
	h = recoverPanics(h, write)
	h = accessLog(h)
	return requestID(h)
}

func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !safeRequestID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// safeRequestID accepts a client's X-Request-Id only when it is 1 to 64
// characters of [A-Za-z0-9._:-]: it is echoed in a header and written to logs.
func safeRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// canonicalPath answers a path that is not in canonical form (empty, "//",
// "." or ".." segments, or an encoded "/" or "\\") with a JSON 404. No route
// serves such a path, and nothing redirects it: a redirect built from a
// tenant-stripped path would lead a client to another tenant.
func canonicalPath(next http.Handler, write ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Canonical(r.URL.Path, r.URL.RawPath) {
			write(w, r, NotFound("no route for "+r.Method+" this path (it is not in canonical form)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Canonical reports whether a request path (decoded, and its raw form if it
// differs) is canonical: absolute, no empty, "." or ".." segment, no
// backslash, no encoded "/" or "\\".
func Canonical(path, raw string) bool {
	if !strings.HasPrefix(path, "/") || strings.Contains(path, "\\") {
		return false
	}
	if raw != "" {
		l := strings.ToLower(raw)
		if strings.Contains(l, "%2f") || strings.Contains(l, "%5c") {
			return false
		}
	}
	if path == "/" {
		return true
	}
	// A single trailing slash is allowed ("/t/acme/"); every other segment
	// must be a name.
	for seg := range strings.SplitSeq(strings.TrimSuffix(path[1:], "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// NoStore marks every response of h uncacheable (Cache-Control: no-store,
// Pragma: no-cache): the admin and platform APIs, whose answers carry
// secrets or tenant data.
func NoStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Cache-Control"] = hdrNoStore
		hd["Pragma"] = hdrNoCache
		h.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// accessLog logs one JSON line per request: request id, function, tenant,
// route, status, latency, error code, grant (metrics.go); the template's
// metric filters make the functions' metrics from it. It never logs headers,
// query strings or bodies, where secrets, tokens and proofs travel. The line
// has no "time" field: CloudWatch stamps every line it ingests (and bills
// every byte).
func accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), infoKey{}, &requestInfo{})
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		logAccess(ctx, func() []slog.Attr { return accessAttrs(ctx, r, sw.status, time.Since(start)) })
	})
}

func recoverPanics(next http.Handler, write ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				write(w, r, Internal(fmt.Errorf("panic: %v", v)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Header values set on every response, made once: assigning a shared slice
// costs no allocation per request. Nothing modifies a header value in place
// (Set and Del replace the slice), so sharing them is safe.
var (
	hdrNosniff    = []string{"nosniff"}
	hdrDeny       = []string{"DENY"}
	hdrNoReferrer = []string{"no-referrer"}
	hdrCSP        = []string{"default-src 'none'; frame-ancestors 'none'"}
	hdrHSTS       = []string{"max-age=63072000; includeSubDomains"}
	hdrNoStore    = []string{"no-store"}
	hdrNoCache    = []string{"no-cache"}
	hdrJSON       = []string{"application/json"}
)

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["X-Frame-Options"] = hdrDeny
		h["Referrer-Policy"] = hdrNoReferrer
		h["Content-Security-Policy"] = hdrCSP
		h["Strict-Transport-Security"] = hdrHSTS
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over MaxBody: at once when Content-Length says so,
// otherwise when a handler reads past the limit.
func limitBody(next http.Handler, write ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBody {
			write(w, r, ErrTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		next.ServeHTTP(w, r)
	})
}

// logAccess writes the access line through the default logger's handler
// with a zero time, which the JSON handler leaves out. attrs builds the
// line's attributes, only when the line is written (LOG_LEVEL=warn drops it).
func logAccess(ctx context.Context, attrs func() []slog.Attr) {
	h := slog.Default().Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	rec := slog.NewRecord(time.Time{}, slog.LevelInfo, "request", 0)
	rec.AddAttrs(attrs()...)
	_ = h.Handle(ctx, rec)
}

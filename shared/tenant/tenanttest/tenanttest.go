// Package tenanttest is the test kit of shared/tenant: it checks that a
// function's routes, mounted outside the tenant resolver, are answered by
// the one adapter (tenant.Handle) and never run without a tenant.
package tenanttest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/tenant"
)

// Shape is an error shape: the code member's value of a 500 and the member
// that carries the fixed text.
type Shape struct{ Code, TextMember string }

// The two error shapes of the functions.
var (
	Flat  = Shape{Code: "internal_error", TextMember: "message"}         // admin, audit, jwks
	OAuth = Shape{Code: "server_error", TextMember: "error_description"} // token, register
)

// Request is one route's request: "METHOD /path", a body and its content type.
type Request struct {
	Route, Body, ContentType string
}

// RefusesWithoutTenant sends each request to mux without a tenant in its
// context and checks the one answer: a 500 in shape with the fixed text
// "internal error", exactly one logged failure whose cause is
// tenant.ErrNoTenant (the adapter answered, not a later check), and no
// panic (the handler never ran).
func RefusesWithoutTenant(t *testing.T, mux *http.ServeMux, shape Shape, reqs ...Request) {
	t.Helper()
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	for _, q := range reqs {
		t.Run(q.Route, func(t *testing.T) {
			log.Reset()
			method, path, _ := strings.Cut(q.Route, " ")
			r := httptest.NewRequestWithContext(t.Context(), method, "http://localhost:8080"+path, strings.NewReader(q.Body))
			r.Header.Set("Authorization", "Bearer sk_live_somekey")
			if q.ContentType != "" {
				r.Header.Set("Content-Type", q.ContentType)
			}
			if _, pattern := mux.Handler(r); pattern == "" {
				t.Fatalf("no route for %s", q.Route)
			}
			w := httptest.NewRecorder()
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("the handler ran without a tenant: %v", p)
					}
				}()
				mux.ServeHTTP(w, r)
			}()
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %q: %v", w.Code, w.Body, err)
			}
			if w.Code != 500 || len(body) != 2 || body["error"] != shape.Code || body[shape.TextMember] != "internal error" {
				t.Fatalf("%d %v, want 500 %s", w.Code, body, shape.Code)
			}
			if n := strings.Count(log.String(), "request failed"); n != 1 || !strings.Contains(log.String(), tenant.ErrNoTenant.Error()) {
				t.Fatalf("want one failure logged with cause %q, got %d: %s", tenant.ErrNoTenant, n, &log)
			}
		})
	}
}

// JSON is a request of route with a JSON body.
func JSON(route, body string) Request {
	return Request{Route: route, Body: body, ContentType: "application/json"}
}

// Form is a request of route with a form body.
func Form(route, body string) Request {
	return Request{Route: route, Body: body, ContentType: "application/x-www-form-urlencoded"}
}

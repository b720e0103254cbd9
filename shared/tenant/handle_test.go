package tenant_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestHandle: the adapter hands the request's tenant to the handler, and
// answers a request without one (outside the resolver, or a zero tenant)
// itself, without calling the handler, as an internal error.
func TestHandle(t *testing.T) {
	acme := tenant.Tenant{ID: tenant.MustID("acme"), Issuer: "https://auth.example/t/acme"}
	refused := errors.New("the handler's own error")
	for _, tc := range []struct {
		name   string
		with   *tenant.Tenant // nil: no tenant in the context
		called bool
		want   error
	}{
		{"tenant in context", &acme, true, refused},
		{"no tenant in context", nil, false, tenant.ErrNoTenant},
		{"zero tenant in context", &tenant.Tenant{Issuer: "https://auth.example"}, false, tenant.ErrNoTenant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), "GET", "/x", nil)
			if tc.with != nil {
				r = r.WithContext(tenant.With(r.Context(), *tc.with))
			}
			called := false
			err := tenant.Handle(func(w http.ResponseWriter, r *http.Request, got tenant.Tenant) error {
				called = true
				if got != acme {
					t.Errorf("handler got tenant %+v, want %+v", got, acme)
				}
				return refused
			})(httptest.NewRecorder(), r)
			if called != tc.called {
				t.Errorf("handler called: %v, want %v", called, tc.called)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestHandleMissingTenantAnswers: a request without a tenant is answered once,
// 500, in the error shape of the writer the adapter is mounted with, with the
// fixed text (the cause goes to the log only).
func TestHandleMissingTenantAnswers(t *testing.T) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	never := func(w http.ResponseWriter, r *http.Request, _ tenant.Tenant) error {
		t.Error("the handler ran without a tenant")
		return nil
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
		want map[string]any
	}{
		{"flat shape", httpx.Handle(tenant.Handle(never)), map[string]any{"error": "internal_error", "message": "internal error"}},
		{"RFC 6749 shape", oauth.Handle(tenant.Handle(never)), map[string]any{"error": "server_error", "error_description": "internal error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), "POST", "/x", nil))
			if w.Code != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500: %s", w.Code, w.Body)
			}
			var got map[string]any
			dec := json.NewDecoder(w.Body)
			if err := dec.Decode(&got); err != nil {
				t.Fatal(err)
			}
			if dec.More() {
				t.Fatalf("more than one answer: %s", w.Body)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("body %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("body %v, want %v", got, tc.want)
				}
			}
		})
	}
}

package app_test

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/app/apptest"
)

// BenchmarkJWKS is one JWKS request through the jwks function's handler
// (middleware, tenant resolution with a warm cache, one key query).
func BenchmarkJWKS(b *testing.B) {
	env, err := app.NewEnv(b.Context(), localConfig(b.TempDir()), app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	if _, err := env.Boot(b.Context()); err != nil {
		b.Fatal(err)
	}
	h := app.Jwks(env)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:8080/.well-known/jwks.json", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkRunnerHealthz is GET /healthz through the local runner: route
// match, API Gateway v2 event, the Lambda adapter, the middleware stack and
// the response written back — the event path every local request pays.
func BenchmarkRunnerHealthz(b *testing.B) {
	env, err := app.NewEnv(b.Context(), localConfig(b.TempDir()), app.Options{LogOutput: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	h := apptest.Handler(b, env)
	req := httptest.NewRequest("GET", "http://localhost:8080/healthz", nil)
	req.Header.Set("User-Agent", "bench/1.0")
	req.Header.Set("Accept", "*/*")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

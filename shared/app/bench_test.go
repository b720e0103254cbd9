package app_test

import (
	"net/http/httptest"
	"testing"

	"github.com/sharkauth/serverless/shared/app"
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

package core

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/lambdax"
)

// Lambda is the whole of a function's main: configuration from the
// environment, the shared environment, the function's handler, and the Lambda
// runtime loop. A configuration error ends the process before the first event.
func Lambda(build func(*Env) http.Handler) {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		slog.Error("configuration", "error", err)
		os.Exit(1)
	}
	env, err := NewEnv(context.Background(), cfg, Options{WarmUp: true})
	if err != nil {
		slog.Error("startup", "error", err)
		os.Exit(1)
	}
	lambdax.Start(WithHeadroom(build(env), deadlineHeadroom))
}

// deadlineHeadroom is the time kept at the end of an invocation to answer:
// a store or KMS call still running then is cancelled and the request is
// answered 503 with Retry-After, before Lambda would end it without a body.
const deadlineHeadroom = 500 * time.Millisecond

// WithHeadroom runs h with its request's deadline (Lambda's, from the
// invocation) moved d earlier. A request without a deadline is unchanged.
func WithHeadroom(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, ok := r.Context().Deadline()
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithDeadline(r.Context(), deadline.Add(-d))
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

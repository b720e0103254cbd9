package app

import (
	"context"
	"log/slog"
	"net/http"
	"os"

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
	env, err := NewEnv(context.Background(), cfg, Options{})
	if err != nil {
		slog.Error("startup", "error", err)
		os.Exit(1)
	}
	lambdax.Start(build(env))
}

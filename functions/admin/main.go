// Command admin is the admin Lambda function (see shared/app.Admin).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/lambdax"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		slog.Error("configuration", "error", err)
		os.Exit(1)
	}
	env, err := app.NewEnv(context.Background(), cfg, app.Options{})
	if err != nil {
		slog.Error("startup", "error", err)
		os.Exit(1)
	}
	lambdax.Start(app.Admin(env))
}

package apptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	serverless "github.com/sharkauth/serverless"
	"github.com/sharkauth/serverless/local"
	"github.com/sharkauth/serverless/shared/app"
	_ "github.com/sharkauth/serverless/shared/app/localstore" // the embedded store
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Stack is a served local stack after its first boot.
type Stack struct {
	URL  string // http://127.0.0.1:port
	Env  *app.Env
	Boot *app.FirstBoot
}

// Config is `make run`'s configuration in a temp dir: embedded engine, local
// keys, root tenant "default", issuers from the Host used when publicURL is "".
func Config(tb testing.TB, publicURL string) config.Config {
	return config.Config{
		PublicURL: publicURL, AnyHost: publicURL == "", RootTenant: tenant.MustID("default"),
		Store: config.StoreEmbedded, DataDir: tb.TempDir(), KeyMode: "local", LogLevel: "error",
		TenantCacheTTL: 2 * time.Second,
	}
}

// Serve boots cfg and serves it; logs are discarded unless opts says where.
func Serve(tb testing.TB, cfg config.Config, opts app.Options) *Stack {
	tb.Helper()
	if opts.LogOutput == nil {
		opts.LogOutput = io.Discard
	}
	env, err := app.NewEnv(tb.Context(), cfg, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { env.Close() })
	boot, err := env.Boot(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(Handler(tb, env))
	tb.Cleanup(srv.Close)
	return &Stack{URL: srv.URL, Env: env, Boot: boot}
}

// Handler is the local runner over every function of env.
func Handler(tb testing.TB, env *app.Env) http.Handler {
	tb.Helper()
	routes, err := local.ParseRoutes("template.yaml", serverless.Template)
	if err != nil {
		tb.Fatal(err)
	}
	functions := map[string]http.Handler{}
	for name, build := range app.Functions {
		functions[name] = build(env)
	}
	h, err := local.NewHandler(routes, functions)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

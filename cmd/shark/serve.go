package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/lambdax"
	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/spf13/cobra"

	serverless "github.com/sharkauth/serverless"
	"github.com/sharkauth/serverless/local"
)

// serve runs every function of template.yaml on one address through the same
// constructors and Lambda adapter as the deployed stack.
func serveCommand() *cobra.Command {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	data := fs.String("data", envOr("DATA", "./.data"), "data directory: database, master key, first-boot keys (env DATA)")
	publicURL := fs.String("public-url", os.Getenv("PUBLIC_URL"), "external base URL (env PUBLIC_URL); unset, issuers follow the scheme and Host each client used")
	storeKind := fs.String("store", config.StoreEmbedded, "storage engine: embedded or dynamodb")
	engine := fs.String("engine", os.Getenv("SHARK_ENGINE"), "embedded engine: pebble or bbolt (env SHARK_ENGINE); default: the one the data directory holds, pebble for a new one")
	endpoint := fs.String("endpoint", "", "AWS endpoint for --store dynamodb or --keys envelope|kms (e.g. moto's server)")
	table := fs.String("table", "sharkauth", "DynamoDB table for --store dynamodb")
	keyMode := fs.String("keys", "local", "key mode: local, envelope or kms")
	kmsKey := fs.String("kms-key-id", os.Getenv("KMS_KEY_ID"), "KMS key that wraps data keys in envelope mode")
	templatePath := fs.String("template", "", "SAM template whose routes are served (default: the template built into shark)")
	lambdaMode := fs.Bool("lambda", false, "serve every request through the real bootstraps, each under aws-lambda-rie on 127.0.0.1 (needs --store dynamodb --endpoint, the go command and the source tree)")
	rie := fs.String("rie", envOr("SHARK_RIE", "bin/aws-lambda-rie"), "aws-lambda-rie binary for --lambda (env SHARK_RIE; `make deps` installs it)")
	src := fs.String("src", ".", "repository root the bootstraps are built from, for --lambda")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the runner, from start to shutdown, to this file (for `go tool pprof`)")
	memProfile := fs.String("memprofile", "", "write a heap profile of the runner at shutdown, before the store closes, to this file (for `go tool pprof`)")
	bootstraps := fs.String("bootstraps", "", "for --lambda: directory of the built bootstraps, reused when present (a test session builds them once); default: rebuilt under the data directory")
	return flagSetCommand(fs, func(ctx context.Context) error {
		if *lambdaMode && (*storeKind != config.StoreDynamoDB || *endpoint == "") {
			return errors.New("serve --lambda: the bootstraps run in their own processes and share only the table: use --store dynamodb --endpoint URL (moto's server)")
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		setServeRuntime(os.Getenv)
		if *cpuProfile != "" {
			stop, err := startCPUProfile(*cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
		}
		shown := *publicURL
		if shown == "" {
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			shown = "http://localhost:" + port
		}
		cfg := config.Config{
			PublicURL: *publicURL, AnyHost: *publicURL == "", RootTenant: tenant.MustID("default"),
			Store: *storeKind, DataDir: *data, TableName: *table, Endpoint: *endpoint, Region: envOr("AWS_REGION", "us-east-1"),
			KeyMode: *keyMode, KMSKeyID: *kmsKey, TenantCacheTTL: 2 * time.Second,
			DocsURL: "https://github.com/sharkauth/serverless#readme", LogLevel: envOr("LOG_LEVEL", "info"),
		}
		// Logs (one access-log line per request) are written in batches.
		logs := httpx.NewBufferedWriter(os.Stderr, 200*time.Millisecond)
		defer logs.Close()
		if err := prepareEmulator(ctx, &cfg); err != nil {
			return err
		}
		opts := app.Options{LogOutput: logs}
		tbl, storeShown, err := openLocalTable(cfg, *engine, time.Now)
		if err != nil {
			return err
		}
		if tbl != nil {
			defer tbl.Close() // after env.Close (deferred later, run first)
			opts.Table = tbl
		}
		env, err := app.NewEnv(ctx, cfg, opts)
		if err != nil {
			return err
		}
		defer env.Close()
		if *memProfile != "" {
			defer writeHeapProfile(*memProfile, os.Stderr) // before env.Close: what the store holds counts
		}

		routes, err := local.ParseRoutes("template.yaml", serverless.Template)
		if *templatePath != "" {
			routes, err = local.LoadRoutes(*templatePath)
		}
		if err != nil {
			return err
		}
		// The first boot's keys are written and printed before they are stored:
		// a key is never stored unseen (app.Env.BootWith).
		boot, err := env.BootWith(ctx, func(b *app.FirstBoot) error { return writeFirstBoot(cfg.DataDir, shown, b) })
		if err != nil {
			return err
		}
		if boot != nil {
			printSignInLink(ctx, env, cfg.RootTenant, shown, "first-boot")
		}
		var handler http.Handler
		if *lambdaMode {
			fns, err := startBootstraps(ctx, cfg, *rie, *src, *bootstraps, logs)
			if err != nil {
				return err
			}
			defer func() {
				for _, f := range fns {
					f.Stop()
				}
			}()
			invokers := map[string]lambdax.HandlerFunc{}
			for _, f := range fns {
				invokers[f.Name] = f.Invoke
			}
			if handler, err = local.NewInvokerHandler(routes, invokers); err != nil {
				return err
			}
		} else {
			functions := map[string]http.Handler{}
			for name, build := range app.Functions {
				functions[name] = build(env)
			}
			if handler, err = local.NewHandler(routes, functions); err != nil {
				return err
			}
		}
		srv := &http.Server{
			Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: local.MaxHeaderBytes,
			// What Go's server refuses before any handler runs (a malformed
			// request line or escape, oversized headers) is answered by Go in
			// plain text; its own log lines go to the JSON log.
			ErrorLog: slog.NewLogLogger(env.Log.Handler(), slog.LevelWarn),
		}
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		via := "in-process handlers"
		if *lambdaMode {
			via = "the Lambda bootstraps under aws-lambda-rie"
		}
		fmt.Printf("SharkAuth local stack on %s (store %s, keys %s, data %s, %s)\n", shown, storeShown, cfg.KeyMode, cfg.DataDir, via)
		fmt.Printf("dashboard: %s/ (sign in with an admin key)\n", shown)
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		fmt.Println("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// startCPUProfile profiles the process into path until the returned stop is
// called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeHeapProfile writes the live heap, after a collection, to path; a
// failure is reported to report, not returned, as the runner is shutting
// down anyway.
func writeHeapProfile(path string, report io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		err = errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close())
	}
	if err != nil {
		fmt.Fprintf(report, "memprofile: %v\n", err)
	}
}

// writeFirstBoot prints the keys of the first boot, once, with the
// dashboard's URL next to the admin key, and writes them
// (mode 0600) to <data>/admin.key.firstboot and <data>/platform.key.firstboot.
// It prints first, so a key that cannot be written is still seen.
func writeFirstBoot(dir, url string, boot *app.FirstBoot) error {
	fmt.Printf("first boot: tenant \"default\" created; these keys are shown once\n")
	fmt.Printf("admin key: %s\n", boot.AdminKey)
	fmt.Printf("dashboard: %s/ (sign in with the admin key, or the one-time sign-in link printed below)\n", url)
	fmt.Printf("platform key: %s\n", boot.PlatformKey)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("first boot: the keys above could not be saved (nothing was stored; the next start is a first boot again): %w", err)
	}
	for name, key := range map[string]string{"admin.key.firstboot": boot.AdminKey, "platform.key.firstboot": boot.PlatformKey} {
		if err := writeSecretFile(filepath.Join(dir, name), key); err != nil {
			return fmt.Errorf("first boot: the keys above could not be saved (nothing was stored; the next start is a first boot again): %w", err)
		}
	}
	fmt.Printf("(also written to %s and %s)\n", filepath.Join(dir, "admin.key.firstboot"), filepath.Join(dir, "platform.key.firstboot"))
	return nil
}

// writeSecretFile writes a key to path, mode 0600 even when the file existed
// with a wider mode.
func writeSecretFile(path, key string) error {
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// startBootstraps builds every function's bootstrap as infra/sam.mk does
// (for this machine's architecture) and starts each under its own
// aws-lambda-rie on 127.0.0.1, with the environment the template gives the
// function on AWS, pointed at the emulator. On error it stops what it
// started.
func startBootstraps(ctx context.Context, cfg config.Config, rie, src, bootstraps string, logs io.Writer) ([]*local.RIEFunction, error) {
	if _, err := os.Stat(rie); err != nil {
		return nil, fmt.Errorf("serve --lambda: aws-lambda-rie: %w (run `make deps`, or give --rie)", err)
	}
	rieAbs, err := filepath.Abs(rie)
	if err != nil {
		return nil, err
	}
	dataAbs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	build, reuse := filepath.Join(dataAbs, "lambda-build"), false
	if bootstraps != "" {
		if build, err = filepath.Abs(bootstraps); err != nil {
			return nil, err
		}
		reuse = true
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dataAbs,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=" + cfg.Endpoint,
		"AWS_REGION=" + cfg.Region,
		"AWS_ACCESS_KEY_ID=" + os.Getenv("AWS_ACCESS_KEY_ID"),
		"AWS_SECRET_ACCESS_KEY=" + os.Getenv("AWS_SECRET_ACCESS_KEY"),
		"STORE=" + cfg.Store,
		"TABLE_NAME=" + cfg.TableName,
		"KEY_MODE=" + cfg.KeyMode,
		"KMS_KEY_ID=" + cfg.KMSKeyID,
		"DATA=" + dataAbs, // local key mode: the master key file
		"ROOT_TENANT=" + cfg.RootTenant.String(),
		"TENANT_CACHE_TTL=" + cfg.TenantCacheTTL.String(),
		"LOG_LEVEL=" + cfg.LogLevel,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=10",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		// The functions' clients run on this machine, as with the
		// in-process runner: their jwks_uri and metadata documents may be
		// on loopback, served with this machine's trust settings.
		config.EnvFetchLoopback + "=true",
	}
	for _, name := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v := os.Getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	// As the in-process runner: --public-url fixes the URL; without it the
	// issuer follows the Host each client used (SHARK_ANY_HOST).
	if cfg.PublicURL != "" {
		env = append(env, "PUBLIC_URL="+cfg.PublicURL)
	} else {
		env = append(env, config.EnvAnyHost+"=true")
	}
	names := make([]string, 0, len(app.Functions))
	for name := range app.Functions {
		names = append(names, name)
	}
	sort.Strings(names)
	var fns []*local.RIEFunction
	stop := func() {
		for _, f := range fns {
			f.Stop()
		}
	}
	for _, name := range names {
		bootstrap, err := local.BuildBootstrap(ctx, src, name, build, reuse)
		if err != nil {
			stop()
			return nil, err
		}
		f, err := local.StartRIE(name, rieAbs, bootstrap, env, logs)
		if err != nil {
			stop()
			return nil, err
		}
		fns = append(fns, f)
	}
	return fns, nil
}

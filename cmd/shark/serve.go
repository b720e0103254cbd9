package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/tenant"

	serverless "github.com/sharkauth/serverless"
	"github.com/sharkauth/serverless/local"
)

// serve runs every function of template.yaml on one address through the same
// constructors and Lambda adapter as the deployed stack.
func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", envOr("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	data := fs.String("data", envOr("DATA", "./.data"), "data directory: database, master key, first-boot keys (env DATA)")
	publicURL := fs.String("public-url", os.Getenv("PUBLIC_URL"), "external base URL (env PUBLIC_URL; default http://localhost:<port>)")
	storeKind := fs.String("store", config.StoreEmbedded, "storage engine: embedded or dynamodb")
	endpoint := fs.String("endpoint", "", "AWS endpoint for --store dynamodb or --keys envelope|kms (e.g. moto's server)")
	table := fs.String("table", "sharkauth", "DynamoDB table for --store dynamodb")
	keyMode := fs.String("keys", "local", "key mode: local, envelope or kms")
	kmsKey := fs.String("kms-key-id", os.Getenv("KMS_KEY_ID"), "KMS key that wraps data keys in envelope mode")
	templatePath := fs.String("template", "", "SAM template whose routes are served (default: the template built into shark)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *publicURL == "" {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		*publicURL = "http://localhost:" + port
	}
	cfg := config.Config{
		PublicURL: *publicURL, RootTenant: tenant.MustID("default"),
		Store: *storeKind, DataDir: *data, TableName: *table, Endpoint: *endpoint, Region: envOr("AWS_REGION", "us-east-1"),
		KeyMode: *keyMode, KMSKeyID: *kmsKey, TenantCacheTTL: 2 * time.Second,
		DocsURL: "https://github.com/sharkauth/serverless#readme", LogLevel: envOr("LOG_LEVEL", "info"),
	}
	env, err := openEnv(ctx, cfg)
	if err != nil {
		return err
	}
	defer env.Close()

	routes, err := local.ParseRoutes("template.yaml", serverless.Template)
	if *templatePath != "" {
		routes, err = local.LoadRoutes(*templatePath)
	}
	if err != nil {
		return err
	}
	functions := map[string]http.Handler{}
	for name, build := range app.Functions {
		functions[name] = build(env)
	}
	handler, err := local.NewHandler(routes, functions)
	if err != nil {
		return err
	}
	boot, err := env.Boot(ctx)
	if err != nil {
		return err
	}
	if boot != nil {
		if err := writeFirstBoot(cfg.DataDir, boot); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("SharkAuth local stack on %s (store %s, keys %s, data %s)\n", cfg.PublicURL, cfg.Store, cfg.KeyMode, cfg.DataDir)
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
}

// writeFirstBoot prints the keys of the first boot, once, and writes them
// (mode 0600) to <data>/admin.key.firstboot and <data>/platform.key.firstboot.
func writeFirstBoot(dir string, boot *app.FirstBoot) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, key := range map[string]string{"admin.key.firstboot": boot.AdminKey, "platform.key.firstboot": boot.PlatformKey} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(key+"\n"), 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("first boot: tenant \"default\" created; these keys are shown once\n")
	fmt.Printf("admin key: %s\n", boot.AdminKey)
	fmt.Printf("platform key: %s\n", boot.PlatformKey)
	fmt.Printf("(also written to %s and %s)\n", filepath.Join(dir, "admin.key.firstboot"), filepath.Join(dir, "platform.key.firstboot"))
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

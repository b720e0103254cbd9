package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sharkauth/serverless/sdk/go/resource"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, listen, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcp-server:", err)
		os.Exit(2)
	}
	cfg.Logger = log
	v, err := resource.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcp-server:", err)
		os.Exit(2)
	}
	h, err := newServer(v, cfg.Resource)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcp-server:", err)
		os.Exit(2)
	}
	srv := &http.Server{Addr: listen, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("mcp-server listening", "addr", listen, "resource", cfg.Resource, "issuer", cfg.Issuer, "metadata", v.MetadataURL())
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("mcp-server stopped", "err", err)
		os.Exit(1)
	}
}

// parseConfig reads flags, falling back to the environment.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (resource.Config, string, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("mcp-server", flag.ContinueOnError)
	fs.SetOutput(out)
	issuer := fs.String("issuer", env("SHARK_ISSUER", ""), "token issuer (SHARK_ISSUER)")
	res := fs.String("resource", env("MCP_RESOURCE", "http://127.0.0.1:9090/mcp"), "resource URL (MCP_RESOURCE)")
	listen := fs.String("listen", env("MCP_LISTEN", "127.0.0.1:9090"), "listen address (MCP_LISTEN)")
	public := fs.String("public-url", env("MCP_PUBLIC_URL", ""), "external base URL for DPoP htu (MCP_PUBLIC_URL)")
	scopes := fs.String("scopes", env("MCP_SCOPES", "mcp:read"), "required scopes, space-separated (MCP_SCOPES)")
	requireDPoP := fs.String("require-dpop", env("MCP_REQUIRE_DPOP", "false"), "refuse bearer tokens (MCP_REQUIRE_DPOP)")
	cacheTTL := fs.String("introspect-cache", env("MCP_INTROSPECT_CACHE", "5s"), "introspection cache lifetime, 0 for none (MCP_INTROSPECT_CACHE)")
	if err := fs.Parse(args); err != nil {
		return resource.Config{}, "", err
	}
	if fs.NArg() > 0 {
		return resource.Config{}, "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *issuer == "" {
		return resource.Config{}, "", errors.New("-issuer (or SHARK_ISSUER) is required")
	}
	rd, err := strconv.ParseBool(*requireDPoP)
	if err != nil {
		return resource.Config{}, "", errors.New("-require-dpop must be true or false")
	}
	ttl, err := time.ParseDuration(*cacheTTL)
	if err != nil || ttl < 0 {
		return resource.Config{}, "", errors.New("-introspect-cache must be a duration such as 5s, or 0")
	}
	cfg := resource.Config{
		Issuer: strings.TrimSuffix(*issuer, "/"), Resource: *res, PublicURL: *public,
		Scopes: strings.Fields(*scopes), RequireDPoP: rd, ResourceName: "SharkAuth example MCP server",
	}
	if key := getenv("SHARK_INTROSPECT_ADMIN_KEY"); key != "" {
		cfg.Introspection = &resource.Introspection{BearerKey: key}
	} else if id, secret := getenv("SHARK_INTROSPECT_CLIENT_ID"), getenv("SHARK_INTROSPECT_CLIENT_SECRET"); id != "" && secret != "" {
		cfg.Introspection = &resource.Introspection{ClientID: id, ClientSecret: secret}
	}
	if cfg.Introspection != nil {
		cfg.Introspection.CacheTTL, cfg.Introspection.DisableCache = ttl, ttl == 0
	}
	return cfg, *listen, nil
}

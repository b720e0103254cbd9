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
	defer v.Close()
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
	log.Info("mcp-server listening", "addr", listen, "resource", cfg.Resource, "issuer", cfg.Issuer, "metadata", v.MetadataURL(),
		"revocation", revocationMode(cfg))
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
	feedDefault, err := strconv.ParseBool(env("MCP_FEED", "false"))
	if err != nil {
		return resource.Config{}, "", errors.New("MCP_FEED must be true or false")
	}
	introspectDefault, err := strconv.ParseBool(env("MCP_INTROSPECT", "false"))
	if err != nil {
		return resource.Config{}, "", errors.New("MCP_INTROSPECT must be true or false")
	}
	useFeed := fs.Bool("feed", feedDefault, "poll the issuer's revocation feed (MCP_FEED; credential: SHARK_RS_CLIENT_ID/SHARK_RS_CLIENT_SECRET)")
	feedInterval := fs.String("feed-interval", env("MCP_FEED_INTERVAL", "5s"), "revocation feed poll interval (MCP_FEED_INTERVAL)")
	useIntrospect := fs.Bool("introspect", introspectDefault, "introspect every token with the resource server's credential (MCP_INTROSPECT)")
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
	interval, err := time.ParseDuration(*feedInterval)
	if err != nil || interval <= 0 {
		return resource.Config{}, "", errors.New("-feed-interval must be a positive duration such as 5s")
	}
	// The resource server's own credential (`shark resource create`): it
	// introspects the tokens for its audience and reads the feed, nothing else.
	rsID, rsSecret := getenv("SHARK_RS_CLIENT_ID"), getenv("SHARK_RS_CLIENT_SECRET")
	if (rsID == "") != (rsSecret == "") {
		return resource.Config{}, "", errors.New("set both SHARK_RS_CLIENT_ID and SHARK_RS_CLIENT_SECRET, or neither")
	}
	adminKey := getenv("SHARK_INTROSPECT_ADMIN_KEY")
	switch {
	case *useIntrospect && rsID != "":
		cfg.Introspection = &resource.Introspection{ClientID: rsID, ClientSecret: rsSecret}
	case *useIntrospect && adminKey == "" && getenv("SHARK_INTROSPECT_CLIENT_ID") == "":
		return resource.Config{}, "", errors.New("-introspect needs the resource server's credential: SHARK_RS_CLIENT_ID and SHARK_RS_CLIENT_SECRET (shark resource create)")
	}
	if cfg.Introspection == nil {
		if adminKey != "" {
			cfg.Introspection = &resource.Introspection{BearerKey: adminKey}
		} else if id, secret := getenv("SHARK_INTROSPECT_CLIENT_ID"), getenv("SHARK_INTROSPECT_CLIENT_SECRET"); id != "" && secret != "" {
			cfg.Introspection = &resource.Introspection{ClientID: id, ClientSecret: secret}
		}
	}
	if *useFeed {
		switch {
		case rsID != "":
			cfg.Feed = &resource.Feed{ClientID: rsID, ClientSecret: rsSecret, Interval: interval}
		case adminKey != "":
			cfg.Feed = &resource.Feed{BearerKey: adminKey, Interval: interval}
		default:
			return resource.Config{}, "", errors.New("-feed needs the resource server's credential: SHARK_RS_CLIENT_ID and SHARK_RS_CLIENT_SECRET (shark resource create)")
		}
	}
	if cfg.Introspection != nil {
		cfg.Introspection.CacheTTL, cfg.Introspection.DisableCache = ttl, ttl == 0
	}
	return cfg, *listen, nil
}

// revocationMode names what the server sees of revocation, for its log.
func revocationMode(cfg resource.Config) string {
	switch {
	case cfg.Introspection != nil && cfg.Feed != nil:
		return "introspection and feed"
	case cfg.Introspection != nil:
		return "introspection (at once, or within the cache)"
	case cfg.Feed != nil:
		return "feed (within " + cfg.Feed.Interval.String() + ")"
	}
	return "offline (a revoked token is accepted until its exp)"
}

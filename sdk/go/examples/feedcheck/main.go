// Command feedcheck is a minimal resource server for the end-to-end tests of
// the revocation feed (tests/e2e/test_revocation_feed.py): it verifies
// tokens offline with sdk/go/resource and its Feed option, and counts every
// call it makes to the authorization server, so that a test can assert that
// revocations were learnt from the feed with no introspection.
//
//	feedcheck -issuer URL -resource URL -listen ADDR -interval 1s
//
// The feed credential comes from SHARK_FEED_ADMIN_KEY (the tenant's admin
// key) or SHARK_FEED_CLIENT_ID and SHARK_FEED_CLIENT_SECRET.
//
// GET /healthz answers 200; GET /stats the calls made, by kind; any other
// path requires a valid, unrevoked token and answers its claims.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sharkauth/serverless/sdk/go/resource"
)

// counter counts the requests a client sends, by what they ask for.
type counter struct {
	next                      http.RoundTripper
	introspect, feed, jwks, n atomic.Int64
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/oauth/introspect"):
		c.introspect.Add(1)
	case strings.HasSuffix(p, "/oauth/revocations"):
		c.feed.Add(1)
	case strings.HasSuffix(p, "/jwks.json"):
		c.jwks.Add(1)
	}
	return c.next.RoundTrip(r)
}

func main() {
	issuer := flag.String("issuer", "", "token issuer")
	res := flag.String("resource", "", "this resource server's URL (the audience)")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	interval := flag.Duration("interval", resource.DefaultFeedInterval, "feed poll interval")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	calls := &counter{next: http.DefaultTransport}
	feed := &resource.Feed{Interval: *interval, BearerKey: os.Getenv("SHARK_FEED_ADMIN_KEY"),
		ClientID: os.Getenv("SHARK_FEED_CLIENT_ID"), ClientSecret: os.Getenv("SHARK_FEED_CLIENT_SECRET")}
	v, err := resource.New(resource.Config{Issuer: *issuer, Resource: *res, Feed: feed, Logger: log,
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: calls}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedcheck:", err)
		os.Exit(2)
	}
	defer v.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]int64{"introspect": calls.introspect.Load(), "feed": calls.feed.Load(),
			"jwks": calls.jwks.Load(), "total": calls.n.Load()})
	})
	mux.Handle("/", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := resource.ClaimsFrom(r.Context())
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": c.Subject, "client_id": c.ClientID, "jti": c.ID})
	})))
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "feedcheck:", err)
		os.Exit(1)
	}
}

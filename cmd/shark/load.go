package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/spf13/cobra"
)

// Bounds of `shark load`: it is a benchmark for loopback only, never a tool
// to load someone else's server.
const (
	maxLoadDuration = 30 * time.Minute
	maxLoadRequests = 2_000_000
	maxLoadConns    = 256
)

// load runs a bounded client_credentials load against a token endpoint on
// loopback and reports tokens/s and latency percentiles.
func loadCommand() *cobra.Command {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	target := fs.String("url", "http://127.0.0.1:8080/oauth/token", "token endpoint (loopback only)")
	clientID := fs.String("client-id", "", "client_id")
	secret := fs.String("client-secret", "", "client secret")
	auth := fs.String("auth", "post", "client authentication: basic or post")
	dpop := fs.Bool("dpop", true, "send a fresh DPoP proof with every request")
	scope := fs.String("scope", "", "scope to request")
	audience := fs.String("audience", "", "audience to request")
	conns := fs.Int("c", 8, "concurrent keep-alive connections")
	duration := fs.Duration("d", 10*time.Second, "how long to run (at most 30m)")
	requests := fs.Int("n", 0, "stop after this many requests (0: run for -d; at most 2,000,000)")
	path := fs.String("path", "", "load GET requests on this path instead of tokens (e.g. /healthz)")
	report := fs.Duration("every", 0, "print tokens/s every interval (soak runs)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	return flagSetCommand(fs, func(ctx context.Context) error {
		u, err := url.Parse(*target)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Errorf("-url %q is not an http(s) URL", *target)
		}
		if err := requireLoopback(ctx, u.Hostname()); err != nil {
			return err
		}
		if *path != "" {
			u.Path, u.RawQuery = *path, ""
		}
		switch {
		case *conns < 1 || *conns > maxLoadConns:
			return fmt.Errorf("-c must be 1 to %d", maxLoadConns)
		case *duration <= 0 || *duration > maxLoadDuration:
			return fmt.Errorf("-d must be positive and at most %s", maxLoadDuration)
		case *requests < 0 || *requests > maxLoadRequests:
			return fmt.Errorf("-n must be 0 to %d", maxLoadRequests)
		case *path == "" && (*clientID == "" || *secret == ""):
			return errors.New("-client-id and -client-secret are required for token load")
		case *auth != "basic" && *auth != "post":
			return errors.New("-auth must be basic or post")
		}
		cfg := loadConfig{url: u.String(), clientID: *clientID, secret: *secret, basic: *auth == "basic",
			dpop: *dpop && *path == "", scope: *scope, audience: *audience, get: *path != ""}
		if *cpuProfile != "" {
			stop, err := startCPUProfile(*cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
		}
		res, err := runLoad(ctx, cfg, *conns, *duration, *requests, *report)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(os.Stdout).Encode(res)
		}
		fmt.Println(res)
		return nil
	})
}

// requireLoopback refuses any target that is not this machine's loopback.
func requireLoopback(ctx context.Context, host string) error {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("-url host %q: %w", host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("-url host %q resolves to %s, which is not loopback: shark load only targets this machine", host, a.IP)
		}
	}
	if len(addrs) == 0 {
		return fmt.Errorf("-url host %q does not resolve", host)
	}
	return nil
}

type loadConfig struct {
	url, clientID, secret, scope, audience string
	basic, dpop, get                       bool
}

// LoadResult is what one run measured. Latencies are in milliseconds.
type LoadResult struct {
	Connections int            `json:"connections"`
	DPoP        bool           `json:"dpop"`
	Requests    int            `json:"requests"`
	OK          int            `json:"ok"`
	Statuses    map[string]int `json:"statuses"`
	Errors      int            `json:"errors"`
	Seconds     float64        `json:"seconds"`
	PerSecond   float64        `json:"per_second"`
	P50         float64        `json:"p50_ms"`
	P90         float64        `json:"p90_ms"`
	P99         float64        `json:"p99_ms"`
	Max         float64        `json:"max_ms"`
}

func (r LoadResult) String() string {
	return fmt.Sprintf("c=%d dpop=%v: %d requests in %.2fs, %.0f/s ok=%d errors=%d statuses=%v p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms",
		r.Connections, r.DPoP, r.Requests, r.Seconds, r.PerSecond, r.OK, r.Errors, r.Statuses, r.P50, r.P90, r.P99, r.Max)
}

func runLoad(ctx context.Context, cfg loadConfig, conns int, duration time.Duration, limit int, every time.Duration) (LoadResult, error) {
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	transport := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	var issued atomic.Int64 // requests started, to honour -n
	type workerResult struct {
		lat      []time.Duration
		statuses map[int]int
		errors   int
	}
	results := make([]workerResult, conns)
	start := time.Now()
	if every > 0 {
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			last, lastAt := int64(0), start
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.C:
					n := issued.Load()
					fmt.Printf("t=%.0fs %.0f/s (%d requests)\n", now.Sub(start).Seconds(), float64(n-last)/now.Sub(lastAt).Seconds(), n)
					last, lastAt = n, now
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := workerResult{statuses: map[int]int{}}
			var prover *dpop.Prover
			if cfg.dpop {
				var err error
				if prover, err = dpop.NewProver(); err != nil {
					res.errors++
					results[w] = res
					return
				}
			}
			for ctx.Err() == nil {
				if limit > 0 && issued.Add(1) > int64(limit) {
					break
				} else if limit == 0 {
					issued.Add(1)
				}
				req, err := cfg.request(ctx, prover)
				if err != nil {
					res.errors++
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						res.errors++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				res.lat = append(res.lat, time.Since(t0))
				res.statuses[resp.StatusCode]++
			}
			results[w] = res
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	out := LoadResult{Connections: conns, DPoP: cfg.dpop, Statuses: map[string]int{}, Seconds: elapsed.Seconds()}
	var all []time.Duration
	for _, r := range results {
		all = append(all, r.lat...)
		out.Errors += r.errors
		for code, n := range r.statuses {
			out.Statuses[strconv.Itoa(code)] += n
			if code == http.StatusOK {
				out.OK += n
			}
		}
	}
	out.Requests = len(all)
	if len(all) == 0 {
		return out, errors.New("no request completed")
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		i := int(p * float64(len(all)-1))
		return float64(all[i].Microseconds()) / 1000
	}
	out.PerSecond = float64(len(all)) / elapsed.Seconds()
	out.P50, out.P90, out.P99, out.Max = pct(0.50), pct(0.90), pct(0.99), pct(1)
	return out, nil
}

// request builds one request: a token request with the client's credentials
// and a fresh DPoP proof, or a plain GET.
func (cfg loadConfig) request(ctx context.Context, prover *dpop.Prover) (*http.Request, error) {
	if cfg.get {
		return http.NewRequestWithContext(ctx, http.MethodGet, cfg.url, nil)
	}
	form := url.Values{"grant_type": {string(oauth.GrantClientCredentials)}}
	if cfg.scope != "" {
		form.Set("scope", cfg.scope)
	}
	if cfg.audience != "" {
		form.Set("audience", cfg.audience)
	}
	if !cfg.basic {
		form.Set("client_id", cfg.clientID)
		form.Set("client_secret", cfg.secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cfg.basic {
		req.SetBasicAuth(url.QueryEscape(cfg.clientID), url.QueryEscape(cfg.secret))
	}
	if prover != nil {
		proof, err := prover.Proof(dpop.ProofClaims{HTM: http.MethodPost, HTU: cfg.url, IAT: time.Now()})
		if err != nil {
			return nil, err
		}
		req.Header.Set("DPoP", proof)
	}
	return req, nil
}

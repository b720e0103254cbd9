package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/dpop"
)

// BenchmarkLoadCeiling is what this machine can serve at all under the load
// DESIGN §8 measures: `shark load`'s generator (8 keep-alive connections, a
// fresh ES256 proof per request, on the same cores) against a net/http
// server that does only what no token server can skip: parse the form, check
// the client's secret, validate the DPoP proof (dpop.Validator, every rule)
// and sign an ES256 access token. No runner, no store, no audit, no replay
// mark: no real server is faster than this on the same machine, so it is the
// ceiling to read the runner's figures against (BENCHMARKS.md).
//
// Both sides run in this one process, as they share the 2 cores in the
// loadbench: cpu-us/token is client and server together.
func BenchmarkLoadCeiling(b *testing.B) {
	for _, withProof := range []bool{false, true} {
		name := "bearer"
		if withProof {
			name = "dpop"
		}
		b.Run(name+"/c=8", func(b *testing.B) {
			h, err := newCeilingHandler()
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			cfg := loadConfig{url: srv.URL + "/oauth/token", clientID: "ceiling", secret: ceilingSecret, scope: "mcp:read", dpop: withProof}
			var res LoadResult
			cpu := processCPU()
			for range b.N { // one timed run: 5 s is longer than -benchtime, so b.N is 1
				var err error
				if res, err = runLoad(b.Context(), cfg, 8, 5*time.Second, 0, 0); err != nil {
					b.Fatal(err)
				}
			}
			if res.OK != res.Requests || res.Errors > 0 {
				b.Fatalf("not every request succeeded: %s", res)
			}
			b.ReportMetric(res.PerSecond, "tokens/s")
			b.ReportMetric(res.P50, "p50-ms")
			b.ReportMetric(res.P99, "p99-ms")
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(res.Requests), "cpu-us/token")
		})
	}
}

// serveCeiling serves the ceiling's handler as a process of its own, so
// that infra/loadbench.sh can load it with the same `shark load` as the
// runner, in the same run, and read its CPU from /proc/PID/stat (the
// server's alone, not the generator's). TestMain runs it instead of the
// tests when SHARK_CEILING_ADDR is set (a loopback address), until SIGTERM
// or SIGINT:
//
//	go test -c -o bin/ceiling.test ./cmd/shark/
//	SHARK_CEILING_ADDR=127.0.0.1:9999 bin/ceiling.test
//
// The client is client_id "ceiling" with the secret ceilingSecret.
func serveCeiling(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return fmt.Errorf("SHARK_CEILING_ADDR %q is not a loopback address:port", addr)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h, err := newCeilingHandler()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	<-stop
	return srv.Close()
}

const ceilingSecret = "ceiling-secret-0123456789abcdef0123456789abcdef"

// newCeilingHandler is the minimal token endpoint described above.
func newCeilingHandler() (http.Handler, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	want := sha256.Sum256([]byte(ceilingSecret))
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"ceiling","typ":"at+jwt"}`))
	v := dpop.Validator{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		got := sha256.Sum256([]byte(r.PostForm.Get("client_secret")))
		if r.PostForm.Get("client_id") != "ceiling" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		claims := map[string]any{"iss": "http://" + r.Host, "sub": "ceiling", "aud": "mcp", "client_id": "ceiling",
			"scope": r.PostForm.Get("scope"), "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		tokenType := "Bearer"
		if raw := r.Header.Get("DPoP"); raw != "" {
			proof, err := v.Validate(raw, dpop.Request{Method: http.MethodPost, URL: "http://" + r.Host + "/oauth/token"})
			if err != nil {
				http.Error(w, `{"error":"invalid_dpop_proof"}`, http.StatusBadRequest)
				return
			}
			claims["cnf"], tokenType = map[string]string{"jkt": proof.JKT}, "DPoP"
		}
		var jti [16]byte
		rand.Read(jti[:])
		claims["jti"] = base64.RawURLEncoding.EncodeToString(jti[:])
		payload, _ := json.Marshal(claims)
		input := header + "." + base64.RawURLEncoding.EncodeToString(payload)
		digest := sha256.Sum256([]byte(input))
		rs, ss, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
			return
		}
		var sig [64]byte
		rs.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]any{"access_token": input + "." + base64.RawURLEncoding.EncodeToString(sig[:]),
			"token_type": tokenType, "expires_in": 3600})
	}), nil
}

// processCPU is this process's CPU time, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

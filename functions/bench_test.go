package functions_test

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/local"
	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/lambdax"
)

// coldEvents is the first event each function answers in BenchmarkColdStart
// (the events of TestBootstraps).
func coldEvents(b *testing.B, p *tokenProver) map[string]func() []byte {
	return map[string]func() []byte{
		"jwks": func() []byte {
			return get("/.well-known/jwks.json", "GET /.well-known/{proxy+}", map[string]string{"proxy": "jwks.json"})
		},
		"admin": func() []byte { return get("/healthz", "GET /healthz", nil) },
		"token": func() []byte { return tokenRequest(b, p, tokenClientSecret) },
		"register": func() []byte {
			return event("POST", "/oauth/register", "ANY /oauth/register", nil,
				map[string]string{"content-type": "application/json"}, `{"client_name":"bench","grant_types":["client_credentials"]}`)
		},
		"audit": func() []byte { return get("/api/v1/audit-logs", "ANY /api/v1/audit-logs", nil) },
		"authorize": func() []byte {
			return withQuery(get("/oauth/authorize", "ANY /oauth/authorize", nil), "client_id=nope&response_type=code")
		},
	}
}

// BenchmarkColdStart starts each function's real bootstrap under a new
// aws-lambda-rie per iteration (built as infra/sam.mk builds it, for this
// host) and times RIE exec → first answered event, on moto. It reports the
// median and p90 over the iterations (run it with -benchtime 20x or more for
// a median of at least 20): `make bench` (needs moto: infra/moto.sh).
func BenchmarkColdStart(b *testing.B) {
	rie := rieBinary(b)
	endpoint := awstest.Endpoint(b)
	dir := b.TempDir()
	table, keyID, _ := prepareDeployment(b, endpoint)
	env := functionEnv(dir, endpoint, table, keyID)
	events := coldEvents(b, newTokenProver(b))
	for _, name := range functions {
		bootstrap := buildBootstrap(b, name, runtime.GOARCH, filepath.Join(dir, name))
		b.Run(name, func(b *testing.B) {
			var d []time.Duration
			for b.Loop() {
				ev := decodeEvent(b, events[name]())
				start := time.Now()
				f, err := local.StartRIE(name, rie, bootstrap, env, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
				resp, err := f.Invoke(ctx, ev)
				elapsed := time.Since(start)
				cancel()
				f.Stop()
				if err != nil || resp.StatusCode >= 500 {
					b.Fatalf("%s: first event: %v %d", name, err, resp.StatusCode)
				}
				d = append(d, elapsed)
			}
			reportMedian(b, d)
		})
	}
}

// BenchmarkTokenIssuanceRIE issues real tokens (client_credentials + DPoP,
// a fresh proof each) through the token bootstrap under aws-lambda-rie on
// moto: the warm duration a Lambda invocation of the token function bills,
// plus RIE's and moto's own time.
func BenchmarkTokenIssuanceRIE(b *testing.B) {
	rie := rieBinary(b)
	endpoint := awstest.Endpoint(b)
	dir := b.TempDir()
	table, keyID, _ := prepareDeployment(b, endpoint)
	env := functionEnv(dir, endpoint, table, keyID)
	bootstrap := buildBootstrap(b, "token", runtime.GOARCH, filepath.Join(dir, "token"))
	f, err := local.StartRIE("token", rie, bootstrap, env, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Stop)
	p := newTokenProver(b)
	invoke := func() {
		resp, err := f.Invoke(b.Context(), decodeEvent(b, tokenRequest(b, p, tokenClientSecret)))
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("token: %v %d %s", err, resp.StatusCode, resp.Body)
		}
	}
	invoke() // cold
	var d []time.Duration
	for b.Loop() {
		start := time.Now()
		invoke()
		d = append(d, time.Since(start))
	}
	reportMedian(b, d)
}

func decodeEvent(b *testing.B, raw []byte) lambdax.Request {
	var ev lambdax.Request
	if err := json.Unmarshal(raw, &ev); err != nil {
		b.Fatal(err)
	}
	return ev
}

func reportMedian(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2])/1e6, "ms-median")
	b.ReportMetric(float64(d[len(d)*9/10])/1e6, "ms-p90")
	b.ReportMetric(float64(len(d)), "samples")
}

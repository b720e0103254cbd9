// Package functions_test runs the real Lambda bootstraps of functions/ under
// AWS's Lambda Runtime Interface Emulator (aws-lambda-rie, DESIGN §6), on the
// emulated DynamoDB and KMS of moto's server, with API Gateway HTTP API
// (payload 2.0) events. It also reports what DESIGN §8 budgets for a bootstrap:
// its size and its cold start.
//
//	make deps && infra/moto.sh go test -run TestBootstraps -v ./functions/
package functions_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// RIEEnv names the variable that carries the path of aws-lambda-rie; `make
// deps` installs it into bin/ and the Makefile exports it.
const RIEEnv = "SHARK_RIE"

const (
	publicURL  = "https://auth.example.test"
	publicHost = "auth.example.test"
	rootTenant = "default"
	// maxBootstrap is DESIGN §8's budget for a bootstrap binary.
	maxBootstrap = 15 << 20
	// warmInvokes is how many invokes after the first the warm latency is the median of.
	warmInvokes = 10
)

// functions are the bootstraps under test, by directory name under functions/.
var functions = []string{"jwks", "admin", "token", "register", "audit", "authorize"}

func TestBootstraps(t *testing.T) {
	rie := rieBinary(t)
	endpoint := awstest.Endpoint(t)
	dir := t.TempDir()

	// The bootstraps, built as sam build does (infra/sam.mk), for this host to
	// run here and for linux/arm64 (what is deployed) to weigh.
	host, deployed := map[string]string{}, map[string]string{}
	for _, name := range functions {
		host[name] = buildBootstrap(t, name, runtime.GOARCH, filepath.Join(dir, runtime.GOARCH, name))
		deployed[name] = host[name]
		if runtime.GOARCH != "arm64" {
			deployed[name] = buildBootstrap(t, name, "arm64", filepath.Join(dir, "arm64", name))
		}
	}

	table, keyID, platformKey := prepareDeployment(t, endpoint)
	env := functionEnv(dir, endpoint, table, keyID)

	// One function at a time, so that the cold starts do not share the CPU.
	jwks := startFunction(t, "jwks", rie, host["jwks"], env)
	root := jwks.coldInvoke(t, get("/.well-known/jwks.json", "GET /.well-known/{proxy+}", map[string]string{"proxy": "jwks.json"}))
	jwks.warm(t, get("/.well-known/jwks.json", "GET /.well-known/{proxy+}", map[string]string{"proxy": "jwks.json"}))
	admin := startFunction(t, "admin", rie, host["admin"], env)
	health := admin.coldInvoke(t, get("/healthz", "GET /healthz", nil))
	admin.warm(t, get("/healthz", "GET /healthz", nil))
	prover := newTokenProver(t)
	tokenFn := startFunction(t, "token", rie, host["token"], env)
	issued := tokenFn.coldInvoke(t, tokenRequest(t, prover, tokenClientSecret))
	tokenFn.warm(t, tokenRequest(t, prover, "wrong-secret"))

	reg := startFunction(t, "register", rie, host["register"], env)
	registered := reg.coldInvoke(t, event("POST", "/oauth/register", "ANY /oauth/register", nil,
		map[string]string{"content-type": "application/json"}, `{"client_name":"rie agent","grant_types":["client_credentials"],"scope":"mcp:read"}`))
	reg.warm(t, get("/oauth/register/shark_dcr_unknown", "ANY /oauth/register/{proxy+}", map[string]string{"proxy": "shark_dcr_unknown"}))

	auditFn := startFunction(t, "audit", rie, host["audit"], env)
	auditNoKey := auditFn.coldInvoke(t, get("/api/v1/audit-logs", "ANY /api/v1/audit-logs", nil))
	auditFn.warm(t, get("/api/v1/audit-logs", "ANY /api/v1/audit-logs", nil))

	authz := startFunction(t, "authorize", rie, host["authorize"], env)
	authzUnknown := authz.coldInvoke(t, withQuery(get("/oauth/authorize", "ANY /oauth/authorize", nil), "client_id=nope&response_type=code"))
	authz.warm(t, withQuery(get("/oauth/authorize", "ANY /oauth/authorize", nil), "client_id=nope&response_type=code"))

	// Reported, never asserted.
	for _, f := range []*function{jwks, admin, tokenFn, reg, auditFn, authz} {
		t.Logf("%-5s bootstrap %s (linux/%s), %s (linux/arm64); cold start (RIE exec → first answered event) %s; "+
			"first invoke (bootstrap exec, init, event) %s, of which init (exec → first next-event call) %s; warm invoke %s (median of %d)",
			f.name, megabytes(fileSize(t, host[f.name])), runtime.GOARCH, megabytes(fileSize(t, deployed[f.name])),
			ms(f.coldStart), ms(f.firstInvoke), f.initDuration(), ms(f.warmMedian), warmInvokes)
	}

	t.Run("bootstrap size", func(t *testing.T) {
		for _, name := range functions {
			for _, path := range []string{host[name], deployed[name]} {
				if size := fileSize(t, path); size >= maxBootstrap {
					t.Errorf("%s: %s is %s, over the %s budget of DESIGN §8", name, path, megabytes(size), megabytes(maxBootstrap))
				}
			}
		}
	})

	t.Run("register root", func(t *testing.T) {
		registered.want(t, http.StatusCreated, "no-store")
		body := registered.object(t)
		id, _ := body["client_id"].(string)
		rat, _ := body["registration_access_token"].(string)
		if !strings.HasPrefix(id, "shark_dcr_") || body["registration_client_uri"] != publicURL+"/oauth/register/"+id || rat == "" {
			t.Fatalf("registration: %v", body)
		}
		path := "/oauth/register/" + id
		got := reg.invoke(t, event("GET", path, "ANY /oauth/register/{proxy+}", map[string]string{"proxy": id}, map[string]string{"authorization": "Bearer " + rat}, ""))
		got.want(t, http.StatusOK, "no-store")
		if got.object(t)["client_id"] != id {
			t.Fatalf("read: %s", got.Body)
		}
		wrong := reg.invoke(t, event("GET", path, "ANY /oauth/register/{proxy+}", map[string]string{"proxy": id}, map[string]string{"authorization": "Bearer nope"}, ""))
		wrong.want(t, http.StatusUnauthorized, "no-store")
	})

	var rootKid string
	t.Run("jwks root", func(t *testing.T) {
		root.want(t, http.StatusOK, "public, max-age=300")
		keys := root.keys(t)
		if len(keys) != 1 {
			t.Fatalf("want one key, got %s", root.Body)
		}
		k := keys[0]
		if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["x"] == nil || k["y"] == nil {
			t.Fatalf("key: %v", k)
		}
		rootKid, _ = k["kid"].(string)
		if len(rootKid) != 16 {
			t.Fatalf("kid %q, want 16 characters", rootKid)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Fatalf("JWKS publishes private member %q", private)
			}
		}
	})

	t.Run("metadata root", func(t *testing.T) {
		r := jwks.invoke(t, get("/.well-known/oauth-authorization-server", "GET /.well-known/{proxy+}", map[string]string{"proxy": "oauth-authorization-server"}))
		r.want(t, http.StatusOK, "public, max-age=3600")
		body := r.object(t)
		if body["issuer"] != publicURL || body["jwks_uri"] != publicURL+"/.well-known/jwks.json" {
			t.Fatalf("metadata: %s", r.Body)
		}
	})

	t.Run("unknown tenant", func(t *testing.T) {
		r := jwks.invoke(t, get("/t/nope/.well-known/jwks.json", "GET /t/{tenant}/.well-known/{proxy+}", map[string]string{"tenant": "nope", "proxy": "jwks.json"}))
		r.want(t, http.StatusNotFound, "")
		if body := r.object(t); body["error"] != "not_found" || body["message"] != "unknown tenant" {
			t.Fatalf("body: %s", r.Body)
		}
	})

	t.Run("token", func(t *testing.T) {
		issued.want(t, http.StatusOK, "no-store")
		body := issued.object(t)
		at, _ := body["access_token"].(string)
		cnf, _ := body["cnf"].(map[string]any)
		if body["token_type"] != "DPoP" || cnf["jkt"] != prover.jkt || body["scope"] != "mcp:read" {
			t.Fatalf("token response: %v", body)
		}
		header := jwtPart(t, at, 0)
		claims := jwtPart(t, at, 1)
		if header["typ"] != "at+jwt" || header["kid"] != rootKid || claims["iss"] != publicURL || claims["client_id"] != tokenClientID {
			t.Fatalf("token: header %v claims %v", header, claims)
		}
		wrong := tokenFn.invoke(t, tokenRequest(t, prover, "wrong-secret"))
		wrong.want(t, http.StatusUnauthorized, "no-store")
		if wrong.object(t)["error"] != "invalid_client" {
			t.Fatalf("wrong secret: %s", wrong.Body)
		}
	})

	t.Run("healthz", func(t *testing.T) {
		health.want(t, http.StatusOK, "")
		if body := health.object(t); len(body) != 1 || body["status"] != "ok" {
			t.Fatalf("body: %s", health.Body)
		}
	})

	t.Run("audit without key", func(t *testing.T) {
		auditNoKey.want(t, http.StatusUnauthorized, "no-store")
		if body := auditNoKey.object(t); body["error"] != "unauthorized" || body["message"] != "missing API key" {
			t.Fatalf("body: %s", auditNoKey.Body)
		}
	})

	t.Run("authorize: an unknown client is a page, never a redirect", func(t *testing.T) {
		r := authzUnknown
		if r.StatusCode != http.StatusBadRequest || r.header("Location") != "" || !strings.HasPrefix(r.header("Content-Type"), "text/html") ||
			!strings.Contains(r.Body, "not known") || !strings.Contains(r.header("Content-Security-Policy"), "frame-ancestors 'none'") ||
			r.header("X-Frame-Options") != "DENY" || r.header("Cache-Control") != "no-store" {
			t.Fatalf("authorize: %d %v %s", r.StatusCode, r.Headers, r.Body)
		}
		out := authz.invoke(t, event("POST", "/oauth/logout", "ANY /oauth/logout", nil, nil, ""))
		if out.StatusCode != http.StatusOK || !strings.Contains(out.Body, "signed out") || !strings.HasPrefix(out.header("Content-Type"), "text/html") {
			t.Fatalf("logout without a session: %d %s", out.StatusCode, out.Body)
		}
		unknown := authz.invoke(t, get("/t/nope/oauth/authorize", "ANY /t/{tenant}/oauth/authorize", map[string]string{"tenant": "nope"}))
		unknown.want(t, http.StatusNotFound, "")
	})

	t.Run("platform without key", func(t *testing.T) {
		r := admin.invoke(t, post("/platform/v1/tenants", "", `{"id":"nokey"}`))
		r.want(t, http.StatusUnauthorized, "")
		if body := r.object(t); body["error"] != "unauthorized" || body["message"] != "missing API key" {
			t.Fatalf("body: %s", r.Body)
		}
	})

	t.Run("create tenant", func(t *testing.T) {
		r := admin.invoke(t, post("/platform/v1/tenants", platformKey, `{"id":"acme"}`))
		if r.StatusCode != http.StatusCreated {
			// The body of a success carries a secret: show it only on failure.
			t.Fatalf("create acme: %d %s", r.StatusCode, r.Body)
		}
		r.want(t, http.StatusCreated, "")
		body := r.object(t)
		tn, _ := body["tenant"].(map[string]any)
		adminKey, _ := body["admin_key"].(string)
		if body["issuer"] != publicURL+"/t/acme" || tn["id"] != "acme" || !strings.HasPrefix(adminKey, "sk_live_") {
			t.Fatalf("create acme: issuer %v, tenant %v, admin key present %v", body["issuer"], tn, adminKey != "")
		}

		acme := jwks.invoke(t, get("/t/acme/.well-known/jwks.json", "GET /t/{tenant}/.well-known/{proxy+}", map[string]string{"tenant": "acme", "proxy": "jwks.json"}))
		acme.want(t, http.StatusOK, "public, max-age=300")
		keys := acme.keys(t)
		if len(keys) != 1 {
			t.Fatalf("acme: want one key, got %s", acme.Body)
		}
		if kid, _ := keys[0]["kid"].(string); len(kid) != 16 || kid == rootKid {
			t.Fatalf("acme kid %q, root kid %q: want a key of its own", kid, rootKid)
		}

		// The tenant's trail holds its creation, read with its admin key.
		trail := auditFn.invoke(t, event("GET", "/t/acme/api/v1/audit-logs", "ANY /t/{tenant}/api/v1/audit-logs",
			map[string]string{"tenant": "acme"}, map[string]string{"authorization": "Bearer " + adminKey}, ""))
		trail.want(t, http.StatusOK, "no-store")
		var events []string
		for _, ev := range trail.object(t)["data"].([]any) {
			events = append(events, ev.(map[string]any)["event"].(string))
		}
		if !slices.Contains(events, "tenant.created") || !slices.Contains(events, "api_key.created") {
			t.Fatalf("acme's trail: %v", events)
		}

		md := jwks.invoke(t, get("/.well-known/oauth-authorization-server/t/acme", "GET /.well-known/{proxy+}", map[string]string{"proxy": "oauth-authorization-server/t/acme"}))
		md.want(t, http.StatusOK, "public, max-age=3600")
		if body := md.object(t); body["issuer"] != publicURL+"/t/acme" || body["jwks_uri"] != publicURL+"/t/acme/.well-known/jwks.json" {
			t.Fatalf("acme metadata: %s", md.Body)
		}
	})
}

// rieBinary returns the path of aws-lambda-rie from SHARK_RIE, failing the
// test when it is not there.
func rieBinary(t testing.TB) string {
	t.Helper()
	path := os.Getenv(RIEEnv)
	if path == "" {
		t.Fatalf("%s is not set: run `make deps` (it installs aws-lambda-rie into bin/) and the tests with `make test`, or set %s=$PWD/bin/aws-lambda-rie", RIEEnv, RIEEnv)
	}
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable (%v): run `make deps`, which installs aws-lambda-rie into bin/", RIEEnv, path, err)
	}
	return path
}

// buildBootstrap builds ./functions/<name> for linux/goarch with the flags of
// infra/sam.mk into dir/bootstrap.
func buildBootstrap(t testing.TB, name, goarch, dir string) string {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the bootstraps: %v", err)
	}
	out := filepath.Join(dir, "bootstrap")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocmd, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s for linux/%s: %v\n%s", name, goarch, err, b)
	}
	return out
}

// prepareDeployment creates what a deployment has before its functions run: the
// table, the KMS wrapping key, and the root tenant with its signing key (first
// boot, envelope mode). It returns the table, the key and the platform key.
func prepareDeployment(t testing.TB, endpoint string) (table, keyID, platformKey string) {
	t.Helper()
	ctx := t.Context()
	_, table = awstest.NewTable(t)

	kc := awstest.KMS(t)
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec:     kmstypes.KeySpecSymmetricDefault,
		KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
		Description: aws.String("SharkAuth bootstrap test wrapping key"),
	})
	if err != nil {
		t.Fatalf("KMS CreateKey: %v", err)
	}
	// The template gives the functions the key's ARN.
	keyID = aws.ToString(key.KeyMetadata.Arn)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// moto answers 500 to ScheduleKeyDeletion by ARN: delete by key id.
		if _, err := kc.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)}); err != nil {
			t.Errorf("KMS ScheduleKeyDeletion: %v", err)
		}
	})

	awsCfg := awstest.Config(t)
	cfg := config.Config{
		PublicURL: publicURL, RootTenant: tenant.MustID(rootTenant),
		Store: config.StoreDynamoDB, TableName: table, Endpoint: endpoint, Region: awstest.Region,
		KeyMode: "envelope", KMSKeyID: keyID, LogLevel: "error",
	}
	env, err := app.NewEnv(ctx, cfg, app.Options{AWS: &awsCfg})
	if err != nil {
		t.Fatalf("app.NewEnv: %v", err)
	}
	defer env.Close()
	boot, err := env.Boot(ctx)
	if err != nil {
		t.Fatalf("first boot: %v", err)
	}
	if boot == nil || !strings.HasPrefix(boot.PlatformKey, "sk_platform_") {
		t.Fatal("first boot on a new table returned no platform key")
	}
	// An agent of the root tenant for the token function.
	now := time.Now().UTC()
	err = env.Store.CreateClient(ctx, tenant.MustID(rootTenant), store.Client{
		ID: "agent_rie", ClientID: tokenClientID, Kind: "agent", Name: "rie", SecretHash: ids.Hash(tokenClientSecret),
		AuthMethod: "client_secret_post", GrantTypes: []string{"client_credentials"}, Scopes: []string{"mcp:read"},
		Active: true, CreatedAt: now, UpdatedAt: now,
	}, store.AuditEvent{ID: ids.New("aud_"), Event: "agent.created", ActorType: "system", ActorID: "rie-test", Metadata: map[string]any{}, Status: "success", CreatedAt: now})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	return table, keyID, boot.PlatformKey
}

const (
	tokenClientID     = "shark_agent_rie"
	tokenClientSecret = "rie-test-secret"
)

// tokenProver is the client's DPoP prover.
type tokenProver struct {
	*dpop.Prover
	jkt string
}

func newTokenProver(t testing.TB) *tokenProver {
	p, err := dpop.NewProver()
	if err != nil {
		t.Fatal(err)
	}
	return &tokenProver{Prover: p, jkt: p.JKT()}
}

// tokenRequest is a client_credentials + DPoP request event; the function
// runs on the real clock, so the proof's iat is the real time.
func tokenRequest(t testing.TB, p *tokenProver, secret string) []byte {
	t.Helper()
	proof, err := p.Proof(dpop.ProofClaims{HTM: "POST", HTU: publicURL + "/oauth/token", IAT: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {tokenClientID}, "client_secret": {secret}, "scope": {"mcp:read"}}.Encode()
	headers := map[string]string{"content-type": "application/x-www-form-urlencoded", "content-length": strconv.Itoa(len(body)), "dpop": proof}
	return event("POST", "/oauth/token", "ANY /oauth/token", nil, headers, body)
}

// jwtPart decodes part i (0 header, 1 claims) of a compact JWT.
func jwtPart(t *testing.T, jwt string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// functionEnv is the environment of every function: the template's variables
// (template.yaml Globals) plus what Lambda would provide, and nothing of this
// process's environment but PATH.
func functionEnv(dir, endpoint, table, keyID string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		// No shared AWS configuration of the machine leaks in.
		"HOME=" + dir,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "aws-config-none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "aws-credentials-none"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_REGION=" + awstest.Region,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"STORE=dynamodb",
		"TABLE_NAME=" + table,
		"KEY_MODE=envelope",
		"KMS_KEY_ID=" + keyID,
		"ROOT_TENANT=" + rootTenant,
		"PUBLIC_URL=" + publicURL,
		// aws-lambda-rie reads LOG_LEVEL too (logrus accepts the same four names).
		"LOG_LEVEL=info",
		// The template's Timeout and MemorySize; RIE's default timeout is 300 s.
		"AWS_LAMBDA_FUNCTION_TIMEOUT=10",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
	}
}

// function is one bootstrap running under its own aws-lambda-rie.
type function struct {
	name    string
	url     string
	client  *http.Client
	started time.Time
	exited  chan struct{}
	output  *syncBuffer

	coldStart   time.Duration // RIE exec → first answered event
	firstInvoke time.Duration // the first event: bootstrap exec, init, handler
	warmMedian  time.Duration
}

// startFunction starts aws-lambda-rie with bootstrap on two free 127.0.0.1
// ports. RIE starts the bootstrap on the first invoke. Both are stopped when
// the test ends.
func startFunction(t *testing.T, name, rie, bootstrap string, env []string) *function {
	t.Helper()
	addrs := freeAddrs(t, 2)
	addr, apiAddr := addrs[0], addrs[1]
	f := &function{
		name:   name,
		url:    "http://" + addr + "/2015-03-31/functions/function/invocations",
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}},
		exited: make(chan struct{}),
		output: &syncBuffer{},
	}
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append(slices.Clone(env), "AWS_LAMBDA_FUNCTION_NAME="+name)
	cmd.Stdout, cmd.Stderr = f.output, f.output
	cmd.WaitDelay = 5 * time.Second

	f.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start %s: %v", name, rie, err)
	}
	go func() {
		cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		f.client.CloseIdleConnections()
		// SIGTERM lets RIE stop the bootstrap (its child, in a process group
		// of its own) and reap it; SIGKILL only if RIE does not exit. A
		// bootstrap whose RIE is gone exits when its next-event call fails.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-f.exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			select {
			case <-f.exited:
			case <-time.After(10 * time.Second):
				t.Errorf("%s: aws-lambda-rie (pid %d) did not exit after SIGKILL", name, cmd.Process.Pid)
			}
		}
		if t.Failed() {
			t.Logf("%s: output of aws-lambda-rie and the bootstrap:\n%s", name, f.output.String())
		}
	})
	return f
}

// coldInvoke sends the first event, retrying while RIE does not yet accept
// connections, and records the cold start and the first invoke's latency.
func (f *function) coldInvoke(t *testing.T, event []byte) *response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		start := time.Now()
		r, err := f.post(ctx, event)
		if err == nil {
			f.firstInvoke = time.Since(start)
			f.coldStart = time.Since(f.started)
			return r
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("%s: first invoke: %v", f.name, err)
		}
		select {
		case <-f.exited:
			t.Fatalf("%s: aws-lambda-rie exited before answering", f.name)
		case <-ctx.Done():
			t.Fatalf("%s: aws-lambda-rie did not accept an invoke within 30 s: %v", f.name, err)
		case <-tick.C:
		}
	}
}

// warm sends event warmInvokes times and records the median latency.
func (f *function) warm(t *testing.T, event []byte) {
	t.Helper()
	var d []time.Duration
	for range warmInvokes {
		start := time.Now()
		f.invoke(t, event)
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	f.warmMedian = d[len(d)/2]
}

// invoke sends one event and returns the function's answer.
func (f *function) invoke(t *testing.T, event []byte) *response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	r, err := f.post(ctx, event)
	if err != nil {
		t.Fatalf("%s: invoke: %v", f.name, err)
	}
	return r
}

// post is one invoke through RIE's API. An answer that is not an HTTP API
// response (a Lambda function error, an RIE error) is an error.
func (f *function) post(ctx context.Context, event []byte) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r response
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &r) != nil || r.StatusCode == 0 {
		return nil, fmt.Errorf("aws-lambda-rie answered %d: %s", resp.StatusCode, raw)
	}
	if r.IsBase64Encoded {
		return nil, fmt.Errorf("JSON answer base64-encoded: %s", raw)
	}
	return &r, nil
}

// initReportRE matches RIE's log line (level info) with the bootstrap's init:
// from its exec to its first call for the next event. RIE's REPORT line has an
// "Init Duration" too, but that one only times handing the init over (~0.02 ms).
var initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

func (f *function) initDuration() string {
	m := initReportRE.FindStringSubmatch(f.output.String())
	if m == nil {
		return "(no INIT REPORT in RIE's log)"
	}
	d, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return m[1] + " ms"
	}
	return fmt.Sprintf("%.1f ms", d)
}

// response is the function's answer: an HTTP API (payload 2.0) response.
type response struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
	Cookies           []string            `json:"cookies"`
}

func (r *response) header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// want checks the status, the JSON content type, the security headers and,
// when cacheControl is not empty, Cache-Control.
func (r *response) want(t *testing.T, status int, cacheControl string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, status, r.Body)
	}
	if ct := r.header("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if cacheControl != "" && r.header("Cache-Control") != cacheControl {
		t.Errorf("Cache-Control %q, want %q", r.header("Cache-Control"), cacheControl)
	}
	if r.header("X-Content-Type-Options") != "nosniff" || r.header("X-Request-Id") == "" {
		t.Errorf("missing security or request-id headers: %v", r.Headers)
	}
}

func (r *response) object(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("body is not a JSON object: %s", r.Body)
	}
	return v
}

func (r *response) keys(t *testing.T) []map[string]any {
	t.Helper()
	var v struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("body is not a JWKS: %s", r.Body)
	}
	return v.Keys
}

// get and post build API Gateway HTTP API (payload 2.0) events as API Gateway
// sends them for the template's routes.
func get(path, routeKey string, pathParameters map[string]string) []byte {
	return event("GET", path, routeKey, pathParameters, nil, "")
}

func post(path, key, body string) []byte {
	headers := map[string]string{"content-type": "application/json", "content-length": strconv.Itoa(len(body))}
	if key != "" {
		headers["authorization"] = "Bearer " + key
	}
	proxy := strings.TrimPrefix(path, "/platform/v1/")
	return event("POST", path, "ANY /platform/v1/{proxy+}", map[string]string{"proxy": proxy}, headers, body)
}

func event(method, path, routeKey string, pathParameters, extra map[string]string, body string) []byte {
	var id [8]byte
	_, _ = rand.Read(id[:])
	headers := map[string]string{
		"host":              publicHost,
		"x-forwarded-proto": "https",
		"x-forwarded-port":  "443",
		"x-forwarded-for":   "203.0.113.7",
		"user-agent":        "shark-bootstrap-test/1.0",
		"accept":            "application/json",
	}
	for k, v := range extra {
		headers[k] = v
	}
	ev := map[string]any{
		"version":        "2.0",
		"routeKey":       routeKey,
		"rawPath":        path,
		"rawQueryString": "",
		"headers":        headers,
		"requestContext": map[string]any{
			"accountId":    "123456789012",
			"apiId":        "shark0test",
			"domainName":   publicHost,
			"domainPrefix": strings.SplitN(publicHost, ".", 2)[0],
			"http": map[string]any{
				"method":    method,
				"path":      path,
				"protocol":  "HTTP/1.1",
				"sourceIp":  "203.0.113.7",
				"userAgent": headers["user-agent"],
			},
			"requestId": hex.EncodeToString(id[:]),
			"routeKey":  routeKey,
			"stage":     "$default",
			"time":      "24/Nov/2026:12:00:00 +0000",
			"timeEpoch": 1795521600000,
		},
		"isBase64Encoded": false,
	}
	if len(pathParameters) > 0 {
		ev["pathParameters"] = pathParameters
	}
	if body != "" {
		ev["body"] = body
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return b
}

// withQuery sets the raw query string of an event.
func withQuery(ev []byte, rawQuery string) []byte {
	var m map[string]any
	if err := json.Unmarshal(ev, &m); err != nil {
		panic(err)
	}
	m["rawQueryString"] = rawQuery
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// freeAddrs returns n distinct 127.0.0.1 addresses with ports nothing listens
// on now (all are held open until all are chosen, so no port comes twice).
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// syncBuffer collects a process's output from the goroutines exec copies with.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/keys/keystest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// faultStack is every function over one environment in envelope key mode,
// with its table behind a tabletest.Outage and its KMS behind a
// keystest.Faulty, and the state a request of each route needs.
type faultStack struct {
	t     *testing.T
	env   *app.Env
	table *tabletest.Outage
	kms   *keystest.Faulty
	fns   map[string]http.Handler

	adminKey, platformKey, acmeKey string
	agentID, clientID, secret      string
	acmeClientID, acmeSecret       string
	token                          string
	dcrClientID, dcrRAT            string
}

func newFaultStack(t *testing.T) *faultStack {
	t.Helper()
	dir := t.TempDir()
	now := storetest.NewClock().Now
	tbl, err := embedded.Open(filepath.Join(dir, "shark.db"), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Close() })
	s := &faultStack{t: t,
		table: &tabletest.Outage{Table: tbl},
		kms:   &keystest.Faulty{KMSAPI: &keystest.WrapOnly{}},
	}
	cfg := config.Config{
		PublicURL: "http://localhost:8080", RootTenant: tenant.MustID("default"),
		Store: config.StoreEmbedded, DataDir: dir, KeyMode: store.ModeEnvelope, KMSKeyID: keystest.KeyARN,
		LogLevel: "error",
	}
	s.env, err = app.NewEnv(t.Context(), cfg, app.Options{Now: now, Table: s.table, KMS: s.kms, LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.env.Close() })
	boot, err := s.env.Boot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.adminKey, s.platformKey = boot.AdminKey, boot.PlatformKey
	s.fns = map[string]http.Handler{}
	for name, build := range app.Functions {
		s.fns[name] = build(s.env)
	}

	a := s.must(201, "POST", "/api/v1/agents", s.adminKey, `{"name":"a1","scopes":["mcp:read"]}`)
	s.agentID, s.clientID, s.secret = a["id"].(string), a["client_id"].(string), a["client_secret"].(string)
	tok := s.must(200, "POST", "/oauth/token", "", s.tokenForm(s.clientID, s.secret))
	s.token = tok["access_token"].(string)
	ten := s.must(201, "POST", "/platform/v1/tenants", s.platformKey, `{"id":"acme","name":"Acme"}`)
	s.acmeKey = ten["admin_key"].(string)
	b := s.must(201, "POST", "/t/acme/api/v1/agents", s.acmeKey, `{"name":"b1"}`)
	s.acmeClientID, s.acmeSecret = b["client_id"].(string), b["client_secret"].(string)
	d := s.must(201, "POST", "/oauth/register", "", `{"client_name":"dcr"}`)
	s.dcrClientID, s.dcrRAT = d["client_id"].(string), d["registration_access_token"].(string)
	// The keys cache is warm now; a cold one is what meets a KMS outage.
	s.table.Arm(0)
	return s
}

// newContainer replaces the functions with ones over a new environment on
// the same table and KMS: a new Lambda container, whose key cache is cold.
func (s *faultStack) newContainer() {
	s.t.Helper()
	cfg := s.env.Config
	env, err := app.NewEnv(s.t.Context(), cfg, app.Options{Now: s.env.Now, Table: s.table, KMS: s.kms, LogOutput: io.Discard})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { env.Close() })
	s.env = env
	for name, build := range app.Functions {
		s.fns[name] = build(env)
	}
}

func (s *faultStack) tokenForm(id, secret string) string {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode()
}

// function is the function template.yaml routes path to.
func function(path string) string {
	p := path
	if strings.HasPrefix(p, "/t/") {
		if i := strings.Index(p[3:], "/"); i >= 0 {
			p = p[3+i:]
		}
	}
	switch {
	case strings.HasPrefix(p, "/.well-known/"):
		return "jwks"
	case strings.HasPrefix(p, "/oauth/register"):
		return "register"
	case strings.HasPrefix(p, "/oauth/"):
		return "token"
	case strings.HasPrefix(p, "/api/v1/audit-logs"), strings.HasPrefix(p, "/api/v1/admin/audit-logs/"),
		strings.HasPrefix(p, "/api/v1/users/") && strings.HasSuffix(p, "/audit-logs"):
		return "audit"
	}
	return "admin"
}

type faultAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (s *faultStack) call(method, path, key, body string) faultAnswer {
	s.t.Helper()
	r := httptest.NewRequestWithContext(s.t.Context(), method, "http://localhost:8080"+path, strings.NewReader(body))
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		ct := "application/json"
		if !strings.HasPrefix(body, "{") {
			ct = "application/x-www-form-urlencoded"
		}
		r.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	s.fns[function(path)].ServeHTTP(w, r)
	raw, _ := io.ReadAll(w.Result().Body)
	a := faultAnswer{status: w.Code, header: w.Header(), raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (s *faultStack) must(status int, method, path, key, body string) map[string]any {
	s.t.Helper()
	a := s.call(method, path, key, body)
	if a.status != status {
		s.t.Fatalf("setup: %s %s: %d %s", method, path, a.status, a.raw)
	}
	return a.body
}

// faultRequest is one request of a route; its fields are filled from the stack.
type faultRequest struct {
	name              string
	method, path, key string
	body              string
}

func routeRequests(s *faultStack) []faultRequest {
	return []faultRequest{
		{name: "jwks", method: "GET", path: "/.well-known/jwks.json"},
		{name: "metadata", method: "GET", path: "/.well-known/oauth-authorization-server"},
		{name: "path tenant jwks", method: "GET", path: "/t/acme/.well-known/jwks.json"},
		{name: "token", method: "POST", path: "/oauth/token", body: s.tokenForm(s.clientID, s.secret)},
		{name: "path tenant token", method: "POST", path: "/t/acme/oauth/token", body: s.tokenForm(s.acmeClientID, s.acmeSecret)},
		{name: "introspect", method: "POST", path: "/oauth/introspect", key: s.adminKey, body: "token=" + s.token},
		{name: "revoke", method: "POST", path: "/oauth/revoke", key: s.adminKey, body: "token=" + s.token},
		{name: "register", method: "POST", path: "/oauth/register", body: `{"client_name":"c2"}`},
		{name: "path tenant register", method: "POST", path: "/t/acme/oauth/register", body: `{"client_name":"c3"}`},
		{name: "read registration", method: "GET", path: "/oauth/register/" + s.dcrClientID, key: s.dcrRAT},
		{name: "healthz", method: "GET", path: "/healthz"},
		{name: "create agent", method: "POST", path: "/api/v1/agents", key: s.adminKey, body: `{"name":"a2"}`},
		{name: "list agents", method: "GET", path: "/api/v1/agents", key: s.adminKey},
		{name: "path tenant agents", method: "GET", path: "/t/acme/api/v1/agents", key: s.acmeKey},
		{name: "deactivate agent", method: "DELETE", path: "/api/v1/agents/" + s.agentID, key: s.adminKey},
		{name: "rotate signing key", method: "POST", path: "/api/v1/admin/signing-keys/rotate", key: s.adminKey, body: `{"mode":"emergency"}`},
		{name: "create tenant", method: "POST", path: "/platform/v1/tenants", key: s.platformKey, body: `{"id":"t2","name":"T2"}`},
		{name: "list tenants", method: "GET", path: "/platform/v1/tenants", key: s.platformKey},
		{name: "audit logs", method: "GET", path: "/api/v1/audit-logs", key: s.adminKey},
		{name: "path tenant audit logs", method: "GET", path: "/t/acme/api/v1/audit-logs", key: s.acmeKey},
		{name: "audit export", method: "POST", path: "/api/v1/audit-logs/export", key: s.adminKey, body: `{"format":"ndjson"}`},
		{name: "audit purge", method: "POST", path: "/api/v1/admin/audit-logs/purge", key: s.adminKey, body: `{"before":"2099-01-01T00:00:00Z"}`},
	}
}

// storeFaults are DynamoDB failures as the engine reports them (its own
// mapping, dynamodb.OpError), after the SDK's retries.
var storeFaults = []struct {
	name string
	err  func(op string) error
}{
	{"ProvisionedThroughputExceeded", func(op string) error {
		return dynamodb.OpError(op, &ddbtypes.ProvisionedThroughputExceededException{Message: aws.String("rate")})
	}},
	{"ThrottlingException", func(op string) error {
		return dynamodb.OpError(op, &retry.MaxAttemptsError{Attempt: 3, Err: &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}})
	}},
	{"timeout", func(op string) error {
		return dynamodb.OpError(op, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: context.DeadlineExceeded})
	}},
	{"TransactionConflict", func(op string) error {
		return dynamodb.OpError(op, &ddbtypes.TransactionConflictException{Message: aws.String("conflict")})
	}},
}

// kmsFaults are KMS failures as the SDK returns them.
var kmsFaults = []struct {
	name string
	err  error
}{
	{"KMSInternalException", &kmstypes.KMSInternalException{Message: aws.String("internal")}},
	{"KMS ThrottlingException", &smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}},
	{"DependencyTimeoutException", &kmstypes.DependencyTimeoutException{Message: aws.String("timeout")}},
	{"KMS deadline", &smithy.OperationError{ServiceID: "KMS", OperationName: "Decrypt", Err: context.DeadlineExceeded}},
}

// checkUnavailable checks a 503 temporarily_unavailable with Retry-After in
// the route's error shape (WIRE §3).
func checkUnavailable(t *testing.T, path string, a faultAnswer) {
	t.Helper()
	if a.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", a.status, a.raw)
	}
	if a.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if a.body["error"] != "temporarily_unavailable" {
		t.Errorf("error %v, want temporarily_unavailable: %s", a.body["error"], a.raw)
	}
	if function(path) == "token" || function(path) == "register" {
		if _, ok := a.body["error_description"].(string); !ok || a.body["message"] != nil {
			t.Errorf("OAuth route answered outside RFC 6749's shape: %s", a.raw)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("OAuth error without Cache-Control: no-store")
		}
	} else if _, ok := a.body["message"].(string); !ok || a.body["error_description"] != nil {
		t.Errorf("API route answered outside the flat shape: %s", a.raw)
	}
	if strings.Contains(a.raw, "Exception") || strings.Contains(a.raw, "dynamodb") || strings.Contains(a.raw, "deadline") {
		t.Errorf("the cause leaked into the body: %s", a.raw)
	}
}

// allowedBeforeFailure are writes a request may have made before a later
// call failed: rate counters (a registration attempt counts whether or not
// it succeeds).
func allowedBeforeFailure(k store.Key) bool { return strings.Contains(k.PK, "#RATE#") }

// TestStoreFaultsAnswer503 fails each table call of each route's request in
// turn, with each DynamoDB fault: the faultAnswer is 503 temporarily_unavailable
// with Retry-After in the route's shape, never a 500, and nothing the
// request meant to change was written. When the faulted call is past the
// request's last call, the request succeeds as it does without faults.
func TestStoreFaultsAnswer503(t *testing.T) {
	for _, f := range storeFaults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			base := newFaultStack(t)
			for _, rq := range routeRequests(base) {
				t.Run(rq.name, func(t *testing.T) {
					baseline := 0
					for n := 1; ; n++ {
						s := newFaultStack(t)
						rq := routeRequests(s)[indexOf(routeRequests(s), rq.name)]
						s.table.Err = f.err
						s.table.Arm(n)
						a := s.call(rq.method, rq.path, rq.key, rq.body)
						calls, failed := s.table.Calls()
						if !failed {
							if a.status >= 500 {
								t.Fatalf("without a fault (%d calls): %d %s", calls, a.status, a.raw)
							}
							if n == 1 {
								baseline = 0
							}
							break
						}
						baseline = n
						if a.status < 300 && calls > n {
							// The store retried past the fault (a lost
							// transaction is retried) and succeeded.
							continue
						}
						t.Run(fmt.Sprintf("call %d", n), func(t *testing.T) {
							checkUnavailable(t, rq.path, a)
							for _, k := range s.table.Written() {
								if !allowedBeforeFailure(k) {
									t.Errorf("partial write: %s/%s written before call %d failed", k.PK, k.SK, n)
								}
							}
						})
					}
					if rq.name != "healthz" && baseline == 0 {
						t.Fatalf("the request made no table call: nothing was tested")
					}
				})
			}
		})
	}
}

func indexOf(rs []faultRequest, name string) int {
	for i, r := range rs {
		if r.name == name {
			return i
		}
	}
	panic("no request " + name)
}

// TestKMSFaultsAnswer503: with KMS failing, every route that needs KMS (a
// cold key cache signing a token, a new signing key) answers 503 with
// Retry-After and writes nothing; the others faultAnswer as without the fault.
func TestKMSFaultsAnswer503(t *testing.T) {
	for _, f := range kmsFaults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			base := newFaultStack(t)
			usedKMS := 0
			for _, rq := range routeRequests(base) {
				t.Run(rq.name, func(t *testing.T) {
					healthy := newFaultStack(t)
					hr := routeRequests(healthy)[indexOf(routeRequests(healthy), rq.name)]
					want := healthy.call(hr.method, hr.path, hr.key, hr.body).status

					s := newFaultStack(t)
					rq := routeRequests(s)[indexOf(routeRequests(s), rq.name)]
					s.newContainer() // cold key cache, as a new Lambda container
					s.kms.Err = f.err
					s.kms.SetDown(true)
					s.table.Arm(0)
					a := s.call(rq.method, rq.path, rq.key, rq.body)
					if s.kms.Calls == 0 {
						if a.status != want {
							t.Fatalf("no KMS call, status %d, want %d: %s", a.status, want, a.raw)
						}
						return
					}
					usedKMS++
					checkUnavailable(t, rq.path, a)
					for _, k := range s.table.Written() {
						if !allowedBeforeFailure(k) {
							t.Errorf("partial write: %s/%s written before KMS failed", k.PK, k.SK)
						}
					}
				})
			}
			if usedKMS == 0 {
				t.Fatal("no route called KMS: nothing was tested")
			}
		})
	}
}

package httpx_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/httpx"
)

// emfLine runs h behind Named(function) and Stack and returns the decoded
// access log line.
func emfLine(t *testing.T, function string, h http.HandlerFunc) map[string]any {
	t.Helper()
	m, _ := emfRaw(t, function, h)
	return m
}

// emfRaw is emfLine with the line as written.
func emfRaw(t *testing.T, function string, h http.HandlerFunc) (map[string]any, string) {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(httpx.NewLogger(&buf, "info"))
	t.Cleanup(func() { slog.SetDefault(prev) })
	r := httptest.NewRequest("POST", "http://localhost/oauth/token?client_secret=sk_live_x", strings.NewReader(""))
	r.Header.Set("Authorization", "Bearer sk_live_secret")
	httpx.Named(function, httpx.Stack(h, httpx.WriteError)).ServeHTTP(httptest.NewRecorder(), r)
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if m["msg"] == "request" {
			if strings.Contains(line, "sk_live") {
				t.Fatalf("access log line holds a secret: %s", line)
			}
			return m, line
		}
	}
	t.Fatalf("no access log line in %s", buf.String())
	return nil, ""
}

// The access line carries what the template's metric filters read (infra's
// TestMetricFiltersReadTheAccessLine evaluates them on these lines): ms on
// every line, error on an error, grant on an issued token only.
func TestAccessLineFields(t *testing.T) {
	tests := []struct {
		name      string
		function  string
		h         http.HandlerFunc
		status    float64
		tenant    string
		wantGrant string
		wantError string
	}{
		{
			name: "token issued", function: "token", status: 200, tenant: "acme",
			h: func(w http.ResponseWriter, r *http.Request) {
				httpx.SetTenant(r.Context(), "acme")
				httpx.TokenIssued(r.Context(), "client_credentials")
				httpx.WriteJSON(w, 200, map[string]string{})
			},
			wantGrant: "client_credentials",
		},
		{
			name: "flat error", function: "admin", status: 409, tenant: "acme",
			h: func(w http.ResponseWriter, r *http.Request) {
				httpx.SetTenant(r.Context(), "acme")
				httpx.WriteError(w, r, httpx.Conflict("taken"))
			},
			wantError: "conflict",
		},
		{
			name: "grant of a failed request is not counted", function: "token", status: 503,
			h: func(w http.ResponseWriter, r *http.Request) {
				httpx.TokenIssued(r.Context(), "client_credentials")
				httpx.WriteError(w, r, httpx.TemporarilyUnavailable(nil))
			},
			wantError: "temporarily_unavailable",
		},
		{
			name: "plain request", function: "jwks", status: 200,
			h: func(w http.ResponseWriter, r *http.Request) { httpx.WriteJSON(w, 200, map[string]string{}) },
		},
		{
			name: "unnamed handler", function: "", status: 404,
			h:         func(w http.ResponseWriter, r *http.Request) { httpx.WriteError(w, r, httpx.NotFound("x")) },
			wantError: "not_found",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := emfLine(t, tc.function, tc.h)
			wantFn := tc.function
			if wantFn == "" {
				wantFn = "unknown"
			}
			if m["function"] != wantFn || m["status"] != tc.status || m["tenant"] != tc.tenant || m["request_id"] == "" {
				t.Fatalf("line: %v", m)
			}
			if got, _ := m["error"].(string); got != tc.wantError {
				t.Errorf("error = %q, want %q", got, tc.wantError)
			}
			if got, _ := m["grant"].(string); got != tc.wantGrant {
				t.Errorf("grant = %q, want %q", got, tc.wantGrant)
			}
			if ms, ok := m["ms"].(float64); !ok || ms < 0 {
				t.Errorf("ms = %v", m["ms"])
			}
			if _, ok := m["_aws"]; ok {
				t.Errorf("line carries a metric directive: %v", m)
			}
		})
	}
}

// maxTokenLineBytes bounds the access log line of an issued token (every
// request writes one; CloudWatch Logs bills $0.50 per GB ingested, and issue
// 23 budgets logs at $0.15 per million tokens, 300 bytes a token with what
// Lambda adds): it was 581 bytes, then 472 with its Embedded Metric Format
// directive, which metric filters in the template replace.
const maxTokenLineBytes = 200

// The access line keeps what an operator needs (request id, function,
// tenant, route, status, latency, error code) and nothing twice.
func TestAccessLogLineIsShort(t *testing.T) {
	m, line := emfRaw(t, "token", func(w http.ResponseWriter, r *http.Request) {
		httpx.SetTenant(r.Context(), "acme")
		httpx.TokenIssued(r.Context(), "client_credentials")
		httpx.WriteJSON(w, 200, map[string]string{})
	})
	t.Logf("%d bytes: %s", len(line), line)
	if len(line) > maxTokenLineBytes {
		t.Errorf("token access line is %d bytes, budget %d", len(line), maxTokenLineBytes)
	}
	if m["route"] != "POST /oauth/token" || m["status"] != 200.0 || m["tenant"] != "acme" || m["request_id"] == "" || m["ms"] == nil {
		t.Errorf("line lacks route, status, tenant, request id or latency: %v", m)
	}
	for _, k := range []string{"time", "duration", "method", "path", "_aws"} {
		if _, ok := m[k]; ok {
			t.Errorf("line repeats %s: %v", k, m)
		}
	}
}

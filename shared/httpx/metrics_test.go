package httpx_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
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

// metricsOf checks the EMF directive of a line (every dimension and metric
// named is a top-level field) and returns its metric names and dimension sets.
func metricsOf(t *testing.T, m map[string]any) (names []string, dims []string) {
	t.Helper()
	aws, ok := m["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws member: %v", m)
	}
	if _, ok := aws["Timestamp"].(float64); !ok {
		t.Fatalf("_aws.Timestamp: %v", aws["Timestamp"])
	}
	for _, d := range aws["CloudWatchMetrics"].([]any) {
		d := d.(map[string]any)
		if d["Namespace"] != httpx.MetricsNamespace {
			t.Errorf("namespace %v", d["Namespace"])
		}
		for _, set := range d["Dimensions"].([]any) {
			var keys []string
			for _, k := range set.([]any) {
				if _, ok := m[k.(string)].(string); !ok {
					t.Errorf("dimension %v is not a top-level string field", k)
				}
				keys = append(keys, k.(string))
			}
			dims = append(dims, strings.Join(keys, ","))
		}
		for _, metric := range d["Metrics"].([]any) {
			name := metric.(map[string]any)["Name"].(string)
			if _, ok := m[name].(float64); !ok {
				t.Errorf("metric %s has no numeric top-level value", name)
			}
			names = append(names, name)
		}
	}
	return names, dims
}

func TestAccessLogEmbeddedMetrics(t *testing.T) {
	tests := []struct {
		name      string
		function  string
		h         http.HandlerFunc
		status    float64
		tenant    string
		wantNames []string
		wantDims  []string
		wantError string
	}{
		{
			name: "token issued", function: "token", status: 200, tenant: "acme",
			h: func(w http.ResponseWriter, r *http.Request) {
				httpx.SetTenant(r.Context(), "acme")
				httpx.TokenIssued(r.Context(), "client_credentials")
				httpx.WriteJSON(w, 200, map[string]string{})
			},
			wantNames: []string{"Latency", "TokensIssued"},
			wantDims:  []string{"function", "function,grant", "function,tenant"},
		},
		{
			name: "flat error", function: "admin", status: 409, tenant: "acme",
			h: func(w http.ResponseWriter, r *http.Request) {
				httpx.SetTenant(r.Context(), "acme")
				httpx.WriteError(w, r, httpx.Conflict("taken"))
			},
			wantNames: []string{"Latency", "Errors"}, wantDims: []string{"function", "function,error"}, wantError: "conflict",
		},
		{
			name: "grant of a failed request is not counted", function: "token", status: 503,
			h: func(w http.ResponseWriter, r *http.Request) {
				httpx.TokenIssued(r.Context(), "client_credentials")
				httpx.WriteError(w, r, httpx.TemporarilyUnavailable(nil))
			},
			wantNames: []string{"Latency", "Errors"}, wantDims: []string{"function", "function,error"}, wantError: "temporarily_unavailable",
		},
		{
			name: "plain request", function: "jwks", status: 200,
			h:         func(w http.ResponseWriter, r *http.Request) { httpx.WriteJSON(w, 200, map[string]string{}) },
			wantNames: []string{"Latency"}, wantDims: []string{"function"},
		},
		{
			name: "unnamed handler", function: "", status: 404,
			h:         func(w http.ResponseWriter, r *http.Request) { httpx.WriteError(w, r, httpx.NotFound("x")) },
			wantNames: []string{"Latency", "Errors"}, wantDims: []string{"function", "function,error"}, wantError: "not_found",
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
			if tc.wantError != "" && m["error"] != tc.wantError {
				t.Errorf("error = %v, want %s", m["error"], tc.wantError)
			}
			names, dims := metricsOf(t, m)
			if !slices.Equal(names, tc.wantNames) || !slices.Equal(dims, tc.wantDims) {
				t.Fatalf("metrics %v dims %v, want %v %v", names, dims, tc.wantNames, tc.wantDims)
			}
		})
	}
}

// maxTokenLineBytes bounds the access log line of an issued token (every
// request writes one; CloudWatch Logs bills $0.50 per GB ingested): it was
// 581 bytes with a timestamp that _aws.Timestamp repeats, the duration in
// nanoseconds that Latency repeats in milliseconds, and method and path as
// two fields.
const maxTokenLineBytes = 480

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
	if m["route"] != "POST /oauth/token" || m["status"] != 200.0 || m["tenant"] != "acme" || m["request_id"] == "" || m["Latency"] == nil {
		t.Errorf("line lacks route, status, tenant, request id or latency: %v", m)
	}
	for _, k := range []string{"time", "duration", "method", "path"} {
		if _, ok := m[k]; ok {
			t.Errorf("line repeats %s: %v", k, m)
		}
	}
}

package infra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/sharkauth/serverless/shared/httpx"
)

// The functions' metrics are made by the template's CloudWatch Logs metric
// filters from the access lines httpx writes (the lines carry no metric
// directive of their own). This file evaluates each filter's pattern and
// transformation on real access lines, so a renamed field or a broken
// pattern fails here and not, silently, in a dashboard.

type metricFilter struct {
	name      string // logical id
	logGroup  string // logical id of its log group
	pattern   string
	metric    string
	namespace string
	value     string
	dims      map[string]string // dimension key -> "$.field"
}

func templateMetricFilters(t *testing.T) []metricFilter {
	t.Helper()
	data, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := processTemplate(data, &intrinsics.ProcessorOptions{
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{"Ref": symbolicRef, "Fn::If": fnIf},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				LogGroupName          string
				FilterPattern         string
				MetricTransformations []struct {
					MetricNamespace, MetricName, MetricValue string
					Dimensions                               []struct{ Key, Value string }
				}
			}
		}
	}
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	var fs []metricFilter
	for name, r := range tpl.Resources {
		if r.Type != "AWS::Logs::MetricFilter" {
			continue
		}
		p := r.Properties
		if len(p.MetricTransformations) != 1 {
			t.Fatalf("%s: %d transformations", name, len(p.MetricTransformations))
		}
		tr := p.MetricTransformations[0]
		f := metricFilter{name: name, logGroup: strings.Trim(p.LogGroupName, "${}"), pattern: p.FilterPattern,
			metric: tr.MetricName, namespace: tr.MetricNamespace, value: tr.MetricValue, dims: map[string]string{}}
		for _, d := range tr.Dimensions {
			f.dims[d.Key] = d.Value
		}
		fs = append(fs, f)
	}
	return fs
}

// jsonTerm is one comparison of a JSON filter pattern: $.field = "value",
// where value may be "*" (any string) or end in * (a prefix).
var jsonTerm = regexp.MustCompile(`^\$\.([A-Za-z_]+)\s*=\s*"([^"]*)"$`)

// matches evaluates the subset of CloudWatch Logs' JSON filter patterns the
// template uses: { term && term ... } with string equality terms. Any other
// pattern fails the test (extend this evaluator with the template).
func matches(t *testing.T, pattern string, line map[string]any) bool {
	t.Helper()
	p := strings.TrimSpace(pattern)
	if !strings.HasPrefix(p, "{") || !strings.HasSuffix(p, "}") {
		t.Fatalf("pattern %q is not a JSON pattern", pattern)
	}
	for _, term := range strings.Split(strings.TrimSpace(p[1:len(p)-1]), "&&") {
		m := jsonTerm.FindStringSubmatch(strings.TrimSpace(term))
		if m == nil {
			t.Fatalf("pattern %q: term %q is not one this test evaluates", pattern, term)
		}
		v, ok := line[m[1]].(string)
		if !ok {
			return false
		}
		want := m[2]
		if strings.HasSuffix(want, "*") {
			if !strings.HasPrefix(v, strings.TrimSuffix(want, "*")) {
				return false
			}
		} else if v != want {
			return false
		}
	}
	return true
}

// field resolves a transformation's "$.name" against a line.
func field(line map[string]any, ref string) (any, bool) {
	name, ok := strings.CutPrefix(ref, "$.")
	if !ok {
		return ref, true // a literal
	}
	v, ok := line[name]
	return v, ok
}

// accessLine serves one request through httpx's stack as function fn and
// returns its access line, decoded.
func accessLine(t *testing.T, fn string, h http.HandlerFunc) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(httpx.NewLogger(&buf, "info"))
	defer slog.SetDefault(prev)
	httpx.Named(fn, httpx.Stack(h, httpx.WriteError)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/oauth/token", nil))
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			return m
		}
	}
	t.Fatalf("no access line in %q", buf.String())
	return nil
}

func TestMetricFiltersReadTheAccessLine(t *testing.T) {
	issued := accessLine(t, "token", func(w http.ResponseWriter, r *http.Request) {
		httpx.SetTenant(r.Context(), "acme")
		httpx.TokenIssued(r.Context(), "client_credentials")
		httpx.WriteJSON(w, 200, map[string]string{})
	})
	refused := accessLine(t, "token", func(w http.ResponseWriter, r *http.Request) {
		httpx.SetTenant(r.Context(), "acme")
		httpx.TokenIssued(r.Context(), "client_credentials") // then refused: not counted
		httpx.WriteError(w, r, httpx.TemporarilyUnavailable(nil))
	})
	plain := accessLine(t, "jwks", func(w http.ResponseWriter, r *http.Request) { httpx.WriteJSON(w, 200, map[string]string{}) })
	lines := map[string]map[string]any{"issued": issued, "refused": refused, "plain": plain}

	// Which lines each metric counts, and the dimension values it reads.
	want := map[string]struct {
		counts []string
		dims   []string
	}{
		"Latency":      {counts: []string{"issued", "plain", "refused"}, dims: []string{"function"}},
		"Errors":       {counts: []string{"refused"}, dims: []string{"error", "function"}},
		"TokensIssued": {counts: []string{"issued"}},
	}
	fs := templateMetricFilters(t)
	perGroup := map[string][]string{}
	for _, f := range fs {
		perGroup[f.logGroup] = append(perGroup[f.logGroup], f.metric)
		w, ok := want[f.metric]
		if !ok {
			t.Errorf("%s: metric %s is not one this test knows", f.name, f.metric)
			continue
		}
		if f.namespace != httpx.MetricsNamespace {
			t.Errorf("%s: namespace %s", f.name, f.namespace)
		}
		var counted []string
		for name, line := range lines {
			if !matches(t, f.pattern, line) {
				continue
			}
			counted = append(counted, name)
			v, ok := field(line, f.value)
			if _, isNum := v.(float64); !ok || !(isNum || v == "1") {
				t.Errorf("%s on the %s line: value %s is %v, not a number", f.name, name, f.value, v)
			}
			for key, ref := range f.dims {
				if v, ok := field(line, ref); !ok || fmt.Sprint(v) == "" {
					t.Errorf("%s on the %s line: dimension %s (%s) has no value", f.name, name, key, ref)
				}
			}
		}
		slices.Sort(counted)
		if !slices.Equal(counted, w.counts) {
			t.Errorf("%s (%s) counts the lines %v, want %v", f.name, f.pattern, counted, w.counts)
		}
		if w.dims != nil {
			var keys []string
			for k := range f.dims {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, w.dims) {
				t.Errorf("%s: dimensions %v, want %v", f.name, keys, w.dims)
			}
		}
	}
	// Every function's log group has Latency and Errors; the token
	// function's has TokensIssued by grant and by tenant.
	for _, fn := range []string{"Jwks", "Token", "Admin", "Register", "Authorize", "Audit"} {
		got := perGroup[fn+"FunctionLogs"]
		slices.Sort(got)
		wantMetrics := []string{"Errors", "Latency"}
		if fn == "Token" {
			wantMetrics = []string{"Errors", "Latency", "TokensIssued", "TokensIssued"}
		}
		if !slices.Equal(got, wantMetrics) {
			t.Errorf("%sFunctionLogs has metric filters %v, want %v", fn, got, wantMetrics)
		}
	}
	var byTenant, byGrant bool
	for _, f := range fs {
		if f.metric == "TokensIssued" {
			byTenant = byTenant || f.dims["tenant"] == "$.tenant" && f.dims["function"] == "$.function"
			byGrant = byGrant || f.dims["grant"] == "$.grant" && f.dims["function"] == "$.function"
		}
	}
	if !byTenant || !byGrant {
		t.Errorf("TokensIssued by tenant %v, by grant %v; want both", byTenant, byGrant)
	}
}

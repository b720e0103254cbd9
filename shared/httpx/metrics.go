package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// MetricsNamespace is the CloudWatch namespace of the functions' metrics
// (template.yaml's metric filters publish them from the access lines).
const MetricsNamespace = "SharkAuth"

// requestInfo is what the layers of one request learn about it for its
// access log line: which function serves it (Named), its tenant (set by the
// tenant resolver), the error code it was answered with (set by the error
// writers) and, for a token issued, its grant type.
type requestInfo struct {
	mu       sync.Mutex
	function string
	tenant   string
	errCode  string
	grant    string
}

type infoKey struct{}
type functionKey struct{}

func info(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(infoKey{}).(*requestInfo)
	return i
}

// Named marks every request h serves as served by function name (token,
// jwks, admin, register, audit): the access log line and its metrics carry it.
func Named(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), functionKey{}, name)))
	})
}

// SetTenant records the request's resolved tenant for its access log line.
func SetTenant(ctx context.Context, id string) {
	if i := info(ctx); i != nil {
		i.mu.Lock()
		i.tenant = id
		i.mu.Unlock()
	}
}

// SetErrorCode records the error code a request was answered with.
func SetErrorCode(ctx context.Context, code string) {
	if i := info(ctx); i != nil {
		i.mu.Lock()
		i.errCode = code
		i.mu.Unlock()
	}
}

// TokenIssued records that the request issued a token of grant type grant
// (counted as the TokensIssued metric by grant and by tenant).
func TokenIssued(ctx context.Context, grant string) {
	if i := info(ctx); i != nil {
		i.mu.Lock()
		i.grant = grant
		i.mu.Unlock()
	}
}

// accessAttrs are the access log line's attributes: request id, function,
// tenant, route, status, latency in milliseconds (ms), the error code of an
// error, the grant of an issued token. The functions' metrics are made from
// these lines by the template's CloudWatch Logs metric filters (Latency from
// ms by function, Errors by function and error, TokensIssued by function and
// grant and by function and tenant: MetricFilters in template.yaml, checked
// against these lines by infra's TestMetricFiltersReadTheAccessLine), so a
// line carries no metric directive: CloudWatch bills every ingested byte,
// and the Embedded Metric Format's directive was more than half the line.
func accessAttrs(ctx context.Context, r *http.Request, status int, elapsed time.Duration) []slog.Attr {
	fn, _ := ctx.Value(functionKey{}).(string)
	var tenant, code, grant string
	if i := info(ctx); i != nil {
		i.mu.Lock()
		tenant, code, grant = i.tenant, i.errCode, i.grant
		i.mu.Unlock()
	}
	if fn == "" {
		fn = "unknown"
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.String("request_id", RequestID(ctx)),
		slog.String("function", fn),
		slog.String("tenant", tenant),
		slog.String("route", r.Method+" "+r.URL.Path),
		slog.Int("status", status),
		slog.Float64("ms", float64(elapsed.Microseconds())/1000),
	)
	if code != "" {
		attrs = append(attrs, slog.String("error", code))
	}
	if grant != "" && status < 300 {
		attrs = append(attrs, slog.String("grant", grant))
	}
	return attrs
}

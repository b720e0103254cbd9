package lambdax

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// API Gateway's HTTP API (payload format 2.0) event and response, named here
// so that the local runner builds them without importing aws-lambda-go.
type (
	Request            = events.APIGatewayV2HTTPRequest
	RequestContext     = events.APIGatewayV2HTTPRequestContext
	RequestContextHTTP = events.APIGatewayV2HTTPRequestContextHTTPDescription
	Response           = events.APIGatewayV2HTTPResponse
)

// HandlerFunc is the Lambda handler of an HTTP API (payload 2.0) function.
type HandlerFunc = func(context.Context, Request) (Response, error)

// Start runs h as the Lambda function of this process; it does not return.
func Start(h http.Handler) {
	lambda.Start(Adapter(h))
}

// Adapter turns h into a Lambda handler for API Gateway HTTP API events
// (payload format 2.0), built on httpadapter.NewV2(...).ProxyWithContext.
// The package comment lists what the handler can rely on.
func Adapter(h http.Handler) HandlerFunc {
	proxy := httpadapter.NewV2(restore(h))
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if ev.IsBase64Encoded {
			if _, err := base64.StdEncoding.DecodeString(ev.Body); err != nil {
				return badRequest(), nil
			}
		}
		inv := &invocation{event: &ev}
		resp, err := proxy.ProxyWithContext(context.WithValue(ctx, invocationKey{}, inv), ev)
		if err != nil && !inv.served {
			// The library could not build a request from the event; the
			// handler never ran. That is bad input, not a function failure.
			return badRequest(), nil
		}
		return resp, err
	}
}

// RequestID returns API Gateway's id of the request being served
// (requestContext.requestId), for correlating logs with API Gateway's.
func RequestID(ctx context.Context) (string, bool) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(ctx)
	if !ok || rc.RequestID == "" {
		return "", false
	}
	return rc.RequestID, true
}

type invocationKey struct{}

// invocation carries the original event to the wrapped handler and records
// whether the handler ran.
type invocation struct {
	event  *events.APIGatewayV2HTTPRequest
	served bool
}

// restore wraps h so that it sees the event's headers and cookies as sent, and
// so that its response follows net/http's rules (see responseWriter).
func restore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inv, ok := r.Context().Value(invocationKey{}).(*invocation); ok {
			inv.served = true
			restoreRequest(r, inv.event)
		}
		rw := &responseWriter{w: w, header: make(http.Header)}
		h.ServeHTTP(rw, r)
		rw.finish()
	})
}

// restoreRequest replaces the headers the library built (split on commas, one
// Cookie header per cookie) with the event's own values.
func restoreRequest(r *http.Request, ev *events.APIGatewayV2HTTPRequest) {
	header := make(http.Header, len(ev.Headers)+1)
	host := ""
	var cookies []string
	for k, v := range ev.Headers {
		switch ck := textproto.CanonicalMIMEHeaderKey(k); ck {
		case "Host":
			// net/http keeps the Host in r.Host, not in r.Header.
			host = v
		case "Cookie":
			// API Gateway moves cookies to ev.Cookies; a hand-made event may
			// still carry the header.
			cookies = append(cookies, v)
		default:
			header[ck] = append(header[ck], v)
		}
	}
	cookies = append(cookies, ev.Cookies...)
	if len(cookies) > 0 {
		header["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	r.Header = header
	if r.Host == "" {
		r.Host = host
	}
	switch proto := header.Get("X-Forwarded-Proto"); proto {
	case "http", "https":
		r.URL.Scheme = proto
	}
}

// responseWriter gives the library's response writer net/http semantics: the
// first WriteHeader (or Write) fixes the status and the headers; later
// WriteHeader calls and header changes are ignored; 1xx statuses are not
// forwarded (a Lambda response has one status); a handler that writes nothing
// answers 200.
type responseWriter struct {
	w      http.ResponseWriter
	header http.Header
	wrote  bool
}

func (rw *responseWriter) Header() http.Header { return rw.header }

func (rw *responseWriter) WriteHeader(code int) {
	if rw.wrote || (code >= 100 && code < 200) {
		return
	}
	rw.wrote = true
	// The values move as they are: later changes to rw.header replace its
	// slices (Set, Del) and so never reach dst.
	dst := rw.w.Header()
	for k, v := range rw.header {
		dst[k] = v
	}
	rw.w.WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wrote {
		if _, ok := rw.header["Content-Type"]; !ok && len(p) > 0 {
			rw.header.Set("Content-Type", http.DetectContentType(p))
		}
		rw.WriteHeader(http.StatusOK)
	}
	return rw.w.Write(p)
}

// Unwrap lets http.ResponseController reach the library's writer.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

func (rw *responseWriter) finish() {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
}

// badRequest is the answer to an event that does not describe an HTTP request.
func badRequest() events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusBadRequest,
		Headers: map[string]string{
			"Content-Type":  "application/json",
			"Cache-Control": "no-store",
		},
		Body: `{"error":"invalid_request","message":"malformed request"}`,
	}
}

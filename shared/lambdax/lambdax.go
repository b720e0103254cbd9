package lambdax

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
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
// (payload format 2.0). The package comment lists what the handler can rely
// on. It never returns an error: an event that is not an HTTP request is
// answered 400.
func Adapter(h http.Handler) HandlerFunc {
	return func(ctx context.Context, ev Request) (Response, error) {
		r, ok := newRequest(ctx, &ev)
		if !ok {
			return badRequest(), nil
		}
		w := &responseWriter{header: make(http.Header)}
		h.ServeHTTP(w, r)
		return w.response(), nil
	}
}

// RequestID returns API Gateway's id of the request being served
// (requestContext.requestId), for correlating logs with API Gateway's.
func RequestID(ctx context.Context) (string, bool) {
	rc, ok := ctx.Value(requestContextKey{}).(*RequestContext)
	if !ok || rc.RequestID == "" {
		return "", false
	}
	return rc.RequestID, true
}

// requestContextKey holds the event's *RequestContext in the handler's
// context.
type requestContextKey struct{}

// badRequest is the answer to an event that does not describe an HTTP request.
func badRequest() Response {
	return Response{
		StatusCode: http.StatusBadRequest,
		Headers: map[string]string{
			"Content-Type":  "application/json",
			"Cache-Control": "no-store",
		},
		Body: `{"error":"invalid_request","message":"malformed request"}`,
	}
}

// bytesBody and stringBody are request bodies: a reader and a Close that
// does nothing, in one allocation.
type (
	bytesBody  struct{ bytes.Reader }
	stringBody struct{ strings.Reader }
)

func (*bytesBody) Close() error  { return nil }
func (*stringBody) Close() error { return nil }

// requestBody returns the event's body as the client sent it, and its length.
func requestBody(ev *Request) (io.ReadCloser, int64, bool) {
	if !ev.IsBase64Encoded {
		if ev.Body == "" {
			return http.NoBody, 0, true
		}
		b := new(stringBody)
		b.Reset(ev.Body)
		return b, int64(len(ev.Body)), true
	}
	decoded, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return nil, 0, false
	}
	if len(decoded) == 0 {
		return http.NoBody, 0, true
	}
	b := new(bytesBody)
	b.Reset(decoded)
	return b, int64(len(decoded)), true
}

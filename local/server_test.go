package local

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/lambdax"
)

var fixedNow = time.Date(2026, 3, 12, 19, 3, 58, 123e6, time.UTC)

// testServer is a *Server over routes whose functions are replaced by invoke,
// with a fixed clock and ids.
func testServer(t *testing.T, routes []Route, invoke func(context.Context, lambdax.Request) (lambdax.Response, error)) *Server {
	t.Helper()
	functions := map[string]http.Handler{}
	for _, r := range routes {
		functions[r.Function] = http.NotFoundHandler()
	}
	h, err := NewHandler(routes, functions)
	if err != nil {
		t.Fatal(err)
	}
	s := h.(*Server)
	s.now = func() time.Time { return fixedNow }
	s.newID = func() string { return "JKJaXmPLvHcESHA=" }
	s.traceID = func(time.Time) string { return "Root=1-test" }
	for name := range s.invoke {
		s.invoke[name] = invoke
	}
	return s
}

// capture returns an invoke that records the event and answers 204.
func capture(got *lambdax.Request) func(context.Context, lambdax.Request) (lambdax.Response, error) {
	return func(_ context.Context, ev lambdax.Request) (lambdax.Response, error) {
		*got = ev
		return lambdax.Response{StatusCode: http.StatusNoContent}, nil
	}
}

func TestEvent(t *testing.T) {
	routes := []Route{
		{"jwks", "GET", "/t/{tenant}/.well-known/{proxy+}"},
		{"token", "POST", "/oauth/token"},
		{"admin", "ANY", "/platform/v1/{proxy+}"},
	}
	tests := []struct {
		name  string
		req   func() *http.Request
		check func(*testing.T, lambdax.Request)
	}{
		{
			name: "request context, route and path parameters",
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "http://auth.localhost:8080/t/ac%6De/.well-known/a%2Fb?x=1&x=2&y=%20", nil)
				r.RemoteAddr = "192.0.2.10:51234"
				r.Header.Set("User-Agent", "shark-auth/0.1.1 (x, y)")
				return r
			},
			check: func(t *testing.T, ev lambdax.Request) {
				want := lambdax.RequestContext{
					RouteKey: "GET /t/{tenant}/.well-known/{proxy+}", AccountID: localAccountID,
					Stage: "$default", RequestID: "JKJaXmPLvHcESHA=", APIID: localAPIID,
					DomainName: "auth.localhost:8080", DomainPrefix: "auth",
					Time: "12/Mar/2026:19:03:58 +0000", TimeEpoch: fixedNow.UnixMilli(),
					HTTP: lambdax.RequestContextHTTP{
						Method: "GET", Path: "/t/ac%6De/.well-known/a%2Fb", Protocol: "HTTP/1.1",
						SourceIP: "192.0.2.10", UserAgent: "shark-auth/0.1.1 (x, y)",
					},
				}
				if ev.RequestContext != want {
					t.Errorf("requestContext =\n%+v\nwant\n%+v", ev.RequestContext, want)
				}
				if ev.Version != "2.0" || ev.RouteKey != want.RouteKey || ev.RawPath != "/t/ac%6De/.well-known/a%2Fb" {
					t.Errorf("version, routeKey, rawPath = %q, %q, %q", ev.Version, ev.RouteKey, ev.RawPath)
				}
				if !maps.Equal(ev.PathParameters, map[string]string{"tenant": "acme", "proxy": "a/b"}) {
					t.Errorf("pathParameters = %v", ev.PathParameters)
				}
				if ev.RawQueryString != "x=1&x=2&y=%20" {
					t.Errorf("rawQueryString = %q", ev.RawQueryString)
				}
				if !maps.Equal(ev.QueryStringParameters, map[string]string{"x": "1,2", "y": " "}) {
					t.Errorf("queryStringParameters = %q", ev.QueryStringParameters)
				}
				if ev.Body != "" || ev.IsBase64Encoded {
					t.Errorf("body = %q, base64 %v", ev.Body, ev.IsBase64Encoded)
				}
			},
		},
		{
			name: "headers lower-cased and joined; host, forwarding and trace headers set",
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "http://localhost:8080/platform/v1/tenants", nil)
				r.RemoteAddr = "127.0.0.1:40000"
				r.Header.Add("Accept", "application/json")
				r.Header.Add("Accept", "text/plain")
				r.Header.Set("Authorization", "Bearer sk_live_x")
				r.Header.Set("X-Forwarded-For", "198.51.100.1")
				r.Header.Set("X-Forwarded-Proto", "https") // the runner's own value wins
				r.Header.Set("Connection", "keep-alive")
				return r
			},
			check: func(t *testing.T, ev lambdax.Request) {
				want := map[string]string{
					"accept":            "application/json,text/plain",
					"authorization":     "Bearer sk_live_x",
					"host":              "localhost:8080",
					"x-forwarded-for":   "198.51.100.1, 127.0.0.1",
					"x-forwarded-proto": "http",
					"x-forwarded-port":  "8080",
					"x-amzn-trace-id":   "Root=1-test",
				}
				if !maps.Equal(ev.Headers, want) {
					t.Errorf("headers =\n%q\nwant\n%q", ev.Headers, want)
				}
				if ev.RequestContext.DomainPrefix != "localhost" {
					t.Errorf("domainPrefix = %q", ev.RequestContext.DomainPrefix)
				}
			},
		},
		{
			name: "cookies from every Cookie header, not in headers",
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "http://localhost/platform/v1/x", nil)
				r.Header.Add("Cookie", "a=1; b=2")
				r.Header.Add("Cookie", "c=3;d=4; ")
				return r
			},
			check: func(t *testing.T, ev lambdax.Request) {
				if !slices.Equal(ev.Cookies, []string{"a=1", "b=2", "c=3", "d=4"}) {
					t.Errorf("cookies = %q", ev.Cookies)
				}
				if _, ok := ev.Headers["cookie"]; ok {
					t.Errorf("cookie header kept: %q", ev.Headers["cookie"])
				}
				if ev.Headers["x-forwarded-port"] != "80" {
					t.Errorf("x-forwarded-port = %q", ev.Headers["x-forwarded-port"])
				}
			},
		},
		{
			name: "JSON body as text",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "http://localhost/platform/v1/tenants", strings.NewReader(`{"id":"ağent"}`))
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				return r
			},
			check: func(t *testing.T, ev lambdax.Request) {
				if ev.Body != `{"id":"ağent"}` || ev.IsBase64Encoded {
					t.Errorf("body = %q, base64 %v", ev.Body, ev.IsBase64Encoded)
				}
				if ev.Headers["content-length"] != "15" {
					t.Errorf("content-length = %q", ev.Headers["content-length"])
				}
			},
		},
		{
			name: "form body base64, as API Gateway sends it",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "http://localhost/oauth/token", strings.NewReader("grant_type=client_credentials"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			},
			check: func(t *testing.T, ev lambdax.Request) {
				checkBase64(t, ev, "grant_type=client_credentials")
				if ev.RouteKey != "POST /oauth/token" || ev.PathParameters != nil {
					t.Errorf("routeKey, pathParameters = %q, %v", ev.RouteKey, ev.PathParameters)
				}
			},
		},
		{
			name: "text body that is not UTF-8 base64",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "http://localhost/oauth/token", strings.NewReader("a\xffb"))
				r.Header.Set("Content-Type", "text/plain")
				return r
			},
			check: func(t *testing.T, ev lambdax.Request) { checkBase64(t, ev, "a\xffb") },
		},
		{
			name: "body without content type base64",
			req: func() *http.Request {
				return httptest.NewRequest("POST", "http://localhost/oauth/token", strings.NewReader("{}"))
			},
			check: func(t *testing.T, ev lambdax.Request) { checkBase64(t, ev, "{}") },
		},
		{
			name: "malformed content type base64",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "http://localhost/oauth/token", strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json; =")
				return r
			},
			check: func(t *testing.T, ev lambdax.Request) { checkBase64(t, ev, "{}") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev lambdax.Request
			s := testServer(t, routes, capture(&ev))
			w := httptest.NewRecorder()
			s.ServeHTTP(w, tt.req())
			if w.Code != http.StatusNoContent {
				t.Fatalf("status = %d, body %q", w.Code, w.Body)
			}
			tt.check(t, ev)
		})
	}
}

func checkBase64(t *testing.T, ev lambdax.Request, want string) {
	t.Helper()
	got, err := base64.StdEncoding.DecodeString(ev.Body)
	if !ev.IsBase64Encoded || err != nil || string(got) != want {
		t.Errorf("body = %q (base64 %v), want base64 of %q", ev.Body, ev.IsBase64Encoded, want)
	}
}

func TestResponse(t *testing.T) {
	routes := []Route{{"admin", "ANY", "/platform/v1/{proxy+}"}}
	tests := []struct {
		name       string
		resp       lambdax.Response
		err        error
		status     int
		header     http.Header // each listed header must have exactly these values
		body       string
		logContent string
	}{
		{
			name: "headers, multi-value headers and cookies",
			resp: lambdax.Response{
				StatusCode: http.StatusCreated,
				Headers: map[string]string{
					"content-type": "application/json", "vary": "Origin,Accept",
					"X-Both": "from headers", "Connection": "close", "Content-Length": "999",
				},
				MultiValueHeaders: map[string][]string{"x-both": {"one", "two"}, "Cache-Control": {"no-store"}},
				Cookies:           []string{"a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"},
				Body:              `{"ok":true}`,
			},
			status: http.StatusCreated,
			header: http.Header{
				"Content-Type":    {"application/json"},
				"Vary":            {"Origin,Accept"},
				"X-Both":          {"one", "two"},
				"Cache-Control":   {"no-store"},
				"Set-Cookie":      {"a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"},
				"Content-Length":  {"11"},
				"Apigw-Requestid": {"JKJaXmPLvHcESHA="},
				"Connection":      nil,
			},
			body: `{"ok":true}`,
		},
		{
			name:   "base64 body decoded",
			resp:   lambdax.Response{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte{0xff, 0, 1}), IsBase64Encoded: true},
			status: 200,
			header: http.Header{"Content-Length": {"3"}},
			body:   "\xff\x00\x01",
		},
		{
			name:   "no content",
			resp:   lambdax.Response{StatusCode: http.StatusNoContent},
			status: http.StatusNoContent,
			header: http.Header{"Content-Length": nil},
		},
		{
			name:   "function error is API Gateway's 500",
			err:    errors.New("boom"),
			status: http.StatusInternalServerError,
			header: http.Header{"Content-Type": {"application/json"}},
			body:   `{"message":"Internal Server Error"}`,
		},
		{
			name:   "body that is not base64 is a 500",
			resp:   lambdax.Response{StatusCode: 200, Body: "%%%", IsBase64Encoded: true},
			status: http.StatusInternalServerError,
			body:   `{"message":"Internal Server Error"}`,
		},
		{
			name:   "missing status is a 500",
			resp:   lambdax.Response{Body: "x"},
			status: http.StatusInternalServerError,
			body:   `{"message":"Internal Server Error"}`,
		},
		{
			name:   "status out of range is a 500",
			resp:   lambdax.Response{StatusCode: 600},
			status: http.StatusInternalServerError,
			body:   `{"message":"Internal Server Error"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testServer(t, routes, func(context.Context, lambdax.Request) (lambdax.Response, error) {
				return tt.resp, tt.err
			})
			s.log = discardLogger()
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest("GET", "/platform/v1/x", nil))
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.status, tt.body)
			}
			for k, want := range tt.header {
				if got := w.Header().Values(k); !slices.Equal(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	s := testServer(t, []Route{{"admin", "GET", "/healthz"}}, nil)
	for _, tt := range []struct{ method, target string }{
		{"GET", "/nope"}, {"GET", "/healthz/"}, {"GET", "/Healthz"}, {"POST", "/healthz"},
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(tt.method, tt.target, nil))
		if w.Code != http.StatusNotFound || w.Body.String() != `{"message":"Not Found"}` ||
			w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: got %d %q %v", tt.method, tt.target, w.Code, w.Body, w.Header())
		}
	}
}

// failingReader fails the test if the runner reads a body it should refuse.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("body read despite a Content-Length over the limit")
	return 0, io.EOF
}

func TestBodyLimit(t *testing.T) {
	var ev lambdax.Request
	routes := []Route{{"token", "POST", "/oauth/token"}}
	tooLarge := `{"error":"invalid_request","message":"request body too large"}`
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		body   string
	}{
		{"exactly the limit", func() *http.Request {
			return httptest.NewRequest("POST", "/oauth/token", strings.NewReader(strings.Repeat("a", MaxBodyBytes)))
		}, http.StatusNoContent, ""},
		{"one byte over", func() *http.Request {
			return httptest.NewRequest("POST", "/oauth/token", strings.NewReader(strings.Repeat("a", MaxBodyBytes+1)))
		}, http.StatusRequestEntityTooLarge, tooLarge},
		{"over, without a length", func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth/token", io.MultiReader(strings.NewReader(strings.Repeat("a", MaxBodyBytes)), strings.NewReader("b")))
			r.ContentLength = -1
			return r
		}, http.StatusRequestEntityTooLarge, tooLarge},
		{"declared length over the limit is not read", func() *http.Request {
			r := httptest.NewRequest("POST", "/oauth/token", failingReader{t})
			r.ContentLength = 10 << 20
			return r
		}, http.StatusRequestEntityTooLarge, tooLarge},
		{"unknown route before the body", func() *http.Request {
			r := httptest.NewRequest("POST", "/nope", failingReader{t})
			r.ContentLength = 10 << 20
			return r
		}, http.StatusNotFound, `{"message":"Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testServer(t, routes, capture(&ev))
			w := httptest.NewRecorder()
			s.ServeHTTP(w, tt.req())
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.status, tt.body)
			}
		})
	}
}

func TestNewHandlerErrors(t *testing.T) {
	h := http.NotFoundHandler()
	tests := []struct {
		name      string
		routes    []Route
		functions map[string]http.Handler
		want      string
	}{
		{"route without a handler", []Route{{"jwks", "GET", "/a"}}, map[string]http.Handler{}, "no handler"},
		{"nil handler", []Route{{"jwks", "GET", "/a"}}, map[string]http.Handler{"jwks": nil}, "no handler"},
		{"handler without a route", []Route{{"jwks", "GET", "/a"}}, map[string]http.Handler{"jwks": h, "admin": h}, "no route"},
		{"conflicting routes", []Route{{"jwks", "GET", "/a/{x}"}, {"jwks", "GET", "/a/{y}"}}, map[string]http.Handler{"jwks": h}, "conflict"},
		{"malformed route", []Route{{"jwks", "GET", "a"}}, map[string]http.Handler{"jwks": h}, "start with /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHandler(tt.routes, tt.functions)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewHandler error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// The runner refuses bodies over 1 MiB exactly (WIRE §3), whatever the
// constant is called.
func TestMaxBodyBytesIsOneMiB(t *testing.T) {
	if MaxBodyBytes != 1048576 {
		t.Fatalf("MaxBodyBytes = %d, want 1048576", MaxBodyBytes)
	}
}

package lambdax

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// seen is what a test handler observed of the request it was given.
type seen struct {
	method, host, scheme, path, escapedPath, rawQuery, remoteAddr string
	header                                                        http.Header
	query                                                         map[string][]string
	cookies                                                       map[string]string
	body                                                          []byte
	contentLength                                                 int64
	requestID                                                     string
	hasRequestID                                                  bool
	rawPath, requestURI, urlHost, proto                           string
	noBody                                                        bool
}

// recorder returns a handler that stores what it saw in *got and answers 204.
func recorder(t *testing.T, got *seen) http.Handler {
	t.Helper()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		cookies := map[string]string{}
		for _, c := range r.Cookies() {
			cookies[c.Name] = c.Value
		}
		id, hasID := RequestID(r.Context())
		*got = seen{
			method: r.Method, host: r.Host, scheme: r.URL.Scheme, path: r.URL.Path,
			escapedPath: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery, remoteAddr: r.RemoteAddr,
			header: r.Header.Clone(), query: r.URL.Query(), cookies: cookies, body: body,
			contentLength: r.ContentLength, requestID: id, hasRequestID: hasID,
			rawPath: r.URL.RawPath, requestURI: r.RequestURI, urlHost: r.URL.Host, proto: r.Proto,
			noBody: r.Body == http.NoBody,
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// event returns a representative event as API Gateway sends it.
func event() events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "GET /.well-known/{proxy+}",
		RawPath:        "/.well-known/jwks.json",
		RawQueryString: "",
		Headers: map[string]string{
			"host":              "auth.example.com",
			"x-forwarded-proto": "https",
			"x-forwarded-for":   "203.0.113.7",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:   "GET /.well-known/{proxy+}",
			Stage:      "$default",
			RequestID:  "JKJaXmPLvHcESHA=",
			DomainName: "auth.example.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "GET", Path: "/.well-known/jwks.json", Protocol: "HTTP/1.1",
				SourceIP: "203.0.113.7", UserAgent: "test",
			},
		},
	}
}

func invoke(t *testing.T, h http.Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := Adapter(h)(t.Context(), ev)
	if err != nil {
		t.Fatalf("Adapter: %v", err)
	}
	return resp
}

func TestAdapterRequest(t *testing.T) {
	const (
		userAgent = "shark-auth/0.1.1 (Linux; x86_64), python-requests/2.32"
		date      = "Tue, 15 Nov 1994 08:12:31 GMT"
		dpop      = "eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJqdGkiOiJ4In0.c2ln"
		auth      = `Basic YWdlbnQ6c2VjcmV0`
		quoted    = `a="x, y", b=2`
	)
	tests := []struct {
		name  string
		edit  func(*events.APIGatewayV2HTTPRequest)
		check func(*testing.T, seen)
	}{
		{
			name: "comma values reach the handler unsplit",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.Headers["user-agent"] = userAgent
				ev.Headers["date"] = date
				ev.Headers["dpop"] = dpop
				ev.Headers["authorization"] = auth
				ev.Headers["x-quoted"] = quoted
				// API Gateway joins repeated headers with ",".
				ev.Headers["accept"] = "application/json,text/plain"
			},
			check: func(t *testing.T, s seen) {
				for name, want := range map[string]string{
					"User-Agent": userAgent, "Date": date, "Dpop": dpop,
					"Authorization": auth, "X-Quoted": quoted, "Accept": "application/json,text/plain",
				} {
					if got := s.header.Values(name); len(got) != 1 || got[0] != want {
						t.Errorf("header %s = %q, want [%q]", name, got, want)
					}
				}
			},
		},
		{
			name: "host is the domain name and not a header; scheme from x-forwarded-proto",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.Headers["x-forwarded-proto"] = "http"
				ev.RequestContext.DomainName = "localhost:8080"
				ev.Headers["host"] = "localhost:8080"
			},
			check: func(t *testing.T, s seen) {
				if s.host != "localhost:8080" || s.scheme != "http" {
					t.Errorf("host, scheme = %q, %q; want localhost:8080, http", s.host, s.scheme)
				}
				if _, ok := s.header["Host"]; ok {
					t.Errorf("Host left in r.Header: %q", s.header["Host"])
				}
				if got := s.header.Get("X-Forwarded-Proto"); got != "http" {
					t.Errorf("X-Forwarded-Proto = %q", got)
				}
			},
		},
		{
			name: "no domain name falls back to the host header",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RequestContext.DomainName = ""
				ev.Headers["host"] = "tenant.example.com"
			},
			check: func(t *testing.T, s seen) {
				if s.host != "tenant.example.com" {
					t.Errorf("host = %q", s.host)
				}
			},
		},
		{
			name: "an unknown x-forwarded-proto leaves the scheme alone",
			edit: func(ev *events.APIGatewayV2HTTPRequest) { ev.Headers["x-forwarded-proto"] = "gopher" },
			check: func(t *testing.T, s seen) {
				if s.scheme != "https" {
					t.Errorf("scheme = %q", s.scheme)
				}
			},
		},
		{
			name: "query string kept raw and parsed",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RawQueryString = "a=1&a=2&b=x%20y&c=%2C"
				ev.QueryStringParameters = map[string]string{"a": "1,2", "b": "x y", "c": ","}
			},
			check: func(t *testing.T, s seen) {
				if s.rawQuery != "a=1&a=2&b=x%20y&c=%2C" {
					t.Errorf("raw query = %q", s.rawQuery)
				}
				if got := s.query["a"]; len(got) != 2 || got[0] != "1" || got[1] != "2" {
					t.Errorf("a = %q", got)
				}
				if s.query["b"][0] != "x y" || s.query["c"][0] != "," {
					t.Errorf("query = %q", s.query)
				}
			},
		},
		{
			name: "percent-encoded path decoded in Path, kept in EscapedPath",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RawPath = "/t/acme/.well-known/a%2Fb%20c"
			},
			check: func(t *testing.T, s seen) {
				if s.path != "/t/acme/.well-known/a/b c" || s.escapedPath != "/t/acme/.well-known/a%2Fb%20c" {
					t.Errorf("path, escaped = %q, %q", s.path, s.escapedPath)
				}
			},
		},
		{
			name: "cookies arrive as one Cookie header",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.Cookies = []string{"session=abc", "theme=dark"}
			},
			check: func(t *testing.T, s seen) {
				if got := s.header.Values("Cookie"); len(got) != 1 || got[0] != "session=abc; theme=dark" {
					t.Errorf("Cookie = %q", got)
				}
				if s.cookies["session"] != "abc" || s.cookies["theme"] != "dark" {
					t.Errorf("cookies = %v", s.cookies)
				}
			},
		},
		{
			name: "base64 body decoded",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RequestContext.HTTP.Method = "POST"
				ev.Headers["content-type"] = "application/x-www-form-urlencoded"
				ev.Body = base64.StdEncoding.EncodeToString([]byte("grant_type=client_credentials&x=\xff\x00"))
				ev.IsBase64Encoded = true
			},
			check: func(t *testing.T, s seen) {
				want := "grant_type=client_credentials&x=\xff\x00"
				if string(s.body) != want || s.contentLength != int64(len(want)) {
					t.Errorf("body = %q (length %d)", s.body, s.contentLength)
				}
				if s.method != "POST" {
					t.Errorf("method = %q", s.method)
				}
			},
		},
		{
			name: "text body passed as is",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RequestContext.HTTP.Method = "post"
				ev.Headers["content-type"] = "application/json"
				ev.Body = `{"name":"ağent"}`
			},
			check: func(t *testing.T, s seen) {
				if string(s.body) != `{"name":"ağent"}` || s.method != "POST" {
					t.Errorf("method, body = %q, %q", s.method, s.body)
				}
			},
		},
		{
			name: "source ip and request id",
			edit: func(*events.APIGatewayV2HTTPRequest) {},
			check: func(t *testing.T, s seen) {
				if s.remoteAddr != "203.0.113.7" || s.requestID != "JKJaXmPLvHcESHA=" {
					t.Errorf("remote addr, request id = %q, %q", s.remoteAddr, s.requestID)
				}
			},
		},
		{
			name: "no request id in the event",
			edit: func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.RequestID = "" },
			check: func(t *testing.T, s seen) {
				if s.hasRequestID || s.requestID != "" {
					t.Errorf("request id = %q, %v", s.requestID, s.hasRequestID)
				}
			},
		},
		{
			name: "remote addr is the source ip as sent, without a port",
			edit: func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.HTTP.SourceIP = "2001:db8::1" },
			check: func(t *testing.T, s seen) {
				if s.remoteAddr != "2001:db8::1" {
					t.Errorf("remote addr = %q", s.remoteAddr)
				}
			},
		},
		{
			name: "url, request uri and protocol",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RawPath = "/t/acme/oauth/token"
				ev.RawQueryString = "x=1&y=%2F"
				ev.RequestContext.HTTP.Protocol = "HTTP/2.0"
			},
			check: func(t *testing.T, s seen) {
				if s.requestURI != "/t/acme/oauth/token?x=1&y=%2F" {
					t.Errorf("request uri = %q", s.requestURI)
				}
				if s.urlHost != "auth.example.com" || s.rawPath != "" || s.path != "/t/acme/oauth/token" {
					t.Errorf("url host, path, raw path = %q, %q, %q", s.urlHost, s.path, s.rawPath)
				}
				// The library always built an HTTP/1.1 request.
				if s.proto != "HTTP/1.1" {
					t.Errorf("proto = %q", s.proto)
				}
			},
		},
		{
			name: "no x-forwarded-proto: the scheme is https",
			edit: func(ev *events.APIGatewayV2HTTPRequest) { delete(ev.Headers, "x-forwarded-proto") },
			check: func(t *testing.T, s seen) {
				if s.scheme != "https" {
					t.Errorf("scheme = %q", s.scheme)
				}
			},
		},
		{
			name: "encoded path segments: raw path kept only where it differs",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RawPath = "/t/a%2Fb/c%3Fd/%7Euser/x%20y"
			},
			check: func(t *testing.T, s seen) {
				if s.path != "/t/a/b/c?d/~user/x y" {
					t.Errorf("path = %q", s.path)
				}
				if s.rawPath != "/t/a%2Fb/c%3Fd/%7Euser/x%20y" || s.escapedPath != s.rawPath {
					t.Errorf("raw path, escaped path = %q, %q", s.rawPath, s.escapedPath)
				}
				if s.requestURI != "/t/a%2Fb/c%3Fd/%7Euser/x%20y" {
					t.Errorf("request uri = %q", s.requestURI)
				}
			},
		},
		{
			name: "a space-encoded path needs no raw path",
			edit: func(ev *events.APIGatewayV2HTTPRequest) { ev.RawPath = "/a%20b" },
			check: func(t *testing.T, s seen) {
				if s.path != "/a b" || s.rawPath != "" || s.escapedPath != "/a%20b" {
					t.Errorf("path, raw path, escaped = %q, %q, %q", s.path, s.rawPath, s.escapedPath)
				}
			},
		},
		{
			name: "no raw path: the request context's path, with a leading slash",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RawPath = ""
				ev.RequestContext.HTTP.Path = "healthz"
			},
			check: func(t *testing.T, s seen) {
				if s.path != "/healthz" || s.requestURI != "/healthz" {
					t.Errorf("path, request uri = %q, %q", s.path, s.requestURI)
				}
			},
		},
		{
			name: "query with repeated keys, escapes, an empty value and a bare key",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RawQueryString = "scope=mcp%3Aread+mcp%3Awrite&scope=x&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fq%3D1&e=&bare"
			},
			check: func(t *testing.T, s seen) {
				if s.rawQuery != "scope=mcp%3Aread+mcp%3Awrite&scope=x&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fq%3D1&e=&bare" {
					t.Errorf("raw query = %q", s.rawQuery)
				}
				if got := s.query["scope"]; len(got) != 2 || got[0] != "mcp:read mcp:write" || got[1] != "x" {
					t.Errorf("scope = %q", got)
				}
				if got := s.query["redirect_uri"]; len(got) != 1 || got[0] != "https://a.example/cb?q=1" {
					t.Errorf("redirect_uri = %q", got)
				}
				if got, ok := s.query["e"]; !ok || got[0] != "" {
					t.Errorf("e = %q", got)
				}
				if got, ok := s.query["bare"]; !ok || got[0] != "" {
					t.Errorf("bare = %q", got)
				}
			},
		},
		{
			name: "no raw query string: built from the query parameters",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.QueryStringParameters = map[string]string{"b": "x y", "a": "1"}
			},
			check: func(t *testing.T, s seen) {
				if s.rawQuery != "a=1&b=x+y" {
					t.Errorf("raw query = %q", s.rawQuery)
				}
			},
		},
		{
			name: "no domain name and no host header: no host",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.RequestContext.DomainName = ""
				delete(ev.Headers, "host")
			},
			check: func(t *testing.T, s seen) {
				if s.host != "" || s.urlHost != "" {
					t.Errorf("host, url host = %q, %q", s.host, s.urlHost)
				}
				if s.scheme != "https" || s.path != "/.well-known/jwks.json" {
					t.Errorf("scheme, path = %q, %q", s.scheme, s.path)
				}
			},
		},
		{
			name: "domain name with an empty port",
			edit: func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.DomainName = "auth.example.com:" },
			check: func(t *testing.T, s seen) {
				if s.host != "auth.example.com" {
					t.Errorf("host = %q", s.host)
				}
			},
		},
		{
			name: "a Cookie header and the event's cookies join in one header",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.Headers["cookie"] = "pre=1"
				ev.Cookies = []string{"__Host-shark_session=s3cr3t", "theme=dark"}
			},
			check: func(t *testing.T, s seen) {
				if got := s.header.Values("Cookie"); len(got) != 1 || got[0] != "pre=1; __Host-shark_session=s3cr3t; theme=dark" {
					t.Errorf("Cookie = %q", got)
				}
				if s.cookies["pre"] != "1" || s.cookies["__Host-shark_session"] != "s3cr3t" || s.cookies["theme"] != "dark" {
					t.Errorf("cookies = %v", s.cookies)
				}
			},
		},
		{
			name: "no cookies: no Cookie header",
			edit: func(*events.APIGatewayV2HTTPRequest) {},
			check: func(t *testing.T, s seen) {
				if _, ok := s.header["Cookie"]; ok {
					t.Errorf("Cookie = %q", s.header["Cookie"])
				}
			},
		},
		{
			name: "header names canonical, values as sent, nothing added",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				ev.Headers = map[string]string{
					"host": "auth.example.com", "content-type": "application/x-www-form-urlencoded",
					"content-length": "29", "dpop": "a.b.c", "X-Mixed-CASE": "v", "x-forwarded-proto": "https",
					"x-amzn-trace-id": "Root=1-x", "accept-encoding": "gzip, br",
				}
			},
			check: func(t *testing.T, s seen) {
				want := http.Header{
					"Content-Type": {"application/x-www-form-urlencoded"}, "Content-Length": {"29"},
					"Dpop": {"a.b.c"}, "X-Mixed-Case": {"v"}, "X-Forwarded-Proto": {"https"},
					"X-Amzn-Trace-Id": {"Root=1-x"}, "Accept-Encoding": {"gzip, br"},
				}
				if len(s.header) != len(want) {
					t.Errorf("header = %v, want %v", s.header, want)
				}
				for k, v := range want {
					if got := s.header[k]; len(got) != 1 || got[0] != v[0] {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
			},
		},
		{
			name: "no body: length 0 and http.NoBody",
			edit: func(*events.APIGatewayV2HTTPRequest) {},
			check: func(t *testing.T, s seen) {
				if len(s.body) != 0 || s.contentLength != 0 || !s.noBody {
					t.Errorf("body = %q, length %d, NoBody %v", s.body, s.contentLength, s.noBody)
				}
			},
		},
		{
			name: "empty method is GET",
			edit: func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.HTTP.Method = "" },
			check: func(t *testing.T, s seen) {
				if s.method != "GET" {
					t.Errorf("method = %q", s.method)
				}
			},
		},
		{
			name: "DPoP token request: form body base64 in the event",
			edit: func(ev *events.APIGatewayV2HTTPRequest) {
				*ev = tokenEvent()
			},
			check: func(t *testing.T, s seen) {
				if s.method != "POST" || s.path != "/oauth/token" || string(s.body) != tokenForm ||
					s.contentLength != int64(len(tokenForm)) {
					t.Errorf("method, path, body = %q, %q, %q", s.method, s.path, s.body)
				}
				if s.header.Get("Dpop") != tokenProof || s.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
					t.Errorf("header = %v", s.header)
				}
				if s.host != "127.0.0.1:8080" || s.scheme != "http" || s.remoteAddr != "127.0.0.1" {
					t.Errorf("host, scheme, remote = %q, %q, %q", s.host, s.scheme, s.remoteAddr)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event()
			tt.edit(&ev)
			var got seen
			resp := invoke(t, recorder(t, &got), ev)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status = %d, body %q", resp.StatusCode, resp.Body)
			}
			tt.check(t, got)
		})
	}
}

func TestAdapterMalformedEvent(t *testing.T) {
	tests := []struct {
		name string
		edit func(*events.APIGatewayV2HTTPRequest)
	}{
		{"body not base64", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body, ev.IsBase64Encoded = "not base64!", true
		}},
		{"path does not parse", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawPath = "/%zz" }},
		{"domain name does not parse", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.DomainName = "bad host/"
			ev.RawPath = "/x%zz"
		}},
		{"method is not a token", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.HTTP.Method = "GE T" }},
		{"domain name with a space", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.DomainName = "bad host" }},
		{"domain name with a bad port", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.DomainName = "auth.example.com:x" }},
		{"path with a control character", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawPath = "/a\x7fb" }},
		{"query with a control character", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawQueryString = "a=\x01" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event()
			tt.edit(&ev)
			ran := false
			resp := invoke(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }), ev)
			if ran {
				t.Error("handler ran on a malformed event")
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			var body struct{ Error, Message string }
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error != "invalid_request" {
				t.Errorf("body = %q (%v)", resp.Body, err)
			}
		})
	}
}

func TestAdapterResponse(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(*testing.T, events.APIGatewayV2HTTPResponse)
	}{
		{
			name: "status code and JSON body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"id":"agent_1"}`)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.StatusCode != http.StatusCreated || resp.Body != `{"id":"agent_1"}` || resp.IsBase64Encoded {
					t.Errorf("got %d %q base64=%v", resp.StatusCode, resp.Body, resp.IsBase64Encoded)
				}
				if resp.Headers["Content-Type"] != "application/json" {
					t.Errorf("headers = %v", resp.Headers)
				}
			},
		},
		{
			name:    "nothing written is 200 with an empty body",
			handler: func(http.ResponseWriter, *http.Request) {},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.StatusCode != http.StatusOK || resp.Body != "" {
					t.Errorf("got %d %q", resp.StatusCode, resp.Body)
				}
			},
		},
		{
			name: "write without WriteHeader is 200 with a sniffed type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<html></html>")
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
					t.Errorf("got %d %v", resp.StatusCode, resp.Headers)
				}
			},
		},
		{
			name: "first WriteHeader wins and later header changes are ignored",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Before", "1")
				w.WriteHeader(http.StatusNotFound)
				w.Header().Set("X-After", "1")
				w.WriteHeader(http.StatusOK)
				io.WriteString(w, `{"error":"not_found"}`)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("status = %d", resp.StatusCode)
				}
				if resp.Headers["X-Before"] != "1" || resp.Headers["X-After"] != "" {
					t.Errorf("headers = %v", resp.Headers)
				}
			},
		},
		{
			name: "1xx is not the final status",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusAccepted)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.StatusCode != http.StatusAccepted {
					t.Errorf("status = %d", resp.StatusCode)
				}
			},
		},
		{
			name: "binary body base64-encoded",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Write([]byte{0xff, 0x00, 0xfe})
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				got, err := base64.StdEncoding.DecodeString(resp.Body)
				if !resp.IsBase64Encoded || err != nil || !bytes.Equal(got, []byte{0xff, 0x00, 0xfe}) {
					t.Errorf("body = %q base64=%v", resp.Body, resp.IsBase64Encoded)
				}
			},
		},
		{
			name: "multi-value headers joined with commas",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("Vary", "Origin")
				w.Header().Add("Vary", "Accept")
				w.Header().Add("WWW-Authenticate", `DPoP algs="ES256"`)
				w.Header().Add("WWW-Authenticate", `Bearer realm="x"`)
				w.WriteHeader(http.StatusUnauthorized)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.Headers["Vary"] != "Origin,Accept" {
					t.Errorf("Vary = %q", resp.Headers["Vary"])
				}
				if resp.Headers["Www-Authenticate"] != `DPoP algs="ES256",Bearer realm="x"` {
					t.Errorf("WWW-Authenticate = %q", resp.Headers["Www-Authenticate"])
				}
			},
		},
		{
			name: "Set-Cookie becomes cookies",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/", HttpOnly: true})
				w.Header().Add("Set-Cookie", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT")
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if len(resp.Cookies) != 2 || resp.Cookies[0] != "a=1; Path=/; HttpOnly" ||
					resp.Cookies[1] != "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT" {
					t.Errorf("cookies = %q", resp.Cookies)
				}
				if _, ok := resp.Headers["Set-Cookie"]; ok {
					t.Errorf("Set-Cookie left in headers: %v", resp.Headers)
				}
			},
		},
		{
			name: "WriteHeader then a write with no type: the type is sniffed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":"invalid_request"}`)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.StatusCode != http.StatusBadRequest || resp.Headers["Content-Type"] != "text/plain; charset=utf-8" {
					t.Errorf("got %d %v", resp.StatusCode, resp.Headers)
				}
			},
		},
		{
			name: "WriteHeader and no write: no type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "https://a.example/cb?code=x")
				w.WriteHeader(http.StatusFound)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if _, ok := resp.Headers["Content-Type"]; ok || resp.StatusCode != http.StatusFound {
					t.Errorf("got %d %v", resp.StatusCode, resp.Headers)
				}
				if resp.Headers["Location"] != "https://a.example/cb?code=x" {
					t.Errorf("Location = %q", resp.Headers["Location"])
				}
			},
		},
		{
			name: "an empty write sniffs text/plain",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(nil)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != "text/plain; charset=utf-8" || resp.Body != "" {
					t.Errorf("got %d %v %q", resp.StatusCode, resp.Headers, resp.Body)
				}
			},
		},
		{
			name: "several writes: one body, the type sniffed from the first",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<!DOCTYPE html><html>")
				w.Write([]byte{0xff})
				io.WriteString(w, "</html>")
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.Headers["Content-Type"] != "text/html; charset=utf-8" {
					t.Errorf("type = %q", resp.Headers["Content-Type"])
				}
				got, err := base64.StdEncoding.DecodeString(resp.Body)
				if !resp.IsBase64Encoded || err != nil || string(got) != "<!DOCTYPE html><html>\xff</html>" {
					t.Errorf("body = %q base64=%v", resp.Body, resp.IsBase64Encoded)
				}
			},
		},
		{
			name: "a set type is kept",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				io.WriteString(w, "<html>")
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.Headers["Content-Type"] != "application/problem+json" || resp.Body != "<html>" {
					t.Errorf("got %v %q", resp.Headers, resp.Body)
				}
			},
		},
		{
			name: "headers added after WriteHeader are ignored",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("Vary", "Origin")
				w.WriteHeader(http.StatusOK)
				w.Header().Add("Vary", "Accept")
				w.Header().Add("X-Late", "1")
				http.SetCookie(w, &http.Cookie{Name: "late", Value: "1"})
				io.WriteString(w, "{}")
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if resp.Headers["Vary"] != "Origin" || resp.Headers["X-Late"] != "" || len(resp.Cookies) != 0 {
					t.Errorf("headers, cookies = %v, %q", resp.Headers, resp.Cookies)
				}
			},
		},
		{
			name: "a header with no value is sent empty; names are kept as set",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["X-Empty"] = nil
				w.Header()["x-raw-name"] = []string{"v"}
				w.WriteHeader(http.StatusNoContent)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if v, ok := resp.Headers["X-Empty"]; !ok || v != "" {
					t.Errorf("X-Empty = %q, %v", v, ok)
				}
				if resp.Headers["x-raw-name"] != "v" {
					t.Errorf("headers = %v", resp.Headers)
				}
			},
		},
		{
			name: "Set-Cookie in any case becomes cookies",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["set-cookie"] = []string{"c=3"}
				w.Header().Add("Set-Cookie", "__Host-shark_session=s; Path=/; Secure; HttpOnly; SameSite=Lax")
				w.Header().Add("Set-Cookie", "__Host-shark_pre=; Path=/; Max-Age=0")
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusSeeOther)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				const session, pre = "__Host-shark_session=s; Path=/; Secure; HttpOnly; SameSite=Lax", "__Host-shark_pre=; Path=/; Max-Age=0"
				if len(resp.Cookies) != 3 || !slices.Contains(resp.Cookies, "c=3") {
					t.Fatalf("cookies = %q", resp.Cookies)
				}
				// One header's values keep their order.
				if i, j := slices.Index(resp.Cookies, session), slices.Index(resp.Cookies, pre); i < 0 || j != i+1 {
					t.Errorf("cookies = %q", resp.Cookies)
				}
				for k := range resp.Headers {
					if strings.EqualFold(k, "Set-Cookie") {
						t.Errorf("%s left in headers", k)
					}
				}
			},
		},
		{
			name: "PNG body base64-encoded with its type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				w.Write(pngBytes)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				got, err := base64.StdEncoding.DecodeString(resp.Body)
				if !resp.IsBase64Encoded || err != nil || !bytes.Equal(got, pngBytes) || resp.Headers["Content-Type"] != "image/png" {
					t.Errorf("body = %q base64=%v headers %v", resp.Body, resp.IsBase64Encoded, resp.Headers)
				}
			},
		},
		{
			name: "an unlabelled PNG is sniffed and base64-encoded",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(pngBytes)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				if !resp.IsBase64Encoded || resp.Headers["Content-Type"] != "image/png" {
					t.Errorf("base64=%v headers %v", resp.IsBase64Encoded, resp.Headers)
				}
			},
		},
		{
			name: "response shape: headers a map, cookies an empty list",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			},
			check: func(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
				got, err := json.Marshal(resp)
				if err != nil {
					t.Fatal(err)
				}
				if want := `{"statusCode":204,"headers":{},"multiValueHeaders":null,"body":"","cookies":[]}`; string(got) != want {
					t.Errorf("response = %s, want %s", got, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, invoke(t, tt.handler, event()))
		})
	}
	t.Run("text bodies stay text whatever the type", func(t *testing.T) {
		text := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", r.URL.Query().Get("type"))
			io.WriteString(w, r.URL.Query().Get("body"))
		})
		for _, c := range []struct{ typ, body string }{
			{"image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"><text>ağ</text></svg>`},
			{"text/html; charset=utf-8", "<!DOCTYPE html><p>Sign in — ağent</p>"},
			{"application/json", `{"name":"ağent ✓"}`},
			{"text/plain; charset=utf-8", "ok\n"},
			{"application/octet-stream", "plain ascii"},
			{"text/csv; charset=utf-8", "id,event\r\n"},
			{"application/x-ndjson", "{}\n{}\n"},
		} {
			ev := event()
			ev.RawQueryString = url.Values{"type": {c.typ}, "body": {c.body}}.Encode()
			resp := invoke(t, text, ev)
			if resp.IsBase64Encoded || resp.Body != c.body || resp.Headers["Content-Type"] != c.typ {
				t.Errorf("%s: body %q base64=%v type %q", c.typ, resp.Body, resp.IsBase64Encoded, resp.Headers["Content-Type"])
			}
		}
	})
}

// pngBytes is the start of a PNG file: its signature is not valid UTF-8.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func TestAdapterContext(t *testing.T) {
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, "invocation"))
	defer cancel()
	var got any
	var done bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Context().Value(key{})
		cancel()
		select {
		case <-r.Context().Done():
			done = true
		default:
		}
	})
	if _, err := Adapter(h)(ctx, event()); err != nil {
		t.Fatal(err)
	}
	if got != "invocation" || !done {
		t.Errorf("handler context: value %v, cancelled %v", got, done)
	}
}

func TestRequestIDOutsideLambda(t *testing.T) {
	if id, ok := RequestID(t.Context()); ok || id != "" {
		t.Errorf("RequestID = %q, %v", id, ok)
	}
}

package lambdax

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
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
		id, _ := RequestID(r.Context())
		*got = seen{
			method: r.Method, host: r.Host, scheme: r.URL.Scheme, path: r.URL.Path,
			escapedPath: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery, remoteAddr: r.RemoteAddr,
			header: r.Header.Clone(), query: r.URL.Query(), cookies: cookies, body: body,
			contentLength: r.ContentLength, requestID: id,
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, invoke(t, tt.handler, event()))
		})
	}
}

func TestRequestIDOutsideLambda(t *testing.T) {
	if id, ok := RequestID(t.Context()); ok || id != "" {
		t.Errorf("RequestID = %q, %v", id, ok)
	}
}

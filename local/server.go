package local

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sharkauth/serverless/shared/lambdax"
)

// MaxBodyBytes is the largest request body the runner passes to a function
// (WIRE.md: bodies over 1 MiB are refused). A larger body is answered 413
// after reading at most one byte past the limit.
const MaxBodyBytes = 1 << 20

// MaxHeaderBytes bounds a request's header block, as API Gateway's HTTP API
// does (its quota: 10 KB of request line and headers). Go's server refuses a
// larger one with 431 in plain text before any handler runs.
const MaxHeaderBytes = 10 << 10

// What the runner puts in requestContext where API Gateway would put the
// deployment's identity.
const (
	localAccountID = "000000000000"
	localAPIID     = "local"
	stageDefault   = "$default"
)

// hopByHop headers are not forwarded, in either direction.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Expect": true,
}

// Server serves every function of a template on one address as API Gateway's
// HTTP API would. Build one with NewHandler.
type Server struct {
	router  *router
	invoke  map[string]lambdax.HandlerFunc
	log     *slog.Logger
	now     func() time.Time
	newID   func() string // API Gateway's requestId
	traceID func(time.Time) string
}

// NewHandler returns the *Server for routes, invoking functions[route.Function]
// through lambdax.Adapter. It fails when a route names a function with no
// handler, when a handler has no route, or when a route is malformed or
// conflicts with another.
func NewHandler(routes []Route, functions map[string]http.Handler) (http.Handler, error) {
	invokers := make(map[string]lambdax.HandlerFunc, len(functions))
	for name, h := range functions {
		if h != nil {
			invokers[name] = lambdax.Adapter(h)
		}
	}
	return NewInvokerHandler(routes, invokers)
}

// NewInvokerHandler is NewHandler for functions given as invokers of HTTP
// API events: in-process adapters, or bootstraps running under the Lambda
// Runtime Interface Emulator (RIEFunction.Invoke, `shark serve --lambda`).
func NewInvokerHandler(routes []Route, functions map[string]lambdax.HandlerFunc) (http.Handler, error) {
	rt, err := newRouter(routes)
	if err != nil {
		return nil, err
	}
	s := &Server{
		router:  rt,
		invoke:  make(map[string]lambdax.HandlerFunc, len(functions)),
		log:     slog.Default(),
		now:     time.Now,
		newID:   requestID,
		traceID: traceID,
	}
	routed := map[string]bool{}
	for _, r := range routes {
		if functions[r.Function] == nil {
			return nil, fmt.Errorf("local: route %q names function %q, which has no handler", r.Key(), r.Function)
		}
		routed[r.Function] = true
	}
	for name, h := range functions {
		if !routed[name] {
			return nil, fmt.Errorf("local: function %q has no route", name)
		}
		s.invoke[name] = h
	}
	return s, nil
}

// ServeHTTP routes r, invokes the route's function with the HTTP API event of
// r, and writes the function's response.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Host == "" {
		// HTTP/1.0 lets a client omit Host; API Gateway never forwards such a
		// request, and no tenant or issuer can be resolved without one.
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request","message":"the Host header is required"}`)
		return
	}
	rawPath := r.URL.EscapedPath()
	route, params, ok := s.router.match(r.Method, rawPath)
	if !ok {
		writeJSON(w, http.StatusNotFound, `{"message":"Not Found"}`)
		return
	}
	body, err := readBody(r)
	switch {
	case errors.Is(err, errTooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, `{"error":"invalid_request","message":"request body too large"}`)
		return
	case err != nil:
		writeJSON(w, http.StatusBadRequest, `{"message":"Bad Request"}`)
		return
	}
	ev := s.event(r, route, params, rawPath, body)
	resp, err := s.invoke[route.Function](r.Context(), ev)
	if err != nil {
		s.log.Error("function failed", "function", route.Function, "route", route.key,
			"request_id", ev.RequestContext.RequestID, "err", err)
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	s.writeResponse(w, resp, ev.RequestContext.RequestID, route)
}

var errTooLarge = errors.New("local: request body too large")

// readBody reads r's body, refusing one over MaxBodyBytes without buffering it.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return body, nil
}

// event builds the HTTP API (payload format 2.0) event API Gateway would send
// for r on route.
func (s *Server) event(r *http.Request, route compiled, params map[string]string, rawPath string, body []byte) lambdax.Request {
	now := s.now()
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	headers := make(map[string]string, len(r.Header)+6)
	var cookies []string
	for k, vs := range r.Header {
		switch {
		case k == "Cookie":
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
		case hopByHop[k]:
		default:
			// API Gateway joins a repeated header's values with ",".
			headers[lowerKey(k)] = strings.Join(vs, ",")
		}
	}
	headers["host"] = r.Host
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	headers["x-forwarded-proto"] = proto
	headers["x-forwarded-port"] = localPort(r, proto)
	if xff := headers["x-forwarded-for"]; xff != "" {
		headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	headers["x-amzn-trace-id"] = s.traceID(now)

	ev := lambdax.Request{
		Version:               "2.0",
		RouteKey:              route.key,
		RawPath:               rawPath,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: lambdax.RequestContext{
			RouteKey:     route.key,
			AccountID:    localAccountID,
			Stage:        stageDefault,
			RequestID:    s.newID(),
			APIID:        localAPIID,
			DomainName:   r.Host,
			DomainPrefix: domainPrefix(r.Host),
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: lambdax.RequestContextHTTP{
				Method:    r.Method,
				Path:      rawPath,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if textBody(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// textBody reports whether API Gateway passes a body of this content type as
// text: text/*, application/json, application/xml and application/javascript.
// Every other body, a form or one with no content type included, arrives
// base64-encoded.
func textBody(contentType string) bool {
	if !strings.Contains(contentType, ";") {
		// No parameters: what mime.ParseMediaType would check, without the
		// map it allocates for them.
		mt := strings.ToLower(strings.TrimSpace(contentType))
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || !isToken(typ) || !isToken(sub) {
			return false
		}
		switch mt {
		case "application/json", "application/xml", "application/javascript":
			return true
		}
		return typ == "text"
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}

// queryParameters decodes a raw query as API Gateway does: repeated keys'
// values joined with ",". Malformed pairs are skipped.
func queryParameters(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	values, _ := url.ParseQuery(raw)
	if len(values) == 0 {
		return nil
	}
	params := make(map[string]string, len(values))
	for k, vs := range values {
		params[k] = strings.Join(vs, ",")
	}
	return params
}

// localPort is the port the client connected to.
func localPort(r *http.Request, proto string) string {
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			return port
		}
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		return port
	}
	if proto == "https" {
		return "443"
	}
	return "80"
}

// domainPrefix is the first label of the host, as in requestContext.
func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}

// writeResponse writes a function's response as API Gateway would: headers,
// multi-value headers (which win over a header of the same name), cookies as
// Set-Cookie, and the body decoded from base64 when it is encoded.
func (s *Server) writeResponse(w http.ResponseWriter, resp lambdax.Response, requestID string, route compiled) {
	body := resp.Body
	if resp.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			s.log.Error("function response body is not base64", "function", route.Function, "request_id", requestID)
			writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
			return
		}
		body = string(decoded)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 599 {
		s.log.Error("function response has an invalid status", "function", route.Function,
			"request_id", requestID, "status", resp.StatusCode)
		writeJSON(w, http.StatusInternalServerError, `{"message":"Internal Server Error"}`)
		return
	}
	h := w.Header()
	var multi map[string]bool
	for k, vs := range resp.MultiValueHeaders {
		ck := http.CanonicalHeaderKey(k)
		if hopByHop[ck] || ck == "Content-Length" {
			continue
		}
		if multi == nil {
			multi = make(map[string]bool, len(resp.MultiValueHeaders))
		}
		multi[ck] = true
		for _, v := range vs {
			h.Add(ck, v)
		}
	}
	// One backing array for the single values, as net/textproto does.
	values := make([]string, 0, len(resp.Headers)+2)
	set := func(k, v string) {
		values = append(values, v)
		h[k] = values[len(values)-1 : len(values) : len(values)]
	}
	for k, v := range resp.Headers {
		ck := http.CanonicalHeaderKey(k)
		if multi[ck] || hopByHop[ck] || ck == "Content-Length" {
			continue
		}
		set(ck, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	set("Apigw-Requestid", requestID)
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		w.WriteHeader(resp.StatusCode)
		return
	}
	set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	io.WriteString(w, body)
}

// writeJSON writes one of the runner's own answers (API Gateway's errors).
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// requestID returns a random id shaped like API Gateway's ("JKJaXmPLvHcESHA=").
func requestID() string {
	var b [11]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// traceID returns an X-Ray trace header value like API Gateway's.
func traceID(now time.Time) string {
	const prefix = "Root=1-"
	var b [len(prefix) + 8 + 1 + 24]byte
	copy(b[:], prefix)
	var epoch [4]byte
	binary.BigEndian.PutUint32(epoch[:], uint32(now.Unix()))
	hex.Encode(b[len(prefix):], epoch[:])
	b[len(prefix)+8] = '-'
	var random [12]byte
	rand.Read(random[:])
	hex.Encode(b[len(prefix)+9:], random[:])
	return string(b[:])
}

// isToken reports whether s is a non-empty RFC 9110 token, as each half of a
// media type must be.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return s != ""
}

// lowerKey is strings.ToLower(k) for a canonical header name, without
// allocating for the names clients send most.
func lowerKey(k string) string {
	switch k {
	case "Accept":
		return "accept"
	case "Accept-Encoding":
		return "accept-encoding"
	case "Accept-Language":
		return "accept-language"
	case "Authorization":
		return "authorization"
	case "Content-Type":
		return "content-type"
	case "Content-Length":
		return "content-length"
	case "Dpop":
		return "dpop"
	case "Origin":
		return "origin"
	case "Referer":
		return "referer"
	case "User-Agent":
		return "user-agent"
	case "X-Forwarded-For":
		return "x-forwarded-for"
	case "X-Request-Id":
		return "x-request-id"
	}
	return strings.ToLower(k)
}

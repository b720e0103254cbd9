package lambdax

import (
	"context"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// newRequest builds the request the client sent API Gateway from ev, in one
// pass; ok is false when ev does not describe an HTTP request (a method that
// is not a token, a body that is not valid base64, a URL that does not
// parse).
func newRequest(ctx context.Context, ev *Request) (*http.Request, bool) {
	method := strings.ToUpper(ev.RequestContext.HTTP.Method)
	if method == "" {
		method = http.MethodGet
	} else if !isToken(method) {
		return nil, false
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	query := ev.RawQueryString
	if query == "" && len(ev.QueryStringParameters) > 0 {
		// API Gateway always sends the raw query; a hand-made event may not.
		values := make(url.Values, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			values.Add(k, v)
		}
		query = values.Encode()
	}
	u, ok := requestURL(ev.RequestContext.DomainName, path, query)
	if !ok {
		return nil, false
	}
	body, length, ok := requestBody(ev)
	if !ok {
		return nil, false
	}
	header, hostHeader := requestHeader(ev)
	host := u.Host
	if host == "" {
		host = hostHeader
	}
	switch proto := header.Get("X-Forwarded-Proto"); proto {
	case "http", "https":
		u.Scheme = proto
	}
	rc := new(RequestContext)
	*rc = ev.RequestContext
	r := http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          body,
		ContentLength: length,
		Host:          host,
		RemoteAddr:    ev.RequestContext.HTTP.SourceIP,
		RequestURI:    u.RequestURI(),
	}
	return r.WithContext(context.WithValue(ctx, requestContextKey{}, rc)), true
}

// requestURL is the URL of "https://" + domain + path + "?" + query (the
// query only when not empty), as url.Parse reads it, with an empty port
// dropped from the host as http.NewRequest does. The common case, a plain
// host and a path and query that need no unescaping, is built without
// parsing.
func requestURL(domain, path, query string) (*url.URL, bool) {
	if plainHost(domain) && plainPath(path) && plainQuery(query) {
		return &url.URL{Scheme: "https", Host: domain, Path: path, RawQuery: query}, true
	}
	raw := "https://" + domain + path
	if query != "" {
		raw += "?" + query
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false
	}
	if i := strings.LastIndexByte(u.Host, ':'); i >= 0 && i == len(u.Host)-1 && i > strings.LastIndexByte(u.Host, ']') {
		u.Host = u.Host[:i]
	}
	return u, true
}

// plainHost reports whether url.Parse keeps domain as it is: a name of
// letters, digits, '-', '.', '_' and '~', with a port of one or more digits
// or none.
func plainHost(domain string) bool {
	name, port, hasPort := strings.Cut(domain, ":")
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	if !hasPort {
		return true
	}
	if port == "" {
		return false
	}
	for i := 0; i < len(port); i++ {
		if c := port[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// plainPath reports whether path (which starts with "/") is both its own
// decoded and its own escaped form: only characters a path never escapes.
func plainPath(path string) bool {
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case isAlnum(c):
		case strings.IndexByte("-_.~$&+,/:;=@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// plainQuery reports whether url.Parse would keep query whole as the raw
// query: no control character and no fragment.
func plainQuery(query string) bool {
	for i := 0; i < len(query); i++ {
		if c := query[i]; c < 0x20 || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isToken reports whether s is an RFC 9110 token, as a method must be.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) {
			continue
		}
		if strings.IndexByte("!#$%&'*+-.^_`|~", c) < 0 {
			return false
		}
	}
	return s != ""
}

// requestHeader returns ev's headers as the handler sees them: canonical
// names, each value exactly as in the event (API Gateway joins a repeated
// header's values with ","; they are never split), cookies (a Cookie header
// and ev.Cookies) in one Cookie header, and Host apart, as net/http keeps it.
func requestHeader(ev *Request) (header http.Header, host string) {
	header = make(http.Header, len(ev.Headers)+1)
	// One backing array for the values, as net/textproto does; a second
	// value for a name (two spellings of it in the event) appends by copying.
	values := make([]string, len(ev.Headers))
	var cookies []string
	for k, v := range ev.Headers {
		switch ck := canonicalKey(k); ck {
		case "Host":
			host = v
		case "Cookie":
			// API Gateway moves cookies to ev.Cookies; a hand-made event may
			// still carry the header.
			cookies = append(cookies, v)
		default:
			if vs, ok := header[ck]; ok {
				header[ck] = append(vs, v)
				continue
			}
			values[0] = v
			header[ck] = values[:1:1]
			values = values[1:]
		}
	}
	if len(ev.Cookies) > 0 {
		cookies = append(cookies, ev.Cookies...)
	}
	if len(cookies) > 0 {
		header["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	return header, host
}

// canonicalKey is textproto.CanonicalMIMEHeaderKey(k), without allocating
// for the lowercase names API Gateway sends most.
func canonicalKey(k string) string {
	switch k {
	case "host":
		return "Host"
	case "content-type":
		return "Content-Type"
	case "content-length":
		return "Content-Length"
	case "dpop":
		return "Dpop"
	case "authorization":
		return "Authorization"
	case "user-agent":
		return "User-Agent"
	case "accept":
		return "Accept"
	case "accept-encoding":
		return "Accept-Encoding"
	case "accept-language":
		return "Accept-Language"
	case "cookie":
		return "Cookie"
	case "origin":
		return "Origin"
	case "referer":
		return "Referer"
	case "x-forwarded-proto":
		return "X-Forwarded-Proto"
	case "x-forwarded-port":
		return "X-Forwarded-Port"
	case "x-forwarded-for":
		return "X-Forwarded-For"
	case "x-amzn-trace-id":
		return "X-Amzn-Trace-Id"
	case "x-request-id":
		return "X-Request-Id"
	}
	return textproto.CanonicalMIMEHeaderKey(k)
}

package local

import (
	"fmt"
	"net/url"
	"strings"
)

// Route is one HttpApi event of one function: API Gateway's route key
// (Method, Path) and the function it invokes.
type Route struct {
	Function string // the function's name, e.g. "jwks" (see the package comment)
	Method   string // an HTTP method in upper case, or "ANY"
	Path     string // e.g. "/t/{tenant}/.well-known/{proxy+}"
}

// Key is API Gateway's route key, "METHOD /path".
func (r Route) Key() string { return r.Method + " " + r.Path }

// methodAny matches every method that no route of the same path names.
const methodAny = "ANY"

// methods are the methods an HTTP API route may name.
var methods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, methodAny: true,
}

// segKind orders segments by specificity: a lower kind is more specific.
type segKind int

const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // the literal, or the parameter's name
}

// compiled is a Route parsed for matching.
type compiled struct {
	Route
	key  string // Route.Key(), built once: every event carries it
	segs []segment
}

// compile checks r and parses its path.
func compile(r Route) (compiled, error) {
	if r.Function == "" {
		return compiled{}, fmt.Errorf("local: route %q names no function", r.Key())
	}
	if !methods[r.Method] {
		return compiled{}, fmt.Errorf("local: route %q: unsupported method %q", r.Key(), r.Method)
	}
	if !strings.HasPrefix(r.Path, "/") {
		return compiled{}, fmt.Errorf("local: route %q: path must start with /", r.Key())
	}
	if r.Path != "/" && strings.HasSuffix(r.Path, "/") {
		return compiled{}, fmt.Errorf("local: route %q: path must not end with /", r.Key())
	}
	parts := strings.Split(r.Path[1:], "/")
	c := compiled{Route: r, key: r.Key(), segs: make([]segment, len(parts))}
	names := map[string]bool{}
	for i, p := range parts {
		if p == "" && r.Path != "/" {
			return compiled{}, fmt.Errorf("local: route %q: empty path segment", r.Key())
		}
		if !strings.HasPrefix(p, "{") && !strings.HasSuffix(p, "}") {
			if strings.ContainsAny(p, "{}") {
				return compiled{}, fmt.Errorf("local: route %q: segment %q mixes a literal and a variable", r.Key(), p)
			}
			c.segs[i] = segment{kind: segLiteral, text: p}
			continue
		}
		name, opened := strings.CutPrefix(p, "{")
		name, closed := strings.CutSuffix(name, "}")
		if !opened || !closed || strings.ContainsAny(name, "{}") {
			return compiled{}, fmt.Errorf("local: route %q: malformed path variable %q", r.Key(), p)
		}
		kind := segParam
		if n, greedy := strings.CutSuffix(name, "+"); greedy {
			if i != len(parts)-1 {
				return compiled{}, fmt.Errorf("local: route %q: greedy variable %q must be the last segment", r.Key(), p)
			}
			name, kind = n, segGreedy
		}
		if name == "" || names[name] {
			return compiled{}, fmt.Errorf("local: route %q: empty or repeated variable name in %q", r.Key(), p)
		}
		names[name] = true
		c.segs[i] = segment{kind: kind, text: name}
	}
	return c, nil
}

// shape is the route's path with variable names erased: two routes of the
// same method and shape conflict, as API Gateway would refuse them.
func (c compiled) shape() string {
	var b strings.Builder
	for _, s := range c.segs {
		b.WriteByte('/')
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segParam:
			b.WriteString("{}")
		case segGreedy:
			b.WriteString("{+}")
		}
	}
	return b.String()
}

// matchPath matches the decoded request segments against the route's path
// and returns its path parameters (nil when it has none).
func (c compiled) matchPath(segs []string) (map[string]string, bool) {
	var params map[string]string
	set := func(k, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[k] = v
	}
	for i, s := range c.segs {
		if i >= len(segs) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if segs[i] != s.text {
				return nil, false
			}
		case segParam:
			if segs[i] == "" {
				return nil, false
			}
			set(s.text, segs[i])
		case segGreedy:
			rest := strings.Join(segs[i:], "/")
			if rest == "" {
				return nil, false
			}
			set(s.text, rest)
			return params, true
		}
	}
	return params, len(segs) == len(c.segs)
}

// moreSpecific reports whether a beats b for a request both match.
func moreSpecific(a, b compiled) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		// Same kinds up to the shorter one: only greedy routes can both
		// match, and the longer one has more literal or parameter segments.
		return len(a.segs) > len(b.segs)
	}
	return a.Method != methodAny && b.Method == methodAny
}

// router holds the compiled routes of one API.
type router struct {
	routes []compiled
}

func newRouter(routes []Route) (*router, error) {
	rt := &router{}
	seen := map[string]string{}
	for _, r := range routes {
		c, err := compile(r)
		if err != nil {
			return nil, err
		}
		key := c.Method + " " + c.shape()
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("local: routes %q and %q conflict", prev, c.Key())
		}
		seen[key] = c.Key()
		rt.routes = append(rt.routes, c)
	}
	return rt, nil
}

// splitPath splits an escaped request path into decoded segments.
func splitPath(escaped string) ([]string, error) {
	if !strings.HasPrefix(escaped, "/") {
		return nil, fmt.Errorf("local: path %q does not start with /", escaped)
	}
	segs := strings.Split(escaped[1:], "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, err
		}
		segs[i] = d
	}
	return segs, nil
}

// match returns the most specific route for method and the escaped path,
// with its path parameters.
func (rt *router) match(method, escapedPath string) (compiled, map[string]string, bool) {
	segs, err := splitPath(escapedPath)
	if err != nil {
		return compiled{}, nil, false
	}
	var (
		best       compiled
		bestParams map[string]string
		found      bool
	)
	for _, c := range rt.routes {
		if c.Method != methodAny && c.Method != method {
			continue
		}
		params, ok := c.matchPath(segs)
		if !ok {
			continue
		}
		if !found || moreSpecific(c, best) {
			best, bestParams, found = c, params, true
		}
	}
	return best, bestParams, found
}

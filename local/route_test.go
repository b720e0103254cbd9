package local

import (
	"maps"
	"strings"
	"testing"
)

// gatewayRoutes are shaped like the template's, plus cases the template lacks.
var gatewayRoutes = []Route{
	{"jwks", "GET", "/.well-known/{proxy+}"},
	{"jwks", "GET", "/t/{tenant}/.well-known/{proxy+}"},
	{"admin", "ANY", "/platform/v1/{proxy+}"},
	{"admin", "GET", "/platform/v1/tenants"},
	{"admin", "GET", "/healthz"},
	{"token", "POST", "/oauth/token"},
	{"items", "ANY", "/items/{id}"},
	{"items", "DELETE", "/items/{id}"},
	{"items", "GET", "/items/{id}/parts/{part}"},
	{"items", "GET", "/items/special/parts/{part}"},
	{"root", "GET", "/"},
}

// petRoutes are the example of API Gateway's guide to route evaluation.
var petRoutes = []Route{
	{"a", "GET", "/pets/dog/1"},
	{"b", "GET", "/pets/dog/{id}"},
	{"c", "GET", "/pets/{proxy+}"},
	{"d", "ANY", "/{proxy+}"},
	{"e", "POST", "/pets"},
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name   string
		routes []Route
		method string
		path   string // escaped, as received
		want   string // route key, "" for no match
		params map[string]string
	}{
		{"full match", petRoutes, "GET", "/pets/dog/1", "GET /pets/dog/1", nil},
		{"literal over variable", petRoutes, "GET", "/pets/dog/2", "GET /pets/dog/{id}", map[string]string{"id": "2"}},
		{"variable over greedy", petRoutes, "GET", "/pets/dog/x", "GET /pets/dog/{id}", map[string]string{"id": "x"}},
		{"longer literal prefix wins among greedy", petRoutes, "GET", "/pets/cat/1", "GET /pets/{proxy+}", map[string]string{"proxy": "cat/1"}},
		{"greedy takes one segment", petRoutes, "GET", "/pets/dog", "GET /pets/{proxy+}", map[string]string{"proxy": "dog"}},
		{"method mismatch falls to ANY", petRoutes, "POST", "/pets/dog/1", "ANY /{proxy+}", map[string]string{"proxy": "pets/dog/1"}},
		{"greedy needs one segment", petRoutes, "GET", "/pets", "ANY /{proxy+}", map[string]string{"proxy": "pets"}},
		{"explicit method", petRoutes, "POST", "/pets", "POST /pets", nil},
		{"root path not matched by greedy", petRoutes, "GET", "/", "", nil},

		{"health", gatewayRoutes, "GET", "/healthz", "GET /healthz", nil},
		{"trailing slash is significant", gatewayRoutes, "GET", "/healthz/", "", nil},
		{"paths are case sensitive", gatewayRoutes, "GET", "/HEALTHZ", "", nil},
		{"HEAD does not match GET", gatewayRoutes, "HEAD", "/healthz", "", nil},
		{"wrong method", gatewayRoutes, "POST", "/healthz", "", nil},
		{"methods are case sensitive", gatewayRoutes, "get", "/healthz", "", nil},
		{"unknown path", gatewayRoutes, "GET", "/oauth/token", "", nil},
		{"root route", gatewayRoutes, "GET", "/", "GET /", nil},
		{"double slash is an empty segment", gatewayRoutes, "GET", "//healthz", "", nil},
		{"jwks", gatewayRoutes, "GET", "/.well-known/jwks.json", "GET /.well-known/{proxy+}", map[string]string{"proxy": "jwks.json"}},
		{"metadata by path insertion", gatewayRoutes, "GET", "/.well-known/oauth-authorization-server/t/acme",
			"GET /.well-known/{proxy+}", map[string]string{"proxy": "oauth-authorization-server/t/acme"}},
		{"greedy keeps a trailing slash", gatewayRoutes, "GET", "/.well-known/jwks.json/",
			"GET /.well-known/{proxy+}", map[string]string{"proxy": "jwks.json/"}},
		{"empty greedy", gatewayRoutes, "GET", "/.well-known/", "", nil},
		{"no greedy segment", gatewayRoutes, "GET", "/.well-known", "", nil},
		{"tenant metadata", gatewayRoutes, "GET", "/t/acme/.well-known/openid-configuration",
			"GET /t/{tenant}/.well-known/{proxy+}", map[string]string{"tenant": "acme", "proxy": "openid-configuration"}},
		{"empty variable", gatewayRoutes, "GET", "/t//.well-known/jwks.json", "", nil},
		{"percent-encoded literal and variables", gatewayRoutes, "GET", "/t/ac%6De/.well-known/jwks%2Ejson",
			"GET /t/{tenant}/.well-known/{proxy+}", map[string]string{"tenant": "acme", "proxy": "jwks.json"}},
		{"encoded slash stays in its segment", gatewayRoutes, "GET", "/t/a%2Fb/.well-known/x",
			"GET /t/{tenant}/.well-known/{proxy+}", map[string]string{"tenant": "a/b", "proxy": "x"}},
		{"encoded literal", gatewayRoutes, "GET", "/heal%74hz", "GET /healthz", nil},
		{"encoded slash is not a separator", gatewayRoutes, "GET", "/.well-known%2Fjwks.json", "", nil},
		{"invalid escape", gatewayRoutes, "GET", "/t/%zz/.well-known/x", "", nil},
		{"ANY over a specific path", gatewayRoutes, "PATCH", "/platform/v1/tenants/acme",
			"ANY /platform/v1/{proxy+}", map[string]string{"proxy": "tenants/acme"}},
		{"literal over greedy for its method", gatewayRoutes, "GET", "/platform/v1/tenants", "GET /platform/v1/tenants", nil},
		{"greedy for other methods", gatewayRoutes, "POST", "/platform/v1/tenants",
			"ANY /platform/v1/{proxy+}", map[string]string{"proxy": "tenants"}},
		{"method over ANY on the same path", gatewayRoutes, "DELETE", "/items/7", "DELETE /items/{id}", map[string]string{"id": "7"}},
		{"ANY for the other methods", gatewayRoutes, "PUT", "/items/7", "ANY /items/{id}", map[string]string{"id": "7"}},
		{"leftmost literal wins", gatewayRoutes, "GET", "/items/special/parts/9",
			"GET /items/special/parts/{part}", map[string]string{"part": "9"}},
		{"two variables", gatewayRoutes, "GET", "/items/7/parts/9",
			"GET /items/{id}/parts/{part}", map[string]string{"id": "7", "part": "9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := newRouter(tt.routes)
			if err != nil {
				t.Fatal(err)
			}
			got, params, ok := rt.match(tt.method, tt.path)
			if tt.want == "" {
				if ok {
					t.Fatalf("%s %s matched %q, want no match", tt.method, tt.path, got.Key())
				}
				return
			}
			if !ok || got.Key() != tt.want {
				t.Fatalf("%s %s matched %q (%v), want %q", tt.method, tt.path, got.Key(), ok, tt.want)
			}
			if !maps.Equal(params, tt.params) {
				t.Errorf("params = %v, want %v", params, tt.params)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		route Route
	}{
		{"no function", Route{"", "GET", "/a"}},
		{"unknown method", Route{"f", "FETCH", "/a"}},
		{"lower-case method", Route{"f", "get", "/a"}},
		{"relative path", Route{"f", "GET", "a"}},
		{"trailing slash", Route{"f", "GET", "/a/"}},
		{"empty segment", Route{"f", "GET", "/a//b"}},
		{"greedy not last", Route{"f", "GET", "/{proxy+}/a"}},
		{"literal and variable in one segment", Route{"f", "GET", "/a{b}"}},
		{"unclosed variable", Route{"f", "GET", "/{a"}},
		{"unopened variable", Route{"f", "GET", "/a}"}},
		{"empty variable name", Route{"f", "GET", "/{}"}},
		{"empty greedy name", Route{"f", "GET", "/{+}"}},
		{"repeated variable", Route{"f", "GET", "/{a}/{a}"}},
		{"nested braces", Route{"f", "GET", "/{{a}}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := compile(tt.route); err == nil {
				t.Errorf("compile(%q) succeeded", tt.route.Key())
			}
		})
	}
}

func TestRouterConflicts(t *testing.T) {
	tests := []struct {
		name   string
		routes []Route
		ok     bool
	}{
		{"same route twice", []Route{{"a", "GET", "/x"}, {"b", "GET", "/x"}}, false},
		{"variables renamed", []Route{{"a", "GET", "/x/{id}"}, {"b", "GET", "/x/{name}"}}, false},
		{"greedy renamed", []Route{{"a", "ANY", "/x/{p+}"}, {"a", "ANY", "/x/{q+}"}}, false},
		{"method and ANY", []Route{{"a", "GET", "/x/{id}"}, {"b", "ANY", "/x/{name}"}}, true},
		{"variable and greedy", []Route{{"a", "GET", "/x/{id}"}, {"b", "GET", "/x/{rest+}"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRouter(tt.routes)
			if (err == nil) != tt.ok {
				t.Errorf("newRouter: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// FuzzMatch checks, for any request path, that a matched route substituted
// with its parameters gives back the decoded request path, and that every
// variable got a non-empty value.
func FuzzMatch(f *testing.F) {
	for _, p := range []string{
		"/", "/healthz", "/.well-known/jwks.json", "/t/acme/.well-known/a%2Fb",
		"/platform/v1/tenants/acme/", "/items/special/parts/9", "//", "/%zz", "/t//.well-known/x",
	} {
		f.Add("GET", p)
	}
	rt, err := newRouter(gatewayRoutes)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		c, params, ok := rt.match(method, path)
		if !ok {
			return
		}
		segs, err := splitPath(path)
		if err != nil {
			t.Fatalf("matched %q, which does not decode: %v", path, err)
		}
		var b strings.Builder
		for _, s := range c.segs {
			b.WriteByte('/')
			if s.kind == segLiteral {
				b.WriteString(s.text)
				continue
			}
			v := params[s.text]
			if v == "" {
				t.Fatalf("%q matched %q with an empty %s", path, c.Key(), s.text)
			}
			b.WriteString(v)
		}
		if want := "/" + strings.Join(segs, "/"); b.String() != want {
			t.Fatalf("%q matched %q: rebuilt %q, want %q", path, c.Key(), b.String(), want)
		}
		if c.Method != methodAny && c.Method != method {
			t.Fatalf("%s %q matched %q", method, path, c.Key())
		}
	})
}

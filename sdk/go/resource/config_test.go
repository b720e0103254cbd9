package resource

import (
	"strings"
	"testing"
)

func TestNewRejectsBadConfig(t *testing.T) {
	ok := Config{Issuer: "http://localhost:8080", Resource: "http://127.0.0.1:9000/mcp"}
	cases := []struct {
		name string
		edit func(*Config)
		want string // "" = accepted
	}{
		{"minimal config", func(*Config) {}, ""},
		{"path tenant issuer", func(c *Config) { c.Issuer = "http://localhost:8080/t/acme" }, ""},
		{"all asymmetric algs", func(c *Config) { c.DPoPAlgorithms = []string{"ES256", "RS256", "PS512", "EdDSA"} }, ""},
		{"no issuer", func(c *Config) { c.Issuer = "" }, "Issuer"},
		{"issuer with trailing slash", func(c *Config) { c.Issuer += "/" }, "Issuer"},
		{"issuer not a URL", func(c *Config) { c.Issuer = "localhost" }, "Issuer"},
		{"no resource", func(c *Config) { c.Resource = "" }, "Resource"},
		{"resource with query", func(c *Config) { c.Resource += "?a=b" }, "Resource"},
		{"resource with fragment", func(c *Config) { c.Resource += "#a" }, "Resource"},
		{"resource not http", func(c *Config) { c.Resource = "urn:mcp" }, "Resource"},
		{"token alg none", func(c *Config) { c.Algorithms = []string{"none"} }, "none"},
		{"token alg HS256", func(c *Config) { c.Algorithms = []string{"ES256", "HS256"} }, "HS256"},
		{"dpop alg HS512", func(c *Config) { c.DPoPAlgorithms = []string{"HS512"} }, "HS512"},
		{"scope with a quote", func(c *Config) { c.Scopes = []string{`a"b`} }, "scope"},
		{"public URL with user info", func(c *Config) { c.PublicURL = "https://u:p@mcp.example.com" }, "PublicURL"},
		{"introspection without credentials", func(c *Config) { c.Introspection = &Introspection{} }, "Introspection"},
		{"JWKS TTL bounds inverted", func(c *Config) { c.JWKSMinTTL, c.JWKSMaxTTL = 100, 10 }, "JWKSMaxTTL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			_, err := New(cfg)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

func TestNormalizeHTU(t *testing.T) {
	cases := []struct {
		in, want string // want "" = refused
	}{
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp"},
		{"HTTPS://MCP.EXAMPLE.COM/mcp", "https://mcp.example.com/mcp"},
		{"https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp"},
		{"http://localhost:80/a", "http://localhost/a"},
		{"HTTP://LocalHost:80/a b", "http://localhost/a%20b"},
		{"http://localhost/a%20b", "http://localhost/a%20b"},
		{"http://localhost/a%2fb", "http://localhost/a%2Fb"},
		{"http://localhost/%7Euser", "http://localhost/~user"},
		{"https://mcp.example.com:8443/x", "https://mcp.example.com:8443/x"},
		{"http://mcp.example.com:443/x", "http://mcp.example.com:443/x"},
		{"https://mcp.example.com", "https://mcp.example.com/"},
		{"https://mcp.example.com/mcp?q=1#frag", "https://mcp.example.com/mcp"},
		{"http://[::1]:8080/mcp", "http://[::1]:8080/mcp"},
		{"https://mcp.example.com/MCP", "https://mcp.example.com/MCP"},
		{"ftp://mcp.example.com/x", ""},
		{"/mcp", ""},
		{"https://user@mcp.example.com/x", ""},
		{"https:///x", ""},
		{"mailto:a@b", ""},
		{"https://mcp.example.com/%zz", ""},
		{"", ""},
	}
	for _, c := range cases {
		got, ok := normalizeHTU(c.in)
		if (c.want == "") != !ok || got != c.want {
			t.Errorf("normalizeHTU(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestMetadataLocation(t *testing.T) {
	cases := []struct{ resource, path, url string }{
		{"https://mcp.example.com/mcp", "/.well-known/oauth-protected-resource/mcp", "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"},
		{"https://mcp.example.com", "/.well-known/oauth-protected-resource", "https://mcp.example.com/.well-known/oauth-protected-resource"},
		{"https://mcp.example.com/", "/.well-known/oauth-protected-resource", "https://mcp.example.com/.well-known/oauth-protected-resource"},
		{"http://127.0.0.1:9000/a/b", "/.well-known/oauth-protected-resource/a/b", "http://127.0.0.1:9000/.well-known/oauth-protected-resource/a/b"},
	}
	for _, c := range cases {
		v, err := New(Config{Issuer: "http://localhost:8080", Resource: c.resource})
		if err != nil {
			t.Fatal(err)
		}
		if v.MetadataPath() != c.path || v.MetadataURL() != c.url {
			t.Errorf("%s: %s %s; want %s %s", c.resource, v.MetadataPath(), v.MetadataURL(), c.path, c.url)
		}
	}
}

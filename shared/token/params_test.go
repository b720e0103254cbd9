package token

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

func TestGrantScope(t *testing.T) {
	ceiling := []string{"mcp:read", "mcp:write"}
	cases := []struct {
		name, requested, want string
		code                  oauth.Code
	}{
		{name: "omitted: all", requested: "", want: "mcp:read mcp:write"},
		{name: "subset", requested: "mcp:write", want: "mcp:write"},
		{name: "repeats and extra spaces", requested: "mcp:read  mcp:read", want: "mcp:read"},
		{name: "outside", requested: "mcp:read admin", code: oauth.InvalidScope},
		{name: "quote", requested: `mcp:"read`, code: oauth.InvalidScope},
		{name: "backslash", requested: `mcp\read`, code: oauth.InvalidScope},
		{name: "non-ascii", requested: "mcp:réad", code: oauth.InvalidScope},
		{name: "too long", requested: strings.Repeat("a", 4097), code: oauth.InvalidScope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := grantScope(tc.requested, ceiling)
			if tc.code != "" {
				if e, ok := err.(*oauth.Error); !ok || e.Code != tc.code {
					t.Fatalf("want %s, got %q %v", tc.code, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q %v", got, err)
			}
		})
	}
}

func TestParseResource(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"https://api.example.com/mcp", true},
		{"urn:example:resource", true},
		{"http://localhost:9000", true},
		{"/relative", false},
		{"api.example.com", false},
		{"https://api.example.com/#frag", false},
		{"https://api.example.com/a b", false},
		{"https://api.example.com/\x00", false},
		{"", false},
		{"https:", false},
		{"https://" + strings.Repeat("a", 2048), false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			err := ParseResource(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("ok=%v err=%v", tc.ok, err)
			}
			if err != nil && err.(*oauth.Error).Code != oauth.InvalidTarget {
				t.Fatalf("code %v", err)
			}
		})
	}
}

func TestLifetime(t *testing.T) {
	cases := []struct {
		name   string
		client int64
		max    int64
		limit  time.Duration
		want   time.Duration
	}{
		{"default", 0, 0, 0, 900 * time.Second},
		{"client", 300, 0, 0, 300 * time.Second},
		{"bounded by tenant default max", 7200, 0, 0, 3600 * time.Second},
		{"bounded by tenant max", 7200, 600, 0, 600 * time.Second},
		{"bounded by subject", 900, 0, 30 * time.Second, 30 * time.Second},
		{"a tenant max past the store's bound", 3 * 86400, 10 * 86400, 0, store.MaxTokenLifetime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := lifetime(store.Client{TokenLifetime: tc.client}, policyOf(store.Tenant{MaxTokenLifetime: tc.max}), tc.limit)
			if got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

// FuzzResource: an accepted resource is an absolute URI, without fragment,
// whitespace or control characters, within the size bound.
func FuzzResource(f *testing.F) {
	for _, s := range []string{"https://api.example.com/mcp", "urn:x:y", "/rel", "https://x/#f", "https://x/ a", "mailto:a@b", "HTTPS://X:443/%7E", "javascript:alert(1)", "https://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ParseResource(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || !u.IsAbs() || strings.Contains(s, "#") || len(s) > 2048 || strings.ContainsFunc(s, badTargetRune) {
			t.Fatalf("accepted %q", s)
		}
		fm, err := oauth.ParseFormBody(url.Values{"resource": {s, s}}.Encode())
		if err != nil {
			t.Fatalf("form: %v", err)
		}
		got, err := requestedTargets(fm)
		if err != nil || len(got) != 1 || got[0] != s {
			t.Fatalf("verbatim aud %q from %q: %v", got, s, err)
		}
	})
}

// TestTargetsRefuseInvalidUTF8 (issue 20 P10): an audience or resource that
// is not UTF-8 is invalid_target (the form parser refuses it first at the
// endpoint; these checks hold for any other caller).
func TestTargetsRefuseInvalidUTF8(t *testing.T) {
	for _, v := range []string{"https://a.example/\xff", "urn:\xc3", "\xed\xa0\x80"} {
		if e, ok := parseAudience(v).(*oauth.Error); !ok || e.Code != oauth.InvalidTarget {
			t.Fatalf("audience %q: %v", v, parseAudience(v))
		}
		if e, ok := ParseResource(v).(*oauth.Error); !ok || e.Code != oauth.InvalidTarget {
			t.Fatalf("resource %q: %v", v, ParseResource(v))
		}
	}
}

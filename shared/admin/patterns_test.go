package admin

import (
	"regexp"
	"strings"
	"testing"
)

// idPattern, checked by hand, accepts exactly ^[A-Za-z0-9_.:@-]{1,200}$;
// the lazily compiled patterns match as their regexps do.
func TestPatternsMatchTheirRegexps(t *testing.T) {
	id := regexp.MustCompile(`^[A-Za-z0-9_.:@-]{1,200}$`)
	cases := []string{"", "a", "agent_1", "shark_dcr_x", "u@example.com", "a:b", "a.b-c", "a b", "a/b", "a\n", "\x00", "é",
		"a%2Fb", strings.Repeat("a", 199), strings.Repeat("Z", 200), strings.Repeat("9", 201), "a+b", "a#b"}
	for c := 0; c < 256; c++ {
		cases = append(cases, string(rune(c)), "x"+string([]byte{byte(c)}))
	}
	for _, s := range cases {
		if got, want := idPattern.MatchString(s), id.MatchString(s); got != want {
			t.Errorf("idPattern(%q) = %v, want %v", s, got, want)
		}
	}
	if !hostPattern.MatchString("auth.example.com") || hostPattern.MatchString("-bad.example.com") ||
		!scopePattern.MatchString("mcp:read") || scopePattern.MatchString(`a"b`) ||
		!modePattern.MatchString("custom") || modePattern.MatchString("Custom") ||
		nonSlug.ReplaceAllString("my app!", "-") != "my-app-" {
		t.Error("a lazily compiled pattern does not match as its regexp")
	}
}

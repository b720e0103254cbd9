package tenant

import (
	"regexp"
	"strings"
	"testing"
)

// ParseID accepts exactly the ids of the documented pattern
// [a-z0-9][a-z0-9-]{1,38}[a-z0-9]: checked against the pattern itself over
// edge cases and every string of up to three characters from a small
// alphabet that holds each class and its neighbours.
func TestParseIDMatchesThePattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)
	check := func(s string) {
		t.Helper()
		_, err := ParseID(s)
		if want := pattern.MatchString(s); (err == nil) != want {
			t.Errorf("ParseID(%q): %v, the pattern says %v", s, err, want)
		}
	}
	for _, s := range []string{"", "a", "ab", "abc", "a-b", "-ab", "ab-", "a--b", "acme", "default", "Acme", "a_b", "a.b", "a b",
		"é12", "ab\n", "\nab", strings.Repeat("a", 39), strings.Repeat("a", 40), strings.Repeat("a", 41), strings.Repeat("a", 42),
		"a" + strings.Repeat("-", 38) + "a", "a" + strings.Repeat("-", 39) + "a", "0" + strings.Repeat("9", 39)} {
		check(s)
	}
	alphabet := []string{"a", "z", "0", "9", "-", "A", "_", "`", "{", "/", ":", "\x00"}
	var walk func(prefix string, n int)
	walk = func(prefix string, n int) {
		check(prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			walk(prefix+c, n-1)
		}
	}
	walk("", 3)
}

package admin

import (
	"regexp"
	"sync"
)

// The admin package's patterns are not compiled at package init: a
// package-level regexp.MustCompile runs at every cold start of every
// function that links the package (admin and audit), whether the first
// request uses it or not, and bounded repetitions such as {1,200} compile
// to long programs (shared/admin's init took 0.7-0.9 ms of each cold
// start). idPattern, on almost every admin request, is checked by hand;
// the others compile on first use.

// idPattern bounds an id taken from a request (path or body) before it
// reaches a key: ^[A-Za-z0-9_.:@-]{1,200}$.
var idPattern idChars

type idChars struct{}

// MatchString reports whether s is 1 to 200 of [A-Za-z0-9_.:@-].
func (idChars) MatchString(s string) bool {
	if len(s) == 0 || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '.', c == ':', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

// lazyRegexp is a regexp compiled on its first use.
type lazyRegexp struct{ re func() *regexp.Regexp }

func lazy(pattern string) lazyRegexp {
	return lazyRegexp{sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })}
}

func (l lazyRegexp) MatchString(s string) bool { return l.re().MatchString(s) }

func (l lazyRegexp) ReplaceAllString(src, repl string) string {
	return l.re().ReplaceAllString(src, repl)
}

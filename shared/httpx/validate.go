package httpx

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckName validates a human-readable name: valid UTF-8, 1 to max characters
// (runes, not bytes), not blank, and no control characters (NUL, newline,
// ESC...). The error names field.
func CheckName(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return InvalidParameter(field + " must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n == 0 || n > max || strings.TrimSpace(s) == "" {
		return InvalidParameter(field + " must be 1 to " + strconv.Itoa(max) + " characters")
	}
	for _, c := range s {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return InvalidParameter(field + " must not contain control characters")
		}
	}
	return nil
}

// Query parses the request's query string strictly: a malformed one
// (limit=%zz, a stray ';') is a 400, not silently an empty or partial set.
func Query(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, BadRequest("the query string is malformed")
	}
	return q, nil
}

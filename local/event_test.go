package local

import (
	"maps"
	"regexp"
	"testing"
	"time"
)

// TestTraceID pins the X-Ray trace header's shape: Root=1-<epoch seconds, 8
// hex digits>-<24 hex digits>, random per call.
func TestTraceID(t *testing.T) {
	now := time.Unix(0x67533a1f, 0)
	a, b := traceID(now), traceID(now)
	if !regexp.MustCompile(`^Root=1-67533a1f-[0-9a-f]{24}$`).MatchString(a) {
		t.Errorf("traceID = %q", a)
	}
	if a == b {
		t.Errorf("two trace ids are the same: %q", a)
	}
	if got := traceID(time.Unix(0x5, 0)); !regexp.MustCompile(`^Root=1-00000005-[0-9a-f]{24}$`).MatchString(got) {
		t.Errorf("traceID = %q", got)
	}
}

// TestTextBody pins which content types API Gateway passes as text.
func TestTextBody(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"APPLICATION/JSON":                  true,
		" application/json ":                true,
		"application/xml":                   true,
		"application/javascript":            true,
		"text/plain":                        true,
		"text/html; charset=utf-8":          true,
		"Text/CSV;charset=utf-8":            true,
		"text/":                             false,
		"text":                              false,
		"text/ plain":                       false,
		"text/pla in":                       false,
		"text/plain/x":                      false,
		"text/plain; =":                     false,
		"application/json; charset":         false,
		"application/json;":                 true,
		"application/x-www-form-urlencoded": false,
		"application/jsonx":                 false,
		"application/problem+json":          false,
		"multipart/form-data; boundary=x":   false,
		"":                                  false,
		"application/json\x00":              false,
		"tëxt/plain":                        false,
	} {
		if got := textBody(ct); got != want {
			t.Errorf("textBody(%q) = %v, want %v", ct, got, want)
		}
	}
}

// TestQueryParameters pins the event's queryStringParameters.
func TestQueryParameters(t *testing.T) {
	for raw, want := range map[string]map[string]string{
		"":                  nil,
		"a=1&a=2&b=%20&c":   {"a": "1,2", "b": " ", "c": ""},
		"x=%zz&y=1":         {"y": "1"},
		"&":                 nil,
		"scope=a+b&scope=c": {"scope": "a b,c"},
	} {
		if got := queryParameters(raw); !maps.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("queryParameters(%q) = %q, want %q", raw, got, want)
		}
	}
}

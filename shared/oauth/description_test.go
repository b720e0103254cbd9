package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// descriptionSafe reports whether s uses only RFC 6749 §5.2's
// error_description characters: %x20-21 / %x23-5B / %x5D-7E.
func descriptionSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}

func writtenDescription(t *testing.T, err error) string {
	t.Helper()
	w := httptest.NewRecorder()
	WriteError(w, httptest.NewRequest(http.MethodPost, "/oauth/token", nil), err)
	var body struct {
		Description string `json:"error_description"`
	}
	if e := json.Unmarshal(w.Body.Bytes(), &body); e != nil {
		t.Fatalf("body %q: %v", w.Body, e)
	}
	return body.Description
}

// TestWriteErrorDescriptionCharset (issue 20 P10): whatever a handler puts
// in a description (a client's audience, a parameter name), the written
// error_description keeps only RFC 6749 §5.2's characters.
func TestWriteErrorDescriptionCharset(t *testing.T) {
	cases := []struct{ name, desc, want string }{
		{name: "plain", desc: "scope x is not allowed", want: "scope x is not allowed"},
		{name: "quote and backslash", desc: `audience a"b\c is not allowed`, want: "audience a?b?c is not allowed"},
		{name: "non-ascii", desc: "audience https://é.example is not allowed", want: "audience https://?.example is not allowed"},
		{name: "invalid utf-8", desc: "audience \xff\xfe is not allowed", want: "audience ?? is not allowed"},
		{name: "replacement character", desc: "audience \uFFFD is not allowed", want: "audience ? is not allowed"},
		{name: "controls", desc: "a\nb\tc\x00d\x7f", want: "a?b?c?d?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := writtenDescription(t, New(InvalidTarget, tc.desc))
			if got != tc.want || !descriptionSafe(got) {
				t.Fatalf("description %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzWriteErrorDescription: any description is written within the charset.
func FuzzWriteErrorDescription(f *testing.F) {
	for _, s := range []string{"plain", `a"b\c`, "é", "\xff", "\uFFFD", "\r\n", strings.Repeat("ü", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		if got := writtenDescription(t, New(InvalidRequest, desc)); !descriptionSafe(got) {
			t.Fatalf("%q written as %q", desc, got)
		}
	})
}

// TestParseFormRefusesInvalidUTF8 (issue 20 P10): a parameter name or value
// that is not UTF-8 is invalid_request, never decoded into U+FFFD later.
func TestParseFormRefusesInvalidUTF8(t *testing.T) {
	for _, body := range []string{"audience=%FF", "resource=https://r.example/%C3", "scope=mcp%FEread", "grant_type=client_credentials&x%FF=1"} {
		t.Run(body, func(t *testing.T) {
			_, err := ParseFormBody(body)
			if e, ok := err.(*Error); !ok || e.Code != InvalidRequest {
				t.Fatalf("want invalid_request, got %v", err)
			}
		})
	}
	if f, err := ParseFormBody("audience=https%3A%2F%2F%C3%A9.example"); err != nil || f.Get("audience") != "https://é.example" {
		t.Fatalf("valid UTF-8 refused: %v", err)
	}
}

package oauth

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Form is a parsed OAuth request body. Every parameter is single-valued
// except the repeatable ones; a parameter sent without a value is treated as
// omitted (RFC 6749 §3.1).
type Form struct{ v url.Values }

// Repeatable names the parameters that may appear more than once: audience
// (RFC 8693) and resource (RFC 8707).
var Repeatable = map[string]bool{"audience": true, "resource": true}

// maxForm bounds an OAuth body; nothing we accept comes near it.
const maxForm = 64 << 10

// ParseForm reads an application/x-www-form-urlencoded POST body strictly:
// a duplicated single-valued parameter, a malformed body or another content
// type is invalid_request, and so is a name or value that is not UTF-8
// (RFC 6749 Appendix B). Query-string parameters are refused: credentials
// and tokens never travel in URLs.
func ParseForm(r *http.Request) (Form, error) {
	if r.Method != http.MethodPost {
		return Form{}, New(InvalidRequest, "the request must be a POST")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return Form{}, New(InvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return Form{}, New(InvalidRequest, "parameters must be sent in the body, not the query string")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Form{}, &Error{Code: InvalidRequest, Status: http.StatusRequestEntityTooLarge, Description: "request body too large"}
		}
		return Form{}, New(InvalidRequest, "the body could not be read").WithCause(err)
	}
	if len(body) > maxForm {
		return Form{}, &Error{Code: InvalidRequest, Status: http.StatusRequestEntityTooLarge, Description: "request body too large"}
	}
	return ParseFormBody(string(body))
}

// ParseFormBody parses an urlencoded body with the rules of ParseForm.
func ParseFormBody(body string) (Form, error) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return Form{}, New(InvalidRequest, "the body is not valid form encoding")
	}
	out := url.Values{}
	for name, vals := range v {
		if strings.ContainsFunc(name, isControl) {
			return Form{}, New(InvalidRequest, "a parameter name contains a control character")
		}
		if !utf8.ValidString(name) {
			return Form{}, New(InvalidRequest, "a parameter name is not UTF-8")
		}
		var kept []string
		for _, s := range vals {
			if !utf8.ValidString(s) {
				return Form{}, New(InvalidRequest, "parameter "+safeName(name)+" is not UTF-8")
			}
			if s != "" {
				kept = append(kept, s)
			}
		}
		if len(kept) == 0 {
			continue
		}
		if len(kept) > 1 && !Repeatable[name] {
			return Form{}, New(InvalidRequest, "parameter "+safeName(name)+" is repeated")
		}
		out[name] = kept
	}
	return Form{v: out}, nil
}

// Get returns a single-valued parameter ("" when omitted).
func (f Form) Get(name string) string {
	if vs := f.v[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// All returns every value of a repeatable parameter.
func (f Form) All(name string) []string { return f.v[name] }

// Has reports whether the parameter was sent with a value.
func (f Form) Has(name string) bool { return len(f.v[name]) > 0 }

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// safeName keeps a parameter name fit for an error description.
func safeName(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}

package token

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sharkauth/serverless/shared/oauth"
)

// maxTargets bounds how many audience/resource values one request may ask for.
const maxTargets = 10

// parseScope splits a scope parameter (RFC 6749 §3.3) into distinct tokens.
func parseScope(s string) ([]string, error) {
	if len(s) > 4096 {
		return nil, oauth.New(oauth.InvalidScope, "scope is too long")
	}
	var out []string
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			continue
		}
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
				return nil, oauth.New(oauth.InvalidScope, "scope contains a character RFC 6749 does not allow")
			}
		}
		if !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out, nil
}

// grantScope is the shared scope phase: the requested scopes must all be
// within ceiling; none requested means all of ceiling.
func grantScope(requested string, ceiling []string) (string, error) {
	want, err := parseScope(requested)
	if err != nil {
		return "", err
	}
	if len(want) == 0 {
		return strings.Join(ceiling, " "), nil
	}
	for _, s := range want {
		if !slices.Contains(ceiling, s) {
			return "", oauth.New(oauth.InvalidScope, "scope "+s+" is not allowed")
		}
	}
	return strings.Join(want, " "), nil
}

// ParseResource checks one RFC 8707 resource value: an absolute URI
// without a fragment, in UTF-8.
func ParseResource(s string) error {
	if s == "" || len(s) > 2048 || !utf8.ValidString(s) || strings.ContainsFunc(s, badTargetRune) || strings.Contains(s, "#") {
		return oauth.New(oauth.InvalidTarget, "resource must be an absolute URI without a fragment")
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Host == "" && u.Opaque == "" && u.Path == "") {
		return oauth.New(oauth.InvalidTarget, "resource must be an absolute URI without a fragment")
	}
	return nil
}

// parseAudience checks one RFC 8693 audience value: a logical name or URI,
// printable UTF-8, without whitespace.
func parseAudience(s string) error {
	if s == "" || len(s) > 2048 || !utf8.ValidString(s) || strings.ContainsFunc(s, badTargetRune) {
		return oauth.New(oauth.InvalidTarget, "audience must be a printable value without whitespace")
	}
	return nil
}

func badTargetRune(r rune) bool { return r <= 0x20 || r == 0x7f }

// requestedTargets collects the audience and resource values of a request,
// in order, without repeats.
func requestedTargets(f oauth.Form) ([]string, error) {
	var out []string
	for _, a := range f.All("audience") {
		if err := parseAudience(a); err != nil {
			return nil, err
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, r := range f.All("resource") {
		if err := ParseResource(r); err != nil {
			return nil, err
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) > maxTargets {
		return nil, oauth.New(oauth.InvalidTarget, "too many audience/resource values")
	}
	return out, nil
}

// within reports whether every value is in allow (an empty allow-list allows all).
func within(values, allow []string) (string, bool) {
	if len(allow) == 0 {
		return "", true
	}
	for _, v := range values {
		if !slices.Contains(allow, v) {
			return v, false
		}
	}
	return "", true
}

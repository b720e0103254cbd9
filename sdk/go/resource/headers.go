package resource

import (
	"net/url"
	"strings"
)

// parseAuthorization reads the Authorization header values of a request.
// It returns the scheme (SchemeBearer or SchemeDPoP) and the token68
// credentials. A request without the header, or with another scheme (e.g.
// Basic), is "no credentials" (RFC 6750 §3.1: 401 without an error code).
func parseAuthorization(values []string) (scheme, token string, err *Error) {
	if len(values) == 0 {
		return "", "", errMissing()
	}
	if len(values) > 1 {
		return "", "", errRequest(SchemeBearer, "more than one Authorization header")
	}
	v := values[0]
	sp := strings.IndexByte(v, ' ')
	if sp < 0 {
		switch {
		case strings.EqualFold(v, SchemeBearer):
			return "", "", errRequest(SchemeBearer, "the Authorization header has no token")
		case strings.EqualFold(v, SchemeDPoP):
			return "", "", errRequest(SchemeDPoP, "the Authorization header has no token")
		}
		return "", "", errMissing()
	}
	switch name := v[:sp]; {
	case strings.EqualFold(name, SchemeBearer):
		scheme = SchemeBearer
	case strings.EqualFold(name, SchemeDPoP):
		scheme = SchemeDPoP
	default:
		return "", "", errMissing()
	}
	token = strings.TrimLeft(v[sp+1:], " ")
	if token == "" {
		return "", "", errRequest(scheme, "the Authorization header has no token")
	}
	if len(token) > MaxTokenLength {
		return "", "", errToken(scheme, "the access token is too long")
	}
	if !isToken68(token) {
		return "", "", errRequest(scheme, "the Authorization header is malformed")
	}
	return scheme, token, nil
}

// isToken68 reports whether s matches RFC 9110 token68:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// parseProofHeader reads the DPoP header values: exactly one, a compact
// JWS (three base64url segments, none of header and signature empty).
func parseProofHeader(values []string) (string, *Error) {
	if len(values) == 0 {
		return "", errProof("the DPoP header is missing")
	}
	if len(values) > 1 {
		return "", errProof("more than one DPoP header")
	}
	p := values[0]
	if len(p) > MaxTokenLength {
		return "", errProof("the DPoP proof is too long")
	}
	if !isCompactJWS(p) {
		return "", errProof("the DPoP proof is not a compact JWS")
	}
	return p, nil
}

// isCompactJWS reports whether s is three dot-separated base64url segments
// with non-empty header and signature.
func isCompactJWS(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return false
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// normalizeHTU returns the comparable form of an http(s) URL for DPoP htu
// (RFC 9449 §4.3 item 9, RFC 3986 §6.2.2 and §6.2.3): scheme and host in
// lower case, the default port dropped, an empty path as "/",
// percent-encodings of unreserved characters decoded and the others in
// upper case, characters not allowed in a path percent-encoded; query and
// fragment dropped. It refuses URLs with user info or without a host.
func normalizeHTU(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	path, ok := normalizePath(u.EscapedPath())
	if !ok {
		return "", false
	}
	return scheme + "://" + host + path, true
}

const upperHex = "0123456789ABCDEF"

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isPathChar: pchar minus pct-encoded, plus "/" (RFC 3986 §3.3).
func isPathChar(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("!$&'()*+,;=:@/", c) >= 0
}

func normalizePath(p string) (string, bool) {
	if p == "" {
		return "/", true
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%':
			if i+2 >= len(p) {
				return "", false
			}
			h, ok1 := unhex(p[i+1])
			l, ok2 := unhex(p[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			d := h<<4 | l
			if isUnreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperHex[d>>4])
				b.WriteByte(upperHex[d&15])
			}
			i += 2
		case isPathChar(c):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String(), true
}

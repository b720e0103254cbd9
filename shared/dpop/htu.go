package dpop

import (
	"errors"
	"net/url"
	"strings"
)

var errHTU = errors.New("dpop: htu must be an absolute http(s) URL without query, fragment or userinfo")

// NormalizeHTU puts an htu in the one form two equal URLs share (RFC 3986
// §6.2.2, as WIRE §6 asks): scheme and host lowercased, the default port
// (:80 for http, :443 for https) dropped, an empty path made "/", and every
// path segment's percent-encoding canonical (unreserved characters decoded,
// everything else encoded with upper-case hex). A URL with a query, a
// fragment or userinfo has no normal form.
func NormalizeHTU(s string) (string, error) {
	if s == "" || strings.ContainsAny(s, "?#") || len(s) > 2048 {
		return "", errHTU
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", errHTU
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", errHTU
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", errHTU
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return "", errHTU
		}
		segs[i] = escapeSegment(dec)
	}
	path := strings.Join(segs, "/")
	if path == "" {
		path = "/"
	}
	out := scheme + "://" + host + path
	if len(out) > 2048 {
		// Escaping can lengthen a URL: the bound holds for the normal form
		// too, so a normal form always normalises to itself.
		return "", errHTU
	}
	return out, nil
}

// escapeSegment percent-encodes everything but RFC 3986 unreserved
// characters, with upper-case hex: one spelling per segment.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

package oauth

import (
	"encoding/base64"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ParseBasic reads HTTP Basic client credentials (RFC 7617) from an
// Authorization header value. The client id and secret are each
// form-url-decoded (RFC 6749 §2.3.1). ok is false when the header is not
// Basic at all; err is set when it is Basic but malformed.
func ParseBasic(header string) (clientID, secret string, ok bool, err error) {
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, decErr := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(rest))
	if decErr != nil {
		return "", "", true, New(InvalidClient, "malformed Basic credentials")
	}
	id, sec, hasColon := strings.Cut(string(raw), ":")
	if !hasColon {
		return "", "", true, New(InvalidClient, "malformed Basic credentials")
	}
	if clientID, err = url.QueryUnescape(id); err != nil {
		return "", "", true, New(InvalidClient, "malformed Basic credentials")
	}
	if secret, err = url.QueryUnescape(sec); err != nil {
		return "", "", true, New(InvalidClient, "malformed Basic credentials")
	}
	if clientID == "" || !utf8.ValidString(clientID) || !utf8.ValidString(secret) || strings.ContainsFunc(clientID, isControl) {
		return "", "", true, New(InvalidClient, "malformed Basic credentials")
	}
	return clientID, secret, true, nil
}

package oauth

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/sharkauth/serverless/shared/httpx"
)

// Code is an OAuth error code (RFC 6749 §5.2 and the RFCs that extend it).
type Code string

// The codes of WIRE §3 the token function answers with.
const (
	InvalidRequest         Code = "invalid_request"
	InvalidClient          Code = "invalid_client"
	InvalidGrant           Code = "invalid_grant"
	UnauthorizedClient     Code = "unauthorized_client"
	UnsupportedGrantType   Code = "unsupported_grant_type"
	InvalidScope           Code = "invalid_scope"
	InvalidTarget          Code = "invalid_target"
	InvalidDPoPProof       Code = "invalid_dpop_proof"
	UseDPoPNonce           Code = "use_dpop_nonce"
	InvalidToken           Code = "invalid_token"
	AccessDenied           Code = "access_denied"
	UnsupportedTokenType   Code = "unsupported_token_type"
	ServerError            Code = "server_error"
	TemporarilyUnavailable Code = "temporarily_unavailable"
)

// Status is the HTTP status a code is answered with.
func (c Code) Status() int {
	switch c {
	case InvalidClient, InvalidToken:
		return http.StatusUnauthorized
	case AccessDenied:
		return http.StatusForbidden
	case ServerError:
		return http.StatusInternalServerError
	case TemporarilyUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// Error is the one OAuth error: a typed code, its status, a description the
// client may read, headers to send with it (WWW-Authenticate, DPoP-Nonce) and
// a cause that is logged, never sent. Errors are values: With* return copies,
// so shared prototypes are never mutated.
type Error struct {
	Code        Code
	Status      int
	Description string
	Header      http.Header
	Cause       error
}

// New returns an error with code's status.
func New(code Code, description string) *Error {
	return &Error{Code: code, Status: code.Status(), Description: description}
}

// Internal hides cause behind a fixed server_error text.
func Internal(cause error) *Error {
	return &Error{Code: ServerError, Status: http.StatusInternalServerError, Description: "internal error", Cause: cause}
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// WithHeader returns a copy of e that also sends header k: v.
func (e *Error) WithHeader(k, v string) *Error {
	c := *e
	c.Header = e.Header.Clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(k, v)
	return &c
}

// WithCause returns a copy of e carrying cause (logged, never sent).
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// BasicChallenge returns the invalid_client challenge for a client that tried
// HTTP Basic (RFC 6749 §5.2): WWW-Authenticate: Basic realm="<issuer>".
func BasicChallenge(e *Error, issuer string) *Error {
	return e.WithHeader("WWW-Authenticate", `Basic realm="`+quote(issuer)+`"`)
}

// quote escapes a quoted-string's specials.
func quote(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		if r < 0x20 || r == 0x7f {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// NoStore sets the caching headers every OAuth response carries (RFC 6749 §5.1).
func NoStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// WriteJSON writes v with status and the no-store headers.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	NoStore(w.Header())
	httpx.WriteJSON(w, status, v)
}

// WriteError writes err in the RFC 6749 shape, after the failure policy
// (httpx.Settle) both error writers share. An *httpx.Error (the middleware's
// 404, 405 and 413) keeps its status and code; anything else that is not an
// *Error is an internal error, whose text never reaches the client.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	var he *httpx.Error
	switch {
	case errors.As(err, &e):
	case errors.As(err, &he) && he.Status < 500:
		e = &Error{Code: Code(he.Code), Status: he.Status, Description: he.Message, Cause: he.Cause}
	default:
		e = Internal(err)
	}
	status, f := httpx.Settle(w, r, e.Status, err)
	switch f {
	case httpx.ClientClosed:
		e = &Error{Code: ServerError, Status: status, Description: "the client closed the request"}
	case httpx.Transient:
		e = &Error{Code: TemporarilyUnavailable, Status: status,
			Description: "the service is temporarily unavailable; retry after the Retry-After delay", Header: e.Header}
	case httpx.Fault:
		e = &Error{Code: ServerError, Status: status, Description: "internal error", Header: e.Header}
	}
	httpx.SetErrorCode(r.Context(), string(e.Code))
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := struct {
		Error       Code   `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{e.Code, safeDescription(e.Description)}
	WriteJSON(w, e.Status, body)
}

// safeDescription keeps an error description within RFC 6749 §5.2's
// characters (%x20-21 / %x23-5B / %x5D-7E): every other character, and
// every byte that is not UTF-8, becomes "?". Descriptions may name what a
// client sent (an audience, a parameter); this is the one place that makes
// them safe to send, so no handler can echo anything else.
func safeDescription(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// HandlerFunc is an OAuth handler that returns its error; Handle writes it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h to http.Handler, writing its error in the OAuth shape.
func Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(w, r, err)
		}
	})
}

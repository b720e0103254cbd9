package resource

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Error codes used in challenges and bodies (RFC 6750 §3.1, RFC 9449 §7.1).
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidToken           = "invalid_token"
	CodeInsufficientScope      = "insufficient_scope"
	CodeInvalidDPoPProof       = "invalid_dpop_proof"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
)

// Authentication schemes.
const (
	SchemeBearer = "Bearer"
	SchemeDPoP   = "DPoP"
)

// Error is a refused request: the HTTP status, the error code and a fixed
// description that go into the WWW-Authenticate challenge of Scheme, and a
// hidden cause for logs. Code is empty when the request carried no
// credentials at all (RFC 6750 §3.1: no error code then).
type Error struct {
	Status      int
	Code        string
	Description string
	// Scheme is the authentication scheme whose challenge carries the error.
	Scheme string
	// Scope lists the scopes needed, for insufficient_scope.
	Scope string
	cause error
}

func (e *Error) Error() string {
	if e.Code == "" {
		return "resource: " + e.Description
	}
	return "resource: " + e.Code + ": " + e.Description
}

// Unwrap returns the hidden cause.
func (e *Error) Unwrap() error { return e.cause }

func (e *Error) with(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

func errMissing() *Error {
	return &Error{Status: http.StatusUnauthorized, Description: "authentication required"}
}

func errRequest(scheme, desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Scheme: scheme, Description: desc}
}

func errToken(scheme, desc string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Scheme: scheme, Description: desc}
}

func errProof(desc string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidDPoPProof, Scheme: SchemeDPoP, Description: desc}
}

func errScope(scheme string, scopes []string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Scheme: scheme,
		Description: "the token lacks a required scope", Scope: strings.Join(scopes, " ")}
}

func errUnavailable(desc string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeTemporarilyUnavailable, Description: desc}
}

// challenges builds the WWW-Authenticate values for e: one per accepted
// scheme, the scheme carrying the error first.
func (v *Verifier) challenges(e *Error) []string {
	var bearer, dpop []string
	if e.Code != "" && e.Status != http.StatusServiceUnavailable {
		params := []string{param("error", e.Code), param("error_description", e.Description)}
		if e.Scope != "" {
			params = append(params, param("scope", e.Scope))
		}
		if e.Scheme == SchemeBearer && !v.cfg.RequireDPoP {
			bearer = params
		} else {
			dpop = params
		}
	}
	md := param("resource_metadata", v.metadataURL)
	dpop = append(dpop, param("algs", strings.Join(v.dpopAlgNames, " ")), md)
	out := []string{SchemeDPoP + " " + strings.Join(dpop, ", ")}
	if !v.cfg.RequireDPoP {
		b := SchemeBearer + " " + strings.Join(append(bearer, md), ", ")
		if len(bearer) > 0 || e.Scheme == SchemeBearer {
			out = append([]string{b}, out...)
		} else {
			out = append(out, b)
		}
	}
	return out
}

// param renders name="value" as an RFC 9110 quoted string.
func param(name, value string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(`="`)
	for _, r := range value {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		if r < 0x20 || r == 0x7f {
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// WriteError answers a refused request: status, challenges (401 and 403),
// Cache-Control no-store and a JSON body {"error","error_description"}.
// Any error that is not an *Error is answered as 503 without its text.
func (v *Verifier) WriteError(w http.ResponseWriter, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = errUnavailable("the token could not be checked").with(err)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status == http.StatusBadRequest {
		for _, c := range v.challenges(e) {
			h.Add("WWW-Authenticate", c)
		}
	}
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	code := e.Code
	if code == "" {
		code = "unauthorized"
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": e.Description})
}

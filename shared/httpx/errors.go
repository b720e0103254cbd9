package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// Error is an API error in the flat shape {"error": code, "message": text}
// (admin and platform API, and the unknown-tenant answer on every route).
// Cause is logged, never sent.
type Error struct {
	Status  int
	Code    string
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf-style constructors for the codes of WIRE.md §3.
func BadRequest(msg string) *Error { return &Error{Status: 400, Code: "invalid_request", Message: msg} }
func InvalidParameter(msg string) *Error {
	return &Error{Status: 400, Code: "invalid_parameter", Message: msg}
}
func Unauthorized(msg string) *Error { return &Error{Status: 401, Code: "unauthorized", Message: msg} }
func Forbidden(msg string) *Error    { return &Error{Status: 403, Code: "forbidden", Message: msg} }
func NotFound(msg string) *Error     { return &Error{Status: 404, Code: "not_found", Message: msg} }
func Conflict(msg string) *Error     { return &Error{Status: 409, Code: "conflict", Message: msg} }

// Internal wraps an unexpected error: the client sees a fixed text, the log
// gets the cause with the request id.
func Internal(cause error) *Error {
	return &Error{Status: 500, Code: "internal_error", Message: "internal error", Cause: cause}
}

// RetryAfter is the Retry-After (seconds) of a 503 temporarily_unavailable.
const RetryAfter = "1"

// Unavailable reports whether err is transient: a store or KMS call that was
// throttled, timed out or met the service's own trouble (an error with an
// Unavailable() bool method that says so, such as store.ErrUnavailable and
// store.ErrTxConflict), or the request's deadline. Such a failure is
// answered 503 temporarily_unavailable with Retry-After, in both error
// shapes, never 500.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var u interface{ Unavailable() bool }
	return errors.As(err, &u) && u.Unavailable()
}

// TemporarilyUnavailable is the flat 503 for a transient cause.
func TemporarilyUnavailable(cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable",
		Message: "the service is temporarily unavailable; retry after the Retry-After delay", Cause: cause}
}

// ErrUnknownTenant is the answer for an unknown or disabled tenant on every route.
var ErrUnknownTenant = &Error{Status: 404, Code: "not_found", Message: "unknown tenant"}

// WriteError writes err in the flat shape. Anything that is not an *Error is
// an internal error.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = Internal(err)
	}
	if e.Status >= 500 && ClientGone(r, err) {
		e = &Error{Status: StatusClientClosed, Code: "client_closed_request", Message: "the client closed the request"}
	}
	if e.Status == http.StatusInternalServerError && Unavailable(err) {
		e = TemporarilyUnavailable(err)
	}
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfter)
	}
	if e.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		// RFC 6750 §3: a 401 names the scheme; a key that was sent and
		// refused is invalid_token.
		challenge := `Bearer realm="sharkauth"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	SetErrorCode(r.Context(), e.Code)
	if e.Status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()), "status", e.Status, "cause", e.Cause)
	}
	WriteJSON(w, e.Status, map[string]string{"error": e.Code, "message": e.Message})
}

// HandlerFunc is a handler that returns its error; Handle writes it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts a HandlerFunc to http.Handler.
func Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(w, r, err)
		}
	})
}

// StatusClientClosed is logged for a request whose client went away before
// the answer (nginx's 499): not a server error, and nobody reads the body.
const StatusClientClosed = 499

// ClientGone reports whether err is the request's own cancellation: the
// client disconnected while the work ran. A passed deadline is not that: on
// Lambda it is the function's time running out, answered 503.
func ClientGone(r *http.Request, err error) bool {
	return errors.Is(r.Context().Err(), context.Canceled) && errors.Is(err, context.Canceled)
}

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

// ErrorWriter writes an error in a function's error shape: WriteError (the
// flat shape) or oauth.WriteError (RFC 6749's). Stack and the runner's
// route fallbacks take the function's writer, so every error a function
// answers, its own or its middleware's, has one shape.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Failure is what the failure policy decided about an error (Settle).
type Failure int

const (
	// Answered: the error is answered as it is (a 4xx, or a 5xx that is no fault of ours to hide).
	Answered Failure = iota
	// ClientClosed: the client went away while the work ran; logged as 499, nobody reads the body.
	ClientClosed
	// Transient: a throttled, timed-out or conflicting call: 503 temporarily_unavailable with Retry-After.
	Transient
	// Fault: a server fault; its cause is logged with the request id and a fixed text is sent.
	Fault
)

// Settle is the one failure policy both error writers apply to an error
// whose status is status: it decides the status to answer and what kind of
// failure it is, sets Retry-After on a 503 and logs the cause of every 5xx
// with the request id. The writers map the Failure to their shape's code
// and text; the cause is never sent.
func Settle(w http.ResponseWriter, r *http.Request, status int, err error) (int, Failure) {
	f := Answered
	switch {
	case status >= 500 && ClientGone(r, err):
		status, f = StatusClientClosed, ClientClosed
	case status == http.StatusInternalServerError && Unavailable(err):
		status, f = http.StatusServiceUnavailable, Transient
	case status >= 500 && status != http.StatusServiceUnavailable:
		f = Fault
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfter)
	}
	if status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()), "status", status, "cause", err)
	}
	return status, f
}

// WriteError writes err in the flat shape. Anything that is not an *Error is
// an internal error.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = Internal(err)
	}
	status, f := Settle(w, r, e.Status, err)
	switch f {
	case ClientClosed:
		e = &Error{Status: status, Code: "client_closed_request", Message: "the client closed the request"}
	case Transient:
		e = TemporarilyUnavailable(err)
	case Fault:
		e = &Error{Status: status, Code: "internal_error", Message: "internal error"}
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

package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal_error","message":"internal error"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// MaxBody is the largest request body any function accepts.
const MaxBody = 1 << 20

// ErrTooLarge is the answer to a body over MaxBody.
var ErrTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Message: "request body too large"}

// DecodeJSON reads a JSON object body into v, refusing trailing data and
// bodies over MaxBody. Unknown fields are allowed unless strict is set. The
// Content-Type is not enforced (curl -d sends a form type): the body must
// parse as JSON, and every caller authenticates with a header no cross-site
// form can send.
func DecodeJSON(r *http.Request, v any, strict bool) error {
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return ErrTooLarge
		case errors.Is(err, io.EOF):
			return BadRequest("request body must be a JSON object")
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return InvalidParameter("field " + typeErr.Field + " has the wrong type")
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return InvalidParameter("unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return BadRequest("request body is not valid JSON")
	}
	if dec.More() {
		return BadRequest("request body has data after the JSON object")
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return ErrTooLarge
		}
	}
	return nil
}

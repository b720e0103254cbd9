package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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
	h["Content-Type"] = hdrJSON
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// MaxBody is the largest request body any function accepts.
const MaxBody = 1 << 20

// ErrTooLarge is the answer to a body over MaxBody.
var ErrTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Message: "request body too large"}

// DecodeJSON reads a JSON object body into v with encoding/json/v2 semantics:
// member names match exactly (case-sensitively), a duplicate member is an
// error, the body must be one object (not null, an array or a scalar) with
// nothing after it, and at most MaxBody bytes. Unknown members are ignored
// unless strict is set; then the first one is refused, by its path. The
// Content-Type is not enforced (curl -d sends a form type): the body must
// parse as JSON, and every caller authenticates with a header no cross-site
// form can send.
func DecodeJSON(r *http.Request, v any, strict bool) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeObject(data, v, strict)
}

// DecodeOptionalJSON is DecodeJSON for a route whose body may be absent: an
// empty (or blank) body leaves v as it is; any other body is decoded as
// DecodeJSON does.
func DecodeOptionalJSON(r *http.Request, v any, strict bool) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		return nil
	}
	return decodeObject(data, v, strict)
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, ErrTooLarge
		}
		return nil, BadRequest("request body could not be read")
	}
	if len(data) > MaxBody {
		return nil, ErrTooLarge
	}
	return data, nil
}

func decodeObject(data []byte, v any, strict bool) error {
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return BadRequest("request body must be a JSON object")
	}
	err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(strict))
	if err == nil {
		return nil
	}
	var sem *jsonv2.SemanticError
	switch {
	case errors.Is(err, jsontext.ErrDuplicateName):
		return BadRequest("request body has a duplicate member")
	case errors.As(err, &sem) && sem.Err != nil && strings.Contains(sem.Err.Error(), "unknown object member"):
		return InvalidParameter("unknown field " + fieldName(sem.JSONPointer))
	case errors.As(err, &sem) && sem.JSONPointer != "":
		return InvalidParameter("field " + fieldName(sem.JSONPointer) + " has the wrong type")
	}
	return BadRequest("request body is not valid JSON")
}

// fieldName renders a JSON pointer ("/metadata/app_id") as a dotted field
// name ("metadata.app_id").
func fieldName(p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		parts = append(parts, tok)
	}
	return strings.Join(parts, ".")
}

package lambdax

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"testing"
)

// FuzzAdapter feeds arbitrary event fields through the adapter. Invariants:
// the adapter never returns a Lambda error; either the handler runs and sees
// the header value and body exactly as sent (200), or it does not run and the
// answer is 400.
func FuzzAdapter(f *testing.F) {
	f.Add("/.well-known/jwks.json", "", "shark-auth/0.1.1 (a, b)", []byte(""), false)
	f.Add("/oauth/token", "a=1&a=2", "Tue, 15 Nov 1994 08:12:31 GMT", []byte("grant_type=client_credentials"), true)
	f.Add("/t/acme/.well-known/a%2Fb", "x=%zz", `a="x, y"`, []byte{0xff, 0x00}, true)
	f.Add("/%zz", "", "", []byte("{}"), false)
	f.Add("", "?", " lead, trail ", []byte("not base64!"), false)
	f.Fuzz(func(t *testing.T, rawPath, rawQuery, value string, body []byte, b64 bool) {
		ev := event()
		ev.RawPath = rawPath
		ev.RawQueryString = rawQuery
		ev.Headers["x-fuzz"] = value
		ev.RequestContext.HTTP.Method = "POST"
		if b64 {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		} else {
			ev.Body = string(body)
		}
		var gotValue []string
		var gotBody []byte
		ran := false
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran = true
			gotValue = r.Header.Values("X-Fuzz")
			gotBody, _ = io.ReadAll(r.Body)
		})
		resp, err := Adapter(h)(t.Context(), ev)
		if err != nil {
			t.Fatalf("Adapter returned a Lambda error: %v", err)
		}
		switch {
		case ran && resp.StatusCode == http.StatusOK:
			if len(gotValue) != 1 || gotValue[0] != value {
				t.Errorf("header = %q, want [%q]", gotValue, value)
			}
			want := body
			if !b64 {
				want = []byte(ev.Body)
			}
			if !bytes.Equal(gotBody, want) {
				t.Errorf("body = %q, want %q", gotBody, want)
			}
		case !ran && resp.StatusCode == http.StatusBadRequest:
		default:
			t.Errorf("ran=%v status=%d", ran, resp.StatusCode)
		}
	})
}

package lambdax

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
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

// FuzzRequestURL holds requestURL (which builds the common URL without
// parsing) to what http.NewRequest makes of the same URL, as the proxy
// library built it: the same URL and Host, or an error for both.
func FuzzRequestURL(f *testing.F) {
	f.Add("auth.example.com", "/oauth/token", "")
	f.Add("127.0.0.1:8080", "/t/acme/.well-known/a%2Fb", "a=1&a=2&b=%2C")
	f.Add("[::1]:8080", "/a b", "x=%zz#frag")
	f.Add("auth.example.com:", "/a!b", "?")
	f.Add("user@host", "//x", "a?b")
	f.Add("bad host", "/%zz", "\x01")
	f.Fuzz(func(t *testing.T, domain, path, query string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		raw := "https://" + domain + path
		if query != "" {
			raw += "?" + query
		}
		want, wantErr := http.NewRequest(http.MethodGet, raw, nil)
		got, ok := requestURL(domain, path, query)
		if ok != (wantErr == nil) {
			t.Fatalf("requestURL(%q, %q, %q) ok = %v, http.NewRequest: %v", domain, path, query, ok, wantErr)
		}
		if !ok {
			return
		}
		if got.User.String() != want.URL.User.String() {
			t.Errorf("user = %q, want %q", got.User, want.URL.User)
		}
		g, w := *got, *want.URL
		g.User, w.User = nil, nil
		if g != w {
			t.Errorf("requestURL(%q, %q, %q) = %#v, want %#v", domain, path, query, g, w)
		}
		if got.Host != want.Host || got.RequestURI() != want.URL.RequestURI() {
			t.Errorf("host, request uri = %q, %q; want %q, %q", got.Host, got.RequestURI(), want.Host, want.URL.RequestURI())
		}
	})
}

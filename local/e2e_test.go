package local

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// echoed is what the echo function saw of its request.
type echoed struct {
	Method    string              `json:"method"`
	Host      string              `json:"host"`
	Scheme    string              `json:"scheme"`
	Path      string              `json:"path"`
	Query     map[string][]string `json:"query"`
	UserAgent []string            `json:"user_agent"`
	Date      []string            `json:"date"`
	Cookie    []string            `json:"cookie"`
	Body      string              `json:"body"`
}

// echo answers what it saw, with two cookies and a two-valued header.
func echo(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/echo/binary" {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write([]byte{0xff, 0x00, 0xfe, 0x01})
		return
	}
	body, _ := io.ReadAll(r.Body)
	http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/"})
	http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", Path: "/"})
	w.Header().Add("Vary", "Origin")
	w.Header().Add("Vary", "Accept")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(echoed{
		Method: r.Method, Host: r.Host, Scheme: r.URL.Scheme, Path: r.URL.Path, Query: r.URL.Query(),
		UserAgent: r.Header.Values("User-Agent"), Date: r.Header.Values("Date"),
		Cookie: r.Header.Values("Cookie"), Body: string(body),
	})
}

func status(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"ok"}`)
}

func TestEndToEnd(t *testing.T) {
	routes, err := LoadRoutes(filepath.Join("testdata", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(routes, map[string]http.Handler{
		"echo":   http.HandlerFunc(echo),
		"status": http.HandlerFunc(status),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.(*Server).log = discardLogger()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	t.Run("form post through a greedy ANY route", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"a b"}}.Encode()
		req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/echo/a%2Fb/c?x=1&x=2", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "shark-auth/0.1.1 (Linux, x86_64)")
		req.Header.Set("Date", "Tue, 15 Nov 1994 08:12:31 GMT")
		req.AddCookie(&http.Cookie{Name: "s", Value: "1"})
		req.AddCookie(&http.Cookie{Name: "t", Value: "2"})
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status = %d", resp.StatusCode)
		}
		var got echoed
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		want := echoed{
			Method: "POST", Host: host, Scheme: "http", Path: "/echo/a/b/c",
			Query:     map[string][]string{"x": {"1", "2"}},
			UserAgent: []string{"shark-auth/0.1.1 (Linux, x86_64)"},
			Date:      []string{"Tue, 15 Nov 1994 08:12:31 GMT"},
			Cookie:    []string{"s=1; t=2"},
			Body:      form,
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("echo saw\n%s\nwant\n%s", gotJSON, wantJSON)
		}
		if c := resp.Header.Values("Set-Cookie"); !slices.Equal(c, []string{"a=1; Path=/", "b=2; Path=/"}) {
			t.Errorf("Set-Cookie = %q", c)
		}
		if v := resp.Header.Values("Vary"); !slices.Equal(v, []string{"Origin,Accept"}) {
			t.Errorf("Vary = %q", v)
		}
		if resp.Header.Get("Apigw-Requestid") == "" {
			t.Error("no apigw-requestid")
		}
	})

	t.Run("binary response", func(t *testing.T) {
		resp, body := get(t, srv, "/echo/binary")
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, []byte{0xff, 0x00, 0xfe, 0x01}) ||
			resp.ContentLength != 4 {
			t.Errorf("got %d %q (length %d)", resp.StatusCode, body, resp.ContentLength)
		}
	})

	t.Run("method route of another function", func(t *testing.T) {
		resp, body := get(t, srv, "/status")
		if resp.StatusCode != http.StatusOK || string(body) != `{"status":"ok"}` {
			t.Errorf("got %d %q", resp.StatusCode, body)
		}
	})

	t.Run("implicit API route", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL+"/status", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status = %d", resp.StatusCode)
		}
	})

	t.Run("no route", func(t *testing.T) {
		for _, path := range []string{"/nope", "/status/", "/items/", "/echo"} {
			resp, body := get(t, srv, path)
			if resp.StatusCode != http.StatusNotFound || string(body) != `{"message":"Not Found"}` {
				t.Errorf("%s: got %d %q", path, resp.StatusCode, body)
			}
		}
	})

	t.Run("body over 1 MiB", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL+"/echo/x", "application/json", bytes.NewReader(make([]byte, MaxBodyBytes+1)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge ||
			string(body) != `{"error":"invalid_request","message":"request body too large"}` {
			t.Errorf("got %d %q", resp.StatusCode, body)
		}
	})
}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

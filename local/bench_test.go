package local

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkServeToken is the runner's own cost per token request: the
// API Gateway v2 event built from the request, the function's adapter
// (lambdax: the request rebuilt from the event, the response recorded), and
// the response written back, around a function that answers a token-sized
// JSON at once. issue 23 profiles it at ~5% of the runner's CPU per DPoP
// token (BENCHMARKS.md, 2026-12-06).
func BenchmarkServeToken(b *testing.B) {
	answer := []byte(`{"access_token":"` + strings.Repeat("a", 700) + `","token_type":"DPoP","expires_in":3600,"scope":"mcp:read"}`)
	h, err := NewHandler([]Route{{Function: "token", Method: "POST", Path: "/oauth/token"}},
		map[string]http.Handler{"token": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") == "" || r.Header.Get("DPoP") == "" {
				http.Error(w, "bad", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(answer)
		})})
	if err != nil {
		b.Fatal(err)
	}
	body := "grant_type=client_credentials&client_id=agent_0123456789abcdef&client_secret=" + strings.Repeat("s", 43) + "&scope=mcp%3Aread"
	proof := strings.Repeat("p", 560)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/oauth/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("DPoP", proof)
		r.Header.Set("User-Agent", "Go-http-client/1.1")
		r.Header.Set("Accept-Encoding", "gzip")
		r.RemoteAddr = "127.0.0.1:50000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

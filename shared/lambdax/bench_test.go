package lambdax

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

var (
	tokenForm = "grant_type=client_credentials&client_id=agent_0123456789abcdef&client_secret=" +
		strings.Repeat("s", 43) + "&scope=mcp%3Aread"
	// A DPoP proof is a compact JWS of about 600 bytes (ES256, an EC JWK in
	// its header).
	tokenProof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0." + strings.Repeat("p", 600-45-87) + "." +
		strings.Repeat("s", 86)
	tokenAnswer = []byte(`{"access_token":"` + strings.Repeat("a", 700) +
		`","token_type":"DPoP","expires_in":3600,"scope":"mcp:read"}`)
)

// tokenEvent is the event the local runner builds for a DPoP
// client_credentials token request (API Gateway's shape: lowercase header
// names, a form body base64-encoded).
func tokenEvent() events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "POST /oauth/token",
		RawPath:        "/oauth/token",
		RawQueryString: "",
		Headers: map[string]string{
			"host":              "127.0.0.1:8080",
			"content-type":      "application/x-www-form-urlencoded",
			"content-length":    "137",
			"dpop":              tokenProof,
			"user-agent":        "shark-auth/0.1.1 (Linux; x86_64) python-httpx/0.28.1",
			"accept":            "application/json",
			"accept-encoding":   "gzip, deflate",
			"x-forwarded-proto": "http",
			"x-forwarded-port":  "8080",
			"x-forwarded-for":   "127.0.0.1",
			"x-amzn-trace-id":   "Root=1-67533a1f-0123456789abcdef01234567",
		},
		Body:            base64.StdEncoding.EncodeToString([]byte(tokenForm)),
		IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "POST /oauth/token",
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    "JKJaXmPLvHcESHA=",
			APIID:        "local",
			DomainName:   "127.0.0.1:8080",
			DomainPrefix: "127",
			Time:         "06/Dec/2026:07:00:00 +0000",
			TimeEpoch:    1796540400000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "POST", Path: "/oauth/token", Protocol: "HTTP/1.1",
				SourceIP: "127.0.0.1", UserAgent: "shark-auth/0.1.1 (Linux; x86_64) python-httpx/0.28.1",
			},
		},
	}
}

// BenchmarkAdapterToken is the adapter's cost per DPoP token request: the
// request built from the event and the response built from what the handler
// wrote, around a handler that parses the form, reads the proof and answers
// a token-sized JSON.
func BenchmarkAdapterToken(b *testing.B) {
	h := Adapter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") == "" || r.Header.Get("DPoP") == "" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		w.Write(tokenAnswer)
	}))
	ev := tokenEvent()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h(ctx, ev)
		if err != nil || resp.StatusCode != http.StatusOK || len(resp.Body) != len(tokenAnswer) {
			b.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
		}
	}
}

// BenchmarkAdapterEmpty is the adapter around a handler that does nothing.
func BenchmarkAdapterEmpty(b *testing.B) {
	h := Adapter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	ev := tokenEvent()
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

package core

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/store"
)

// The warm-up's connection is the one the first API call uses: one TLS
// connection for both requests, and the warm-up itself is a GET of the
// root (no API call).
func TestWarmUpLeavesItsConnectionForTheFirstCall(t *testing.T) {
	var conns, roots, calls atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/":
			roots.Add(1)
			w.Write([]byte("healthy: dynamodb.test"))
		default:
			calls.Add(1)
			w.Write([]byte("{}"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	})
	warmUp(t.Context(), client, srv.URL+"/")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if roots.Load() != 1 || calls.Load() != 1 || conns.Load() != 1 {
		t.Fatalf("%d warm-up GETs, %d calls, %d connections; want 1, 1, 1", roots.Load(), calls.Load(), conns.Load())
	}
	// An endpoint that does not answer leaves nothing behind and no error.
	warmUp(t.Context(), client, "https://127.0.0.1:1/")
}

// The warm-up goes where the SDK's endpoint rules send DynamoDB calls,
// in every partition.
func TestDynamoDBURL(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":  "https://dynamodb.us-east-1.amazonaws.com",
		"eu-west-1":  "https://dynamodb.eu-west-1.amazonaws.com",
		"cn-north-1": "https://dynamodb.cn-north-1.amazonaws.com.cn",
	} {
		if got := dynamoDBURL(t.Context(), region); got != want {
			t.Errorf("%s: %q, want %q", region, got, want)
		}
	}
}

// recordingClient answers every request with a health line and records
// the URLs it was asked for.
type recordingClient struct{ got chan string }

func (c recordingClient) Do(r *http.Request) (*http.Response, error) {
	c.got <- r.Method + " " + r.URL.String()
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("healthy")), Header: http.Header{}, Request: r}, nil
}

// A Lambda bootstrap on DynamoDB at AWS warms its connection at init with
// one GET of the regional endpoint's root; none does on an emulator's
// endpoint, with WarmUp unset (the local runner, the CLI), or on the
// embedded store.
func TestNewEnvWarmsUpDynamoDB(t *testing.T) {
	cfg := config.Config{Store: config.StoreDynamoDB, TableName: "shark", KeyMode: store.ModeEnvelope, KMSKeyID: "k", Region: "eu-west-1", LogLevel: "info"}
	newEnv := func(cfg config.Config, warm bool) chan string {
		t.Helper()
		rc := recordingClient{got: make(chan string, 4)}
		awsCfg := aws.Config{Region: cfg.Region, HTTPClient: rc, Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
		if _, err := NewEnv(t.Context(), cfg, Options{AWS: &awsCfg, WarmUp: warm, LogOutput: io.Discard}); err != nil {
			t.Fatal(err)
		}
		return rc.got
	}
	select {
	case got := <-newEnv(cfg, true):
		if got != "GET https://dynamodb.eu-west-1.amazonaws.com" {
			t.Fatalf("warm-up %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no warm-up")
	}
	emulator := cfg
	emulator.Endpoint = "http://127.0.0.1:5000"
	for name, got := range map[string]chan string{"emulator": newEnv(emulator, true), "WarmUp unset": newEnv(cfg, false)} {
		select {
		case u := <-got:
			t.Fatalf("%s: warm-up %q", name, u)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

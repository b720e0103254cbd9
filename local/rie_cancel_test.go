package local

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sharkauth/serverless/shared/lambdax"
)

// A client that goes away does not cancel the invocation it started: API
// Gateway lets a Lambda invocation run to its end whoever waits for it, and
// aws-lambda-rie, when an invocation is abandoned mid-way, is still busy when
// the next one comes, and wedges (its issue 97: the stack's health probes,
// each given up after a second on a loaded machine, left it answering none).
// Invoke waits for the answer, and only then serves the next invocation.
func TestInvokeOutlivesItsCaller(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Write([]byte(`{"statusCode":201,"body":"done"}`))
	}))
	defer srv.Close()
	f := &RIEFunction{Name: "admin", url: srv.URL, client: srv.Client(), exited: make(chan struct{})}

	ctx, cancel := context.WithCancel(t.Context())
	type result struct {
		resp lambdax.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := f.Invoke(ctx, lambdax.Request{RawPath: "/healthz"})
		done <- result{resp, err}
	}()
	<-arrived
	cancel() // the client gave up while the function runs
	close(release)
	got := <-done
	if got.err != nil || got.resp.StatusCode != 201 || got.resp.Body != "done" {
		t.Fatalf("the abandoned invocation: %+v %v, want the function's answer", got.resp, got.err)
	}
}

package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/sharkauth/serverless/shared/lambdax"
)

// BuildBootstrap builds ./functions/<name> of the module at srcDir into
// outDir/<name>/bootstrap as infra/sam.mk builds it for Lambda (static,
// lambda.norpc, trimmed, stripped), for linux on this machine's architecture
// so that aws-lambda-rie can run it. With reuse, a bootstrap already there is
// used as it is (a test session's stacks share one build).
func BuildBootstrap(ctx context.Context, srcDir, name, outDir string, reuse bool) (string, error) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("local: the go command builds the bootstraps: %w", err)
	}
	dir := filepath.Join(outDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bootstrap")
	if _, err := os.Stat(out); reuse && err == nil {
		return out, nil
	}
	cmd := exec.CommandContext(ctx, gocmd, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./functions/"+name)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("local: build %s: %w\n%s", name, err, b)
	}
	return out, nil
}

// RIEFunction is one bootstrap running under its own aws-lambda-rie, bound
// to 127.0.0.1. RIE serves one invocation at a time, as one Lambda execution
// environment does; Invoke queues the others.
type RIEFunction struct {
	Name string
	url  string

	mu     sync.Mutex // one invocation at a time
	client *http.Client
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartRIE starts rie (aws-lambda-rie) with bootstrap and env (the function's
// environment, as the template gives it) on two free loopback ports. RIE
// starts the bootstrap on the first invoke. output receives both processes'
// output (their JSON logs).
func StartRIE(name, rie, bootstrap string, env []string, output io.Writer) (*RIEFunction, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	f := &RIEFunction{
		Name:   name,
		url:    "http://" + addr + "/2015-03-31/functions/function/invocations",
		client: &http.Client{Transport: &http.Transport{}},
		exited: make(chan struct{}),
	}
	f.cmd = exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	f.cmd.Dir = filepath.Dir(bootstrap)
	f.cmd.Env = append(append([]string(nil), env...), "AWS_LAMBDA_FUNCTION_NAME="+name)
	f.cmd.Stdout, f.cmd.Stderr = output, output
	f.cmd.WaitDelay = 5 * time.Second
	stopWithParent(f.cmd)
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("local: start %s for %s: %w", rie, name, err)
	}
	go func() {
		f.cmd.Wait()
		close(f.exited)
	}()
	return f, nil
}

// Invoke sends one HTTP API event and returns the function's response. While
// RIE is starting (connection refused) it retries, up to ctx's end.
func (f *RIEFunction) Invoke(ctx context.Context, ev lambdax.Request) (lambdax.Response, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return lambdax.Response{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		resp, err := f.post(ctx, body)
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
			return resp, err
		}
		select {
		case <-f.exited:
			return lambdax.Response{}, fmt.Errorf("local: aws-lambda-rie of %s exited", f.Name)
		case <-ctx.Done():
			return lambdax.Response{}, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (f *RIEFunction) post(ctx context.Context, body []byte) (lambdax.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return lambdax.Response{}, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return lambdax.Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return lambdax.Response{}, err
	}
	var r lambdax.Response
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &r) != nil || r.StatusCode == 0 {
		// A Lambda function error or an RIE error: API Gateway answers 500.
		return lambdax.Response{}, fmt.Errorf("local: aws-lambda-rie of %s answered %d: %.200s", f.Name, resp.StatusCode, raw)
	}
	return r, nil
}

// Stop ends RIE (which stops its bootstrap) and waits for it.
func (f *RIEFunction) Stop() {
	f.client.CloseIdleConnections()
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
	}
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

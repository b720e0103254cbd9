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

// abandonedInvoke bounds an invocation whose caller went away (see Invoke).
const abandonedInvoke = 2 * time.Minute

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
// environment, as the template gives it) on two free loopback ports, and
// returns once RIE listens on both. RIE starts the bootstrap on the first
// invoke. output receives both processes' output (their JSON logs).
//
// A port is found free by binding it and closing it, and RIE binds it a
// moment later: in between, another process (or another function's RIE) may
// take it, and RIE then exits at once. So StartRIE waits for RIE to listen,
// which also keeps the next function's RIE off these ports, and starts it
// again on fresh ports if it exited.
func StartRIE(name, rie, bootstrap string, env []string, output io.Writer) (*RIEFunction, error) {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		f, err := startRIEOnce(name, rie, bootstrap, env, output)
		if err == nil {
			return f, nil
		}
		lastErr = err
		if !errors.Is(err, errRIEExited) {
			break
		}
	}
	return nil, lastErr
}

var errRIEExited = errors.New("exited while starting")

func startRIEOnce(name, rie, bootstrap string, env []string, output io.Writer) (*RIEFunction, error) {
	addrs, err := pickLoopbackAddrs(2)
	if err != nil {
		return nil, err
	}
	addr, apiAddr := addrs[0], addrs[1]
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
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range addrs {
		for !listening(a) {
			select {
			case <-f.exited:
				return nil, fmt.Errorf("local: aws-lambda-rie of %s on %s and %s: %w", name, addr, apiAddr, errRIEExited)
			case <-time.After(2 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				f.Stop()
				return nil, fmt.Errorf("local: aws-lambda-rie of %s is not listening on %s after 10s", name, a)
			}
		}
	}
	return f, nil
}

// listening reports whether something accepts connections on addr.
func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Invoke sends one HTTP API event and returns the function's response.
func (f *RIEFunction) Invoke(ctx context.Context, ev lambdax.Request) (lambdax.Response, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return lambdax.Response{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// A caller that goes away does not end the invocation, as with API
	// Gateway and Lambda: aws-lambda-rie, its invocation abandoned, is still
	// busy when the next one comes and wedges (its issue 97). RIE ends the
	// function at its timeout; abandonedInvoke only bounds a hung emulator.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonedInvoke)
	defer cancel()
	resp, err := f.post(ctx, body)
	if err != nil {
		select {
		case <-f.exited:
			return lambdax.Response{}, fmt.Errorf("local: aws-lambda-rie of %s has exited: %w", f.Name, err)
		default:
		}
	}
	return resp, err
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

// pickLoopbackAddrs chooses RIE's ports; a test replaces it to hand RIE a
// taken port.
var pickLoopbackAddrs = freeLoopbackAddrs

// freeLoopbackAddrs returns n distinct loopback addresses that were free a
// moment ago: all n are held while they are chosen, so none repeats.
func freeLoopbackAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

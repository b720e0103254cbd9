package local

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rieBinary returns aws-lambda-rie's path from SHARK_RIE (`make test` sets it).
func rieBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SHARK_RIE")
	if path == "" {
		t.Fatal("SHARK_RIE is not set: run `make deps` (it installs aws-lambda-rie into bin/) and the tests with `make test`")
	}
	return path
}

// A port found free can be taken before RIE binds it (most often as the
// local port of some process's outgoing connection); RIE then exits at once.
// StartRIE must notice and start it again on other ports, not hand back a
// function whose every invoke fails.
func TestStartRIERetriesATakenPort(t *testing.T) {
	rie := rieBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	taken := conn.LocalAddr()
	calls := 0
	pickLoopbackAddrs = func(n int) ([]string, error) {
		calls++
		addrs, err := freeLoopbackAddrs(n)
		if calls == 1 && err == nil {
			addrs[1] = taken.String() // the runtime API port, as another process took it
		}
		return addrs, err
	}
	defer func() { pickLoopbackAddrs = freeLoopbackAddrs }()

	f, err := StartRIE("token", rie, filepath.Join(t.TempDir(), "bootstrap"), nil, io.Discard)
	if err != nil {
		t.Fatalf("StartRIE: %v", err)
	}
	defer f.Stop()
	if calls != 2 {
		t.Fatalf("ports chosen %d times, want 2 (one retry after RIE exited)", calls)
	}
	select {
	case <-f.exited:
		t.Fatal("the RIE StartRIE returned has exited")
	default:
	}
	if strings.Contains(f.url, taken.String()) {
		t.Fatalf("RIE's url %s uses the taken port", f.url)
	}
}

// An emulator that never comes up is an error, after a bounded number of tries.
func TestStartRIEGivesUp(t *testing.T) {
	_, err := StartRIE("token", "/bin/false", filepath.Join(t.TempDir(), "bootstrap"), nil, io.Discard)
	if !errors.Is(err, errRIEExited) {
		t.Fatalf("StartRIE with an emulator that exits: %v, want errRIEExited", err)
	}
}

func TestFreeLoopbackAddrsAreDistinct(t *testing.T) {
	for range 200 {
		addrs, err := freeLoopbackAddrs(10)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range addrs {
			if seen[a] {
				t.Fatalf("%s chosen twice in %v", a, addrs)
			}
			seen[a] = true
		}
	}
}

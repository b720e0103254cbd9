package functions_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The Lambda bootstraps run on DynamoDB only: they must not link the
// embedded engines (bbolt, Pebble), which cost them size and cold start.
// shared/app reaches the embedded store only through shared/app/localstore,
// which the local runner and the tests import.
func TestBootstrapsLinkNoEmbeddedEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"go.etcd.io/bbolt", "github.com/cockroachdb/pebble", "/shared/store/embedded", "/shared/app/localstore"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("a bootstrap links %s", pkg)
			}
		}
	}
}

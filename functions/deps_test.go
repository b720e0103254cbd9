package functions_test

import (
	"os/exec"
	"slices"
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

// Each bootstrap links only the handler packages its own function serves
// (and what they import), not the other functions' handlers, pages and
// clients: what a function does not serve costs it size, package init time
// at every cold start, and attack surface.
func TestBootstrapsLinkOnlyTheirOwnHandlers(t *testing.T) {
	const shared = "github.com/sharkauth/serverless/shared/"
	handlers := []string{"admin", "audit", "authorize", "cimd", "dashboard", "discovery", "register", "token"}
	own := map[string][]string{
		"jwks":      {"discovery", "token", "audit"},
		"admin":     {"admin", "dashboard", "register", "discovery", "token", "audit"},
		"token":     {"token", "cimd", "register", "audit"},
		"register":  {"register", "audit"},
		"audit":     {"audit", "admin", "discovery", "token"},
		"authorize": {"authorize", "cimd", "register", "audit"},
	}
	for _, fn := range functions {
		out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "./"+fn).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", fn, err, out)
		}
		deps := strings.Fields(string(out))
		for _, h := range handlers {
			if slices.Contains(deps, shared+h) && !slices.Contains(own[fn], h) {
				t.Errorf("the %s bootstrap links shared/%s, which only other functions use", fn, h)
			}
		}
		// On Lambda the credentials are the role's, in the environment: the
		// SDK's default chain (profiles, SSO, STS web identity) is dead weight.
		for _, banned := range []string{"github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/sts", "github.com/aws/aws-sdk-go-v2/service/sso"} {
			if slices.Contains(deps, banned) {
				t.Errorf("the %s bootstrap links %s", fn, banned)
			}
		}
		switch templ := slices.Contains(deps, "html/template"); {
		case templ && fn != "authorize":
			t.Errorf("the %s bootstrap links html/template (only the authorize pages use it)", fn)
		case !templ && fn == "authorize":
			t.Errorf("the authorize pages are not rendered with html/template (issue 22: contextual escaping, not hand escaping)")
		}
	}
}

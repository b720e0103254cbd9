package table_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The engines implement the table contract and know nothing of the domain:
// neither they (with their in-package tests) nor the table suite they run
// may import the domain store (shared/store) or its suite (storetest). Their
// external tests may, to run the domain suite over each engine.
func TestEnginesImportNoDomain(t *testing.T) {
	const domain = "github.com/sharkauth/serverless/shared/store"
	banned := []string{domain, domain + "/storetest"}
	for _, pkg := range []string{"../embedded", "../dynamodb", "./tabletest", "."} {
		out, err := exec.Command("go", "list", "-f", "{{join .Imports \"\\n\"}}\n{{join .TestImports \"\\n\"}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		direct := strings.Fields(string(out))
		deps, err := exec.Command("go", append([]string{"list", "-deps", pkg}, direct...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, deps)
		}
		for _, dep := range strings.Fields(string(deps)) {
			for _, b := range banned {
				if dep == b {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}

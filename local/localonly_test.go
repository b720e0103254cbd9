package local

import (
	"strings"
	"testing"

	serverless "github.com/sharkauth/serverless"
	"github.com/sharkauth/serverless/shared/config"
)

// The local runner's own settings (SHARK_ANY_HOST: issuers follow any Host;
// SHARK_FETCH_LOOPBACK: client-controlled URLs may reach loopback, where on
// Lambda the runtime API listens) are never given to a deployed function.
func TestTemplateNeverSetsLocalRunnerSettings(t *testing.T) {
	for _, name := range []string{config.EnvAnyHost, config.EnvFetchLoopback} {
		if strings.Contains(string(serverless.Template), name) {
			t.Errorf("template.yaml sets %s, a setting of the local runner only", name)
		}
	}
}

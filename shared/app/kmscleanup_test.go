package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store"
)

// Item 11: in kms mode a tenant create that fails after its KMS key was made
// (here: the host is taken) schedules that key for deletion.
func TestKMSKeyOfAFailedCreateIsScheduledForDeletion(t *testing.T) {
	awsCfg := awstest.Config(t)
	cfg := localConfig(t.TempDir())
	cfg.KeyMode = store.ModeKMS
	env, err := app.NewEnv(t.Context(), cfg, app.Options{AWS: &awsCfg, LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	boot, err := env.Boot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, env: env, jwks: app.Jwks(env), admin: app.Admin(env), boot: boot}
	var b [4]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	owner, loser := "kmsown-"+suffix, "kmslose-"+suffix
	if r := s.do(s.admin, "POST", "/platform/v1/tenants", boot.PlatformKey, `{"id":"`+owner+`","hosts":["auth.`+suffix+`.test"]}`); r.status != 201 {
		t.Fatalf("create owner: %s", r.raw)
	}
	if r := s.do(s.admin, "POST", "/platform/v1/tenants", boot.PlatformKey, `{"id":"`+loser+`","hosts":["auth.`+suffix+`.test"]}`); r.status != 409 {
		t.Fatalf("create with a taken host: %d %s", r.status, r.raw)
	}
	states := keyStates(t, kms.NewFromConfig(awsCfg), suffix)
	if states[owner] != kmstypes.KeyStateEnabled || states[loser] != kmstypes.KeyStatePendingDeletion {
		t.Fatalf("KMS key states: %v", states)
	}
}

// keyStates maps tenant → state of the KMS signing keys whose description
// names a tenant with suffix.
func keyStates(t *testing.T, c *kms.Client, suffix string) map[string]kmstypes.KeyState {
	t.Helper()
	out := map[string]kmstypes.KeyState{}
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			d, err := c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: k.KeyId})
			if err != nil {
				t.Fatal(err)
			}
			desc := aws.ToString(d.KeyMetadata.Description)
			if i := strings.LastIndex(desc, " tenant "); i >= 0 && strings.HasSuffix(desc, suffix) {
				out[desc[i+len(" tenant "):]] = d.KeyMetadata.KeyState
			}
		}
	}
	return out
}

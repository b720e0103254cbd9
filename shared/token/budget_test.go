package token

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
)

// countingKMS counts the calls of each KMS operation.
type countingKMS struct {
	keys.KMSAPI
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingKMS) count(op string) {
	c.mu.Lock()
	c.calls[op]++
	c.mu.Unlock()
}

func (c *countingKMS) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

func (c *countingKMS) reset() {
	c.mu.Lock()
	clear(c.calls)
	c.mu.Unlock()
}

func (c *countingKMS) GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, o ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error) {
	c.count("GenerateDataKey")
	return c.KMSAPI.GenerateDataKey(ctx, in, o...)
}
func (c *countingKMS) Decrypt(ctx context.Context, in *kms.DecryptInput, o ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	c.count("Decrypt")
	return c.KMSAPI.Decrypt(ctx, in, o...)
}
func (c *countingKMS) CreateKey(ctx context.Context, in *kms.CreateKeyInput, o ...func(*kms.Options)) (*kms.CreateKeyOutput, error) {
	c.count("CreateKey")
	return c.KMSAPI.CreateKey(ctx, in, o...)
}
func (c *countingKMS) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, o ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	c.count("GetPublicKey")
	return c.KMSAPI.GetPublicKey(ctx, in, o...)
}
func (c *countingKMS) Sign(ctx context.Context, in *kms.SignInput, o ...func(*kms.Options)) (*kms.SignOutput, error) {
	c.count("Sign")
	return c.KMSAPI.Sign(ctx, in, o...)
}
func (c *countingKMS) ScheduleKeyDeletion(ctx context.Context, in *kms.ScheduleKeyDeletionInput, o ...func(*kms.Options)) (*kms.ScheduleKeyDeletionOutput, error) {
	c.count("ScheduleKeyDeletion")
	return c.KMSAPI.ScheduleKeyDeletion(ctx, in, o...)
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// wrappingKey creates a symmetric KMS key on the emulator (envelope mode).
func wrappingKey(t *testing.T, c keys.KMSAPI) string {
	t.Helper()
	out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatalf("KMS CreateKey: %v", err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// TestCallBudget counts calls, not time (DESIGN §8): a client_credentials +
// DPoP token costs at most 3 table calls, of which its one write is a
// single conditional PutItem, and no KMS call in local and
// envelope modes, exactly one KMS Sign in kms mode; an introspection at most
// 4 table calls and no KMS call. Counted after one warm-up request, which
// opens the tenant's key (one Decrypt in envelope mode) and reads its records.
func TestCallBudget(t *testing.T) {
	kmsClient := &countingKMS{KMSAPI: awstest.KMS(t), calls: map[string]int{}}
	modes := []struct {
		name   string
		sealer func(now func() time.Time) keys.Sealer
		kms    map[string]int // KMS calls of one token
	}{
		{name: "local", kms: map[string]int{}},
		{name: "envelope", sealer: func(now func() time.Time) keys.Sealer {
			s, err := keys.NewEnvelope(kmsClient, wrappingKey(t, kmsClient), now)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, kms: map[string]int{}},
		{name: "kms", sealer: func(now func() time.Time) keys.Sealer {
			s, err := keys.NewKMS(kmsClient, now)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, kms: map[string]int{"Sign": 1}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			rec := &writeRecorder{}
			hs := newHarnessWith(t, func(tb store.Table) store.Table { rec.Table = tb; return rec }, m.sealer)
			p := newProver(t)
			hs.client("acme", store.Client{ClientID: "budget", Scopes: []string{"mcp:read"}, Active: true, DPoPBound: true})
			token := func() string {
				w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "budget", "client_secret", secret, "audience", "https://mcp.example.com"),
					dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}})
				if w.Code != 200 {
					t.Fatalf("token: %d %s", w.Code, w.Body)
				}
				return decode(t, w)["access_token"].(string)
			}
			token() // warm-up
			kmsClient.reset()
			rec.reset()
			tok := token()
			if hs.lastCalls > 3 {
				t.Errorf("client_credentials+DPoP: %d table calls, budget 3", hs.lastCalls)
			}
			// Its writes: ONE conditional PutItem of one item, the token
			// item, whose key is the proof's replay mark (issue 23).
			if _, lines := rec.units(); len(rec.calls) != 1 || rec.calls[0].op != "PutItem" || rec.calls[0].writes[0].Cond != store.CondAbsent {
				t.Errorf("client_credentials+DPoP writes: %v, want one PutItem if absent", lines)
			}
			if got := kmsClient.snapshot(); total(got) != total(m.kms) || got["Sign"] != m.kms["Sign"] {
				t.Errorf("client_credentials+DPoP: KMS calls %v, want %v", got, m.kms)
			}
			t.Logf("%s: one token = %d table calls, KMS %v", m.name, hs.lastCalls, kmsClient.snapshot())

			kmsClient.reset()
			w := hs.do(call{path: "/oauth/introspect", form: form("token", tok), headers: map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}})
			if w.Code != 200 || decode(t, w)["active"] != true {
				t.Fatalf("introspect: %d %s", w.Code, w.Body)
			}
			if hs.lastCalls > 4 {
				t.Errorf("introspection: %d table calls, budget 4", hs.lastCalls)
			}
			if got := kmsClient.snapshot(); total(got) != 0 {
				t.Errorf("introspection: KMS calls %v", got)
			}
			t.Logf("%s: one introspection = %d table calls", m.name, hs.lastCalls)
		})
	}
}

package token

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
)

// TestUserGrantsKMSBudget counts the calls of the user grants in the key
// modes that must not call KMS per token (DESIGN §8, issue 22): a code
// exchange and a refresh each cost at most 3 table calls and no KMS call
// in local and envelope modes (after a warm-up that opens the tenant's key).
func TestUserGrantsKMSBudget(t *testing.T) {
	kmsClient := &countingKMS{KMSAPI: awstest.KMS(t), calls: map[string]int{}}
	modes := []struct {
		name   string
		sealer func(now func() time.Time) keys.Sealer
	}{
		{name: "local"},
		{name: "envelope", sealer: func(now func() time.Time) keys.Sealer {
			s, err := keys.NewEnvelope(kmsClient, wrappingKey(t, kmsClient), now)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			hs := newHarnessWith(t, nil, m.sealer)
			hs.client("acme", store.Client{ClientID: "mcp", Kind: store.KindDCR, AuthMethod: "none", SecretHash: []byte{}, Active: true,
				GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"mcp:read", "mcp:write"}, RedirectURIs: []string{redirect}})
			hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}) // warm-up
			val := hs.code(codeOpts{})
			kmsClient.reset()
			w := hs.do(call{form: form(exchange(val)...)})
			if w.Code != 200 {
				t.Fatalf("code exchange: %d %s", w.Code, w.Body)
			}
			if got := kmsClient.snapshot(); hs.lastCalls > 3 || total(got) != 0 {
				t.Errorf("authorization_code: %d table calls (budget 3), KMS %v (budget none)", hs.lastCalls, got)
			}
			t.Logf("%s: authorization_code = %d table calls, KMS %v", m.name, hs.lastCalls, kmsClient.snapshot())
			kmsClient.reset()
			w = hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", decode(t, w)["refresh_token"].(string))})
			if w.Code != 200 {
				t.Fatalf("refresh: %d %s", w.Code, w.Body)
			}
			if got := kmsClient.snapshot(); hs.lastCalls > 3 || total(got) != 0 {
				t.Errorf("refresh_token: %d table calls (budget 3), KMS %v (budget none)", hs.lastCalls, got)
			}
			t.Logf("%s: refresh_token = %d table calls, KMS %v", m.name, hs.lastCalls, kmsClient.snapshot())
		})
	}
}

package store_test

import (
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// BenchmarkGetClient is the token endpoint's read of its client on the
// embedded engine (Pebble, the default), whose item cache answers the Get:
// what is left is the store's decoding of the record.
func BenchmarkGetClient(b *testing.B) {
	clock := tabletest.NewClock()
	tb, err := embedded.OpenPebble(b.TempDir(), clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tb.Close() })
	s := store.New(tb, clock.Now)
	id := tenant.MustID("bench")
	now := s.Now()
	c := store.Client{ID: "agent_b", ClientID: "shark_agent_b", Kind: store.KindAgent, Name: "bench agent", AuthMethod: "client_secret_post",
		SecretHash: []byte("0123456789abcdef0123456789abcdef"), GrantTypes: []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"},
		Scopes: []string{"mcp:read", "mcp:write", "files:read"}, Audiences: []string{"https://api.example"}, Active: true, DPoPBound: true,
		Metadata: map[string]any{"team": "infra", "tier": 2}, CreatedAt: now, UpdatedAt: now}
	ev := store.AuditEvent{ID: "aud_1", Event: "agent.created", ActorType: "admin", Status: "success", CreatedAt: now}
	if err := s.CreateClient(b.Context(), id, c, ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.GetClient(b.Context(), id, c.ClientID)
		if err != nil || !got.Active {
			b.Fatal(got, err)
		}
	}
}

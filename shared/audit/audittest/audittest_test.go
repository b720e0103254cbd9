package audittest_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/audit/audittest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// recorder is a testing.TB that records a failure instead of stopping the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}
func (r *recorder) Fatal(args ...any) { r.failed = fmt.Sprint(args...); panic(r) }
func (r *recorder) Helper()           {}

// fails runs f against a recorder and reports whether it failed.
func fails(t *testing.T, f func(tb testing.TB)) (failed bool) {
	r := &recorder{TB: t}
	defer func() {
		if p := recover(); p != nil {
			if p != r {
				panic(p)
			}
			failed = true
		}
	}()
	f(r)
	return false
}

func TestExactlyAndNoSecrets(t *testing.T) {
	clock := storetest.NewClock()
	table, err := embedded.Open(filepath.Join(t.TempDir(), "db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { table.Close() })
	s := store.New(table, clock.Now)
	id := tenant.MustID("acme")
	write := func(evs ...store.AuditEvent) func() {
		return func() {
			clock.Advance(time.Millisecond)
			if err := s.RecordAuditEvents(t.Context(), id, evs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	ev := func(name, actor, target string, meta map[string]any) store.AuditEvent {
		return audit.New(nil, clock.Now().Add(time.Millisecond), name, audit.Actor{Type: "client", ID: actor}, audit.Target{Type: "agent", ID: target}, meta)
	}
	tests := []struct {
		name   string
		mutate func() func()
		want   []audittest.Want
		fail   bool
	}{
		{"exactly its event", func() func() { return write(ev("agent.created", "key_1", "shark_agent_1", nil)) },
			[]audittest.Want{{"agent.created", "key_1", "shark_agent_1"}}, false},
		{"two events in any order", func() func() {
			return write(ev("user.created", "key_1", "u1", nil), ev("api_key.created", "key_1", "key_2", nil))
		}, []audittest.Want{{Event: "api_key.created"}, {Event: "user.created"}}, false},
		{"missing event", func() func() { return write(ev("agent.updated", "key_1", "a", nil)) },
			[]audittest.Want{{Event: "agent.created"}}, true},
		{"wrong actor", func() func() { return write(ev("agent.created", "key_2", "a", nil)) },
			[]audittest.Want{{"agent.created", "key_1", ""}}, true},
		{"wrong target", func() func() { return write(ev("agent.created", "key_1", "b", nil)) },
			[]audittest.Want{{"agent.created", "", "a"}}, true},
		{"an extra event", func() func() {
			return write(ev("agent.created", "key_1", "a", nil), ev("agent.updated", "key_1", "a", nil))
		}, []audittest.Want{{Event: "agent.created"}}, true},
		{"nothing written", func() func() { return func() {} }, []audittest.Want{{Event: "agent.created"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Advance(time.Second) // the cases before are older than this one
			got := fails(t, func(tb testing.TB) { audittest.Exactly(tb, s, id, tt.mutate(), tt.want...) })
			if got != tt.fail {
				t.Fatalf("failed: %v, want %v", got, tt.fail)
			}
		})
	}

	secrets := []struct {
		name string
		meta map[string]any
		fail bool
	}{
		{"clean", map[string]any{"scope": "mcp:read", "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}, false},
		{"admin key", map[string]any{"key": "sk_live_0123456789abcdef"}, true},
		{"platform key", map[string]any{"key": "sk_platform_0123456789abcdef"}, true},
		{"a JWT", map[string]any{"token": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig"}, true},
		{"a private JWK", map[string]any{"jwk": map[string]any{"kty": "EC", "d": "x"}}, true},
		{"a PEM block", map[string]any{"pem": "-----BEGIN PRIVATE KEY-----"}, true},
		{"a handed-out secret", map[string]any{"note": "s3cr3t-value"}, true},
	}
	for _, tt := range secrets {
		t.Run("secrets: "+tt.name, func(t *testing.T) {
			e := ev("agent.secret_rotated", "key_1", "a", tt.meta)
			got := fails(t, func(tb testing.TB) { audittest.NoSecrets(tb, []store.AuditEvent{e}, "s3cr3t-value") })
			if got != tt.fail {
				t.Fatalf("failed: %v, want %v", got, tt.fail)
			}
		})
	}
}

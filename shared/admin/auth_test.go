package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/tenant"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	tab, err := embedded.Open(filepath.Join(t.TempDir(), "shark.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	return store.New(tab, time.Now)
}

func TestPlatformKeyAuthentication(t *testing.T) {
	s := newStore(t)
	key := ids.NewKey(ids.PlatformKeyPrefix)
	if err := s.CreatePlatformKey(t.Context(), store.PlatformKey{ID: "pk_test", Hash: ids.Hash(key), CreatedAt: s.Now()}); err != nil {
		t.Fatal(err)
	}
	h := httpx.Handle(requirePlatformKey(s, func(w http.ResponseWriter, r *http.Request) error {
		httpx.WriteJSON(w, 200, map[string]string{"actor": platformKeyID(r.Context())})
		return nil
	}))
	cases := []struct {
		name, header string
		status       int
		message      string
	}{
		{"bearer", "Bearer " + key, 200, ""},
		{"scheme is case-insensitive", "bearer " + key, 200, ""},
		{"missing", "", 401, "missing API key"},
		{"Basic scheme", "Basic " + key, 401, "missing API key"},
		{"Token scheme", "Token " + key, 401, "missing API key"},
		{"no scheme", key, 401, "missing API key"},
		{"admin key", "Bearer " + ids.NewKey(ids.AdminKeyPrefix), 401, "invalid API key format"},
		{"prefix only", "Bearer sk_platform_", 401, "invalid API key format"},
		{"over-long key", "Bearer " + key + strings.Repeat("A", 129-len(key)), 401, "invalid API key format"},
		{"unknown key", "Bearer " + ids.NewKey(ids.PlatformKeyPrefix), 401, "invalid API key"},
		{"key with one character changed", "Bearer " + key[:len(key)-1] + flip(key[len(key)-1]), 401, "invalid API key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/platform/v1/tenants", nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status || (c.message != "" && !strings.Contains(w.Body.String(), `"message":"`+c.message+`"`)) {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if c.status == 200 && !strings.Contains(w.Body.String(), `"actor":"pk_test"`) {
				t.Fatalf("actor: %s", w.Body)
			}
		})
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

type noKeys struct{}

func (noKeys) New(_ context.Context, t tenant.ID) (store.SigningKey, error) {
	return store.SigningKey{KID: "kid-" + t.String(), Mode: store.ModeLocal, PublicDER: []byte("der")}, nil
}
func (noKeys) Discard(context.Context, store.SigningKey) error { return nil }

// An admin key record keeps "sk_live_" and 4 characters of the secret, never
// more, in the record and in the audit event.
func TestBootstrapKeepsOnlyAShortKeyPrefix(t *testing.T) {
	now := time.Now()
	n, secret, err := Bootstrap(t.Context(), noKeys{}, store.Tenant{ID: "acme", Name: "acme"}, now, nil, audit.Actor{Type: "system", ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sk_live_") || len(secret) != len("sk_live_")+43 {
		t.Fatalf("secret %q", secret)
	}
	if n.AdminKey.Prefix != secret[:12] || len(n.AdminKey.Prefix) != 12 || n.AdminKey.Suffix != secret[len(secret)-4:] {
		t.Fatalf("prefix %q suffix %q", n.AdminKey.Prefix, n.AdminKey.Suffix)
	}
	if !ids.Matches(secret, n.AdminKey.Hash) {
		t.Fatal("hash does not match the secret")
	}
	for _, ev := range n.Events {
		for k, v := range ev.Metadata {
			if s, ok := v.(string); ok && len(s) > 12 && strings.Contains(secret, s) {
				t.Fatalf("event %s metadata %s carries %d characters of the secret", ev.Event, k, len(s))
			}
		}
		if p, ok := ev.Metadata["key_prefix"]; ok && p != secret[:12] {
			t.Fatalf("event key_prefix %v", p)
		}
	}
}

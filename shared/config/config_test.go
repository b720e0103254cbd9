package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	c, err := FromEnv(env(map[string]string{EnvPublicURL: "https://auth.example.com/", EnvTableName: "t", EnvKMSKeyID: "k", EnvRootTenant: "default"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://auth.example.com" || c.Store != StoreDynamoDB || c.KeyMode != "envelope" || c.RootTenant.String() != "default" || c.TenantCacheTTL != 5*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	if c, err := FromEnv(env(map[string]string{EnvTableName: "t", EnvKMSKeyID: "k"})); err != nil || c.PublicURL != "" {
		t.Fatalf("no public URL (taken from requests): %+v %v", c, err)
	}
	if c, err := FromEnv(env(map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvAuditRetentionDays: "30"})); err != nil || c.AuditRetentionDays != 30 {
		t.Fatalf("audit retention: %+v %v", c, err)
	}
	if c, err := FromEnv(env(map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvAnyHost: "true"})); err != nil || !c.AnyHost {
		t.Fatalf("any host: %+v %v", c, err)
	}
	if c, err := FromEnv(env(map[string]string{EnvTableName: "t", EnvKMSKeyID: "k"})); err != nil || c.AnyHost {
		t.Fatalf("any host is off unless set: %+v %v", c, err)
	}
	if c, err := FromEnv(env(map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvFetchLoopback: "true"})); err != nil || !c.FetchLoopback {
		t.Fatalf("fetch loopback: %+v %v", c, err)
	}
	if c, err := FromEnv(env(map[string]string{EnvTableName: "t", EnvKMSKeyID: "k"})); err != nil || c.FetchLoopback {
		t.Fatalf("fetch loopback is off unless set: %+v %v", c, err)
	}
	bad := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"relative public URL", map[string]string{EnvPublicURL: "/x", EnvTableName: "t", EnvKMSKeyID: "k"}, EnvPublicURL},
		{"public URL with query", map[string]string{EnvPublicURL: "https://a.b/?q", EnvTableName: "t", EnvKMSKeyID: "k"}, EnvPublicURL},
		{"no table", map[string]string{EnvPublicURL: "https://a.b", EnvKMSKeyID: "k"}, EnvTableName},
		{"unknown store", map[string]string{EnvPublicURL: "https://a.b", EnvStore: "sqlite"}, EnvStore},
		{"envelope without key", map[string]string{EnvPublicURL: "https://a.b", EnvTableName: "t"}, EnvKMSKeyID},
		{"unknown key mode", map[string]string{EnvPublicURL: "https://a.b", EnvTableName: "t", EnvKeyMode: "plain"}, EnvKeyMode},
		{"bad root tenant", map[string]string{EnvPublicURL: "https://a.b", EnvTableName: "t", EnvKMSKeyID: "k", EnvRootTenant: "Bad"}, EnvRootTenant},
		{"bad cache TTL", map[string]string{EnvPublicURL: "https://a.b", EnvTableName: "t", EnvKMSKeyID: "k", EnvTenantTTL: "soon"}, EnvTenantTTL},
		{"audit retention not a number", map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvAuditRetentionDays: "1y"}, EnvAuditRetentionDays},
		{"audit retention too long", map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvAuditRetentionDays: "3651"}, EnvAuditRetentionDays},
		{"audit retention negative", map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvAuditRetentionDays: "-1"}, EnvAuditRetentionDays},
		{"any host not a boolean", map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvAnyHost: "yes"}, EnvAnyHost},
		{"fetch loopback not a boolean", map[string]string{EnvTableName: "t", EnvKMSKeyID: "k", EnvFetchLoopback: "1"}, EnvFetchLoopback},
		{"bad log level", map[string]string{EnvPublicURL: "https://a.b", EnvTableName: "t", EnvKMSKeyID: "k", EnvLogLevel: "loud"}, EnvLogLevel},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromEnv(env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error naming %s, got %v", c.want, err)
			}
		})
	}
}

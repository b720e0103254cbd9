package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestRecoverKeyLink: `shark recover-key --link` prints a one-time sign-in
// link for the dashboard (no admin key), and says so for an unknown tenant.
func TestRecoverKeyLink(t *testing.T) {
	dir := t.TempDir()
	env, err := openEnv(t.Context(), config.Config{RootTenant: tenant.MustID("default"), Store: config.StoreEmbedded, DataDir: dir,
		KeyMode: "local", Region: "us-east-1", TenantCacheTTL: time.Second, LogLevel: "warn"})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := env.Boot(t.Context())
	env.Close()
	if err != nil || boot == nil {
		t.Fatalf("boot: %v", err)
	}
	code, out := runShark(t, "recover-key --link --data "+dir+" --dashboard http://127.0.0.1:9999/")
	if code != 0 || !regexp.MustCompile(`sign-in link \(one use, expires \d\d:\d\d UTC\): http://127\.0\.0\.1:9999/#signin=signin_[A-Za-z0-9]{40,}\n`).MatchString(out) ||
		strings.Contains(out, "sk_live_") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	code, out = runShark(t, "recover-key --link --tenant nobody --data "+dir)
	if code != 1 || !strings.Contains(out, "tenant nobody does not exist") {
		t.Fatalf("unknown tenant: exit %d, output:\n%s", code, out)
	}
}

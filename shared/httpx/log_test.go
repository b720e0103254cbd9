package httpx

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRedaction(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, "debug")
	secrets := []string{
		"sk_live_4f9Qx2bq0mZzZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ0zZ",
		"sk_platform_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"Bearer opaque-value",
	}
	log.Info("named", "authorization", secrets[4], "DPoP", secrets[2], "client_secret", secrets[3])
	log.Info("innocent names", "note", secrets[0], "value", secrets[1], "x", secrets[2])
	log.Error("failure", "cause", errors.New("bad key "+secrets[0]))
	log.Info("kept", "kid", "abc123", "path", "/oauth/token")
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log contains a secret %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, `"kid":"abc123"`) || !strings.Contains(out, `"path":"/oauth/token"`) {
		t.Errorf("harmless attributes were dropped:\n%s", out)
	}
}

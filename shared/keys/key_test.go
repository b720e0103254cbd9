package keys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestOpenedKeyNeverPrints checks that an opened private key shows only its
// kid and mode however it is printed, logged or marshalled.
func TestOpenedKeyNeverPrints(t *testing.T) {
	l := newTestLocal(t)
	rec := mustNew(t, l, tenantA)
	k := mustOpen(t, l, tenantA, rec)
	pk := k.(*privateKey)
	secrets := map[string][]byte{"private scalar": privateD(t, k)}

	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("opened", "key", k)
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("opened", "key", k)
	marshalled, _ := json.Marshal(k)

	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", k),
		"%+v":       fmt.Sprintf("%+v", k),
		"%#v":       fmt.Sprintf("%#v", k),
		"%s":        fmt.Sprintf("%s", k),
		"%d":        fmt.Sprintf("%d", k),
		"%x":        fmt.Sprintf("%x", k),
		"%v struct": fmt.Sprintf("%v", *pk),
		"%+v slice": fmt.Sprintf("%+v", []Key{k}),
		"error":     fmt.Errorf("wrapped: %v", k).Error(),
		"slog json": logged.String(),
		"slog text": text.String(),
		"json":      string(marshalled),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if l := leaks(out, secrets); l != nil {
				t.Fatalf("%s prints the %v: %s", name, l, out)
			}
		})
	}
	if !strings.Contains(outputs["%v"], rec.KID) || !strings.Contains(logged.String(), `"kid":"`+rec.KID+`"`) {
		t.Fatalf("the kid should show: %s / %s", outputs["%v"], logged.String())
	}
}

func TestKMSKeyPrintsItsKID(t *testing.T) {
	fake := newLocalSignKMS(t)
	m, _ := NewKMS(fake, fixedClock)
	rec := fake.record(t)
	k := mustOpen(t, m, tenantA, rec)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("opened", "key", k)
	for _, out := range []string{fmt.Sprintf("%v", k), fmt.Sprintf("%#v", k), logged.String()} {
		if !strings.Contains(out, rec.KID) || !strings.Contains(out, "kms") || strings.Contains(out, rec.KMSKeyID) {
			t.Fatalf("%s", out)
		}
	}
}

package audittest

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Want is an expected event: its name, and its actor and target ids ("" to
// skip the comparison of one).
type Want struct {
	Event, ActorID, TargetID string
}

// Since returns every event of tenant id stamped at or after from, oldest first.
func Since(t testing.TB, s *store.Store, id tenant.ID, from time.Time) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	err := s.EachAuditEvent(t.Context(), id, store.AuditFilter{From: from}, func(ev store.AuditEvent) error {
		out = append(out, ev)
		return nil
	})
	if err != nil {
		t.Fatalf("read the audit trail: %v", err)
	}
	slices.Reverse(out)
	return out
}

// Exactly runs mutate and fails t unless it wrote exactly the events want,
// in any order, and no other. The store's clock must not go back meanwhile.
func Exactly(t testing.TB, s *store.Store, id tenant.ID, mutate func(), want ...Want) []store.AuditEvent {
	t.Helper()
	from := s.Now()
	mutate()
	got := Since(t, s, id, from)
	left := slices.Clone(got)
	for _, w := range want {
		i := slices.IndexFunc(left, func(ev store.AuditEvent) bool {
			return ev.Event == w.Event && (w.ActorID == "" || ev.ActorID == w.ActorID) && (w.TargetID == "" || ev.TargetID == w.TargetID)
		})
		if i < 0 {
			t.Fatalf("no event %+v among %s", w, describe(got))
		}
		left = slices.Delete(left, i, i+1)
	}
	if len(left) > 0 {
		t.Fatalf("unexpected events %s (wanted %+v)", describe(left), want)
	}
	return got
}

func describe(evs []store.AuditEvent) string {
	parts := make([]string, len(evs))
	for i, ev := range evs {
		parts[i] = ev.Event + "(actor " + ev.ActorID + ", target " + ev.TargetID + ")"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// secretShapes are what must never appear in an event: admin and platform
// keys, compact JWS/JWE (tokens, DPoP proofs, client assertions), private
// JWK members and PEM blocks.
var secretShapes = regexp.MustCompile(`sk_live_[0-9A-Za-z]{8,}|sk_platform_[0-9A-Za-z]{8,}|eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]*\.|"d"\s*:|-----BEGIN`)

// NoSecrets fails t when an event carries one of secrets (client secrets,
// registration access tokens, anything the test handed out) or looks like a
// key, a token, a proof or key material.
func NoSecrets(t testing.TB, evs []store.AuditEvent, secrets ...string) {
	t.Helper()
	for _, ev := range evs {
		raw, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		if m := secretShapes.FindString(text); m != "" {
			t.Fatalf("event %s (%s) holds something secret-shaped: %.12s...", ev.ID, ev.Event, m)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Fatalf("event %s (%s) holds a secret the test handed out", ev.ID, ev.Event)
			}
		}
	}
}

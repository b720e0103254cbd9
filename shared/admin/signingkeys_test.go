package admin_test

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func (h *harness) jwksKids(path string) []string {
	h.t.Helper()
	w := httptest.NewRecorder()
	h.jwks.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:8080"+path, nil))
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil {
		h.t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KID)
	}
	return kids
}

func TestSigningKeys(t *testing.T) {
	h := newHarness(t)
	list := h.do("GET", "/api/v1/admin/signing-keys", h.key, nil)
	list.want(200, "", "")
	keys := list.list("data")
	if len(keys) != 1 || keys[0]["state"] != "current" || keys[0]["alg"] != "ES256" || keys[0]["public_jwk"] == nil || keys[0]["created_at"] == nil {
		t.Fatalf("keys: %s", list.raw)
	}
	if jwk := keys[0]["public_jwk"].(map[string]any); jwk["d"] != nil || jwk["kty"] != "EC" || jwk["kid"] != keys[0]["kid"] {
		t.Fatalf("public part: %v", jwk)
	}
	oldKid := keys[0]["kid"].(string)
	a := h.agent(h.key, "", nil)
	oldToken := h.token(root, a["client_id"].(string), a["id"].(string), "", oldKid)

	// Scheduled (the default): next, published, the old key still current.
	r := h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, map[string]any{})
	r.want(200, "", "")
	nextKid := r.str("kid")
	if r.str("state") != "next" || nextKid == oldKid || r.str("rotation_mode") != "scheduled" || r.obj()["public_jwk"] == nil {
		t.Fatalf("scheduled: %s", r.raw)
	}
	if kids := h.jwksKids("/.well-known/jwks.json"); !slices.Equal(kids, []string{oldKid, nextKid}) {
		t.Fatalf("JWKS after scheduled rotation: %v", kids)
	}
	if !h.active(root, oldToken) {
		t.Fatal("a scheduled rotation revoked a token")
	}
	if ev := h.events(root)[r.str("audit_event_id")]; ev.Event != "signing_key.rotated" || ev.Metadata["mode"] != "scheduled" {
		t.Fatalf("event: %+v", ev)
	}
	// Promotion is lazy: before the JWKS cache lifetime nothing changes; after
	// it, the next look at the keys makes the next key current.
	h.clock.Advance(4 * time.Minute)
	for _, k := range h.do("GET", "/api/v1/admin/signing-keys", h.key, nil).list("data") {
		if k["kid"] == nextKid && k["state"] != "next" {
			t.Fatalf("promoted before the cache lifetime: %v", k)
		}
	}
	h.clock.Advance(time.Minute)
	states := map[string]string{}
	for _, k := range h.do("GET", "/api/v1/admin/signing-keys", h.key, nil).list("data") {
		states[k["kid"].(string)] = k["state"].(string)
	}
	if states[oldKid] != "retired" || states[nextKid] != "current" {
		t.Fatalf("states: %v", states)
	}
	if ev := h.lastEvent(root, "signing_key.rotated"); ev.Metadata["mode"] != "promotion" || ev.TargetID != nextKid {
		t.Fatalf("promotion event: %+v", ev)
	}
	if kids := h.jwksKids("/.well-known/jwks.json"); !slices.Equal(kids, []string{nextKid, oldKid}) {
		t.Fatalf("retired key must stay published: %v", kids)
	}

	// Emergency: new key current at once; the old one leaves the JWKS and its tokens die.
	tok := h.token(root, a["client_id"].(string), a["id"].(string), "", nextKid)
	em := h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, map[string]any{"mode": "emergency"})
	em.want(200, "", "")
	emKid := em.str("kid")
	if em.str("state") != "current" || emKid == nextKid || emKid == oldKid {
		t.Fatalf("emergency: %s", em.raw)
	}
	if kids := h.jwksKids("/.well-known/jwks.json"); slices.Contains(kids, nextKid) || kids[0] != emKid {
		t.Fatalf("JWKS after emergency rotation: %v", kids)
	}
	if h.active(root, tok) {
		t.Fatal("token signed by the emergency-rotated key is active")
	}
	if !h.active(root, h.token(root, a["client_id"].(string), a["id"].(string), "", emKid)) {
		t.Fatal("token of the new key inactive")
	}
	// Bravo's keys did not move.
	if kids := h.jwksKids("/t/bravo/.well-known/jwks.json"); len(kids) != 1 || slices.Contains([]string{oldKid, nextKid, emKid}, kids[0]) {
		t.Fatalf("bravo's JWKS: %v", kids)
	}
	h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, map[string]any{"mode": "sideways"}).want(400, "invalid_request", "mode")
	h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, map[string]any{"mode": 1}).want(400, "invalid_request", "mode")
	h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, "[1]").want(400, "invalid_request", "")
}

// A scheduled rotation while a due next key waits promotes that key first:
// the new rotation never discards a key that JWKS caches already hold.
func TestScheduledRotationPromotesADueKeyFirst(t *testing.T) {
	h := newHarness(t)
	first := h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, nil)
	first.want(200, "", "")
	h.clock.Advance(6 * time.Minute)
	second := h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, map[string]any{"mode": "scheduled"})
	second.want(200, "", "")
	states := map[string]string{}
	for _, k := range h.do("GET", "/api/v1/admin/signing-keys", h.key, nil).list("data") {
		states[k["kid"].(string)] = k["state"].(string)
	}
	if states[first.str("kid")] != "current" || states[second.str("kid")] != "next" {
		t.Fatalf("states: %v", states)
	}
	// Before the cache lifetime, a second scheduled rotation replaces the
	// pending next key, which never signed.
	third := h.do("POST", "/api/v1/admin/signing-keys/rotate", h.key, nil)
	third.want(200, "", "")
	if kids := h.jwksKids("/.well-known/jwks.json"); slices.Contains(kids, second.str("kid")) || !slices.Contains(kids, third.str("kid")) {
		t.Fatalf("JWKS: %v", kids)
	}
}

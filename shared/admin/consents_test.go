package admin_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

const cimdClient = "https://app.example/oauth/client.json"

// consent stores a user's consent as the authorize function does.
func (h *harness) consent(t tenant.ID, user, client, redirect string) {
	h.t.Helper()
	now := h.env.Store.Now()
	c := store.Consent{UserID: user, ClientID: client, RedirectURI: redirect, Scopes: []string{"mcp:read"}, Resources: []string{"https://mcp.test"}, CreatedAt: now, UpdatedAt: now}
	ev := store.AuditEvent{ID: ids.New("aud_"), Event: "consent.granted", ActorType: "user", ActorID: user, Status: "success", Metadata: map[string]any{}, CreatedAt: now}
	if err := h.env.Store.GrantConsent(h.t.Context(), t, c, ev); err != nil {
		h.t.Fatal(err)
	}
	h.clock.Advance(time.Millisecond)
}

// grantToken issues a token of a user's grant under a consent (as the
// authorization_code grant does: a new family joined to the consent).
func (h *harness) grantToken(t tenant.ID, user, client, redirect string) string {
	h.t.Helper()
	now := h.env.Store.Now()
	keys, _ := h.env.Store.SigningKeys(h.t.Context(), t)
	rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: client, Subject: user, User: user, Family: ids.New("fam_"), Scope: "mcp:read",
		Audience: []string{"https://mcp.test"}, KID: keys[0].KID, GrantType: "authorization_code", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	ev := store.AuditEvent{ID: ids.New("aud_"), Event: "oauth.token_issued", ActorType: "client", ActorID: client, Status: "success", Metadata: map[string]any{}, CreatedAt: now}
	if err := h.env.Store.IssueToken(h.t.Context(), t, store.Issuance{Token: rec, Event: ev,
		Steps: []store.IssueStep{store.JoinConsent(user, client, redirect, rec.Family)}}); err != nil {
		h.t.Fatal(err)
	}
	h.clock.Advance(time.Millisecond)
	return rec.JTI
}

// familyLive reports whether the family of the token jti has no revocation
// marker (a metadata-document client's tokens are judged by the resource
// server's view of the client, so the test reads the marker itself).
func (h *harness) familyLive(t tenant.ID, jti string) bool {
	h.t.Helper()
	rec, err := h.env.Store.GetToken(h.t.Context(), t, jti)
	if err != nil {
		h.t.Fatal(err)
	}
	_, err = h.env.Store.GetFamilyRevocation(h.t.Context(), t, rec.Family)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.t.Fatal(err)
	}
	return err != nil
}

// A user's consents through the admin API: listed, the clients consented
// to listed as the user's authorized agents, one revoked (with every token
// of its grants, and its event), the rest by revoke-agents, which counts
// them.
func TestUserConsents(t *testing.T) {
	h := newHarness(t)
	uid := h.user(h.key, "", "ada@example.com")["id"].(string)
	other := h.user(h.key, "", "bob@example.com")["id"].(string)
	ag := h.agent(h.key, "", nil)
	cid := ag["client_id"].(string)
	const cb = "http://127.0.0.1:33418/callback"
	h.consent(root, uid, cid, cb)
	h.consent(root, uid, cimdClient, "https://app.example/cb")
	h.consent(root, uid, cimdClient, "https://app.example/cb2") // the same client at another redirect URI
	h.consent(root, other, cid, cb)
	jAg := h.grantToken(root, uid, cid, cb)
	jAg2 := h.grantToken(root, uid, cid, cb)
	jDoc := h.grantToken(root, uid, cimdClient, "https://app.example/cb")
	jOther := h.grantToken(root, other, cid, cb)

	r := h.do("GET", "/api/v1/users/"+uid+"/consents", h.key, nil)
	r.want(200, "", "")
	list := r.list("data")
	if len(list) != 3 || r.obj()["total"] != 3.0 || list[0]["client_id"] != cid || list[0]["redirect_uri"] != cb || list[0]["user_id"] != uid ||
		fmt.Sprint(list[0]["scopes"]) != "[mcp:read]" || fmt.Sprint(list[0]["resources"]) != "[https://mcp.test]" || list[1]["client_id"] != cimdClient {
		t.Fatalf("consents: %s", r.raw)
	}
	consentID := list[0]["id"].(string)

	auth := h.do("GET", "/api/v1/users/"+uid+"/agents?filter=authorized", h.key, nil)
	auth.want(200, "", "")
	data := auth.list("data")
	if auth.str("filter") != "authorized" || auth.obj()["total"] != 2.0 || len(data) != 2 || data[0]["id"] != ag["id"] || data[1]["client_id"] != cimdClient || data[1]["kind"] != "metadata_document" {
		t.Fatalf("authorized agents: %s", auth.raw)
	}
	if paged := h.do("GET", "/api/v1/users/"+uid+"/agents?filter=authorized&limit=1&offset=1", h.key, nil); len(paged.list("data")) != 1 || paged.list("data")[0]["client_id"] != cimdClient || paged.obj()["total"] != 2.0 {
		t.Fatalf("paged: %s", paged.raw)
	}
	if created := h.do("GET", "/api/v1/users/"+uid+"/agents?filter=created", h.key, nil); len(created.list("data")) != 0 {
		t.Fatalf("created: %s", created.raw)
	}

	// Refusals: nothing written.
	h.do("DELETE", "/api/v1/users/"+other+"/consents/"+consentID, h.key, nil).want(404, "not_found", "consent")
	h.do("DELETE", "/api/v1/users/"+uid+"/consents/cns_nope", h.key, nil).want(404, "not_found", "consent")
	h.do("DELETE", "/api/v1/users/"+uid+"/consents/a%20b", h.key, nil).want(404, "not_found", "consent")
	h.do("DELETE", "/t/bravo/api/v1/users/"+uid+"/consents/"+consentID, h.bravoKey, nil).want(404, "not_found", "consent")
	h.do("GET", "/api/v1/users/usr_nope/consents", h.key, nil).want(404, "not_found", "user")
	h.do("GET", "/t/bravo/api/v1/users/"+uid+"/consents", h.bravoKey, nil).want(404, "not_found", "user")
	if !h.active(root, jAg) || !h.active(root, jAg2) {
		t.Fatal("a refused revocation ended a grant")
	}

	h.do("DELETE", "/api/v1/users/"+uid+"/consents/"+consentID, h.key, nil).want(204, "", "")
	if h.active(root, jAg) || h.active(root, jAg2) {
		t.Fatal("a token of the revoked consent's grants is active")
	}
	if !h.familyLive(root, jDoc) || !h.active(root, jOther) {
		t.Fatal("the revocation ended another consent's grant")
	}
	ev := h.lastEvent(root, "consent.revoked")
	if ev.TargetID != consentID || ev.Metadata["client_id"] != cid || ev.Metadata["user_id"] != uid || ev.Metadata["redirect_uri"] != cb {
		t.Fatalf("event %+v", ev)
	}
	h.do("DELETE", "/api/v1/users/"+uid+"/consents/"+consentID, h.key, nil).want(404, "not_found", "consent")
	if left := h.do("GET", "/api/v1/users/"+uid+"/consents", h.key, nil); len(left.list("data")) != 2 {
		t.Fatalf("left: %s", left.raw)
	}

	// revoke-agents for every agent of the user revokes its consents too.
	rv := h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, map[string]any{"reason": "left"})
	rv.want(200, "", "")
	if rv.obj()["revoked_consent_count"] != 2.0 {
		t.Fatalf("revoke-agents: %s", rv.raw)
	}
	if h.familyLive(root, jDoc) || !h.active(root, jOther) {
		t.Fatal("revoke-agents missed the user's consent's grant or hit another user's")
	}
	if left := h.do("GET", "/api/v1/users/"+uid+"/consents", h.key, nil); len(left.list("data")) != 0 {
		t.Fatalf("left after revoke-agents: %s", left.raw)
	}
	if again := h.do("POST", "/api/v1/users/"+uid+"/revoke-agents", h.key, nil); again.obj()["revoked_consent_count"] != 0.0 {
		t.Fatalf("again: %s", again.raw)
	}
	// Only some agents: consents stay.
	h.consent(root, other, cimdClient, "https://app.example/cb")
	part := h.do("POST", "/api/v1/users/"+other+"/revoke-agents", h.key, map[string]any{"agent_ids": []string{ag["id"].(string)}})
	if part.obj()["revoked_consent_count"] != 0.0 {
		t.Fatalf("partial: %s", part.raw)
	}
	if left := h.do("GET", "/api/v1/users/"+other+"/consents", h.key, nil); len(left.list("data")) != 2 {
		t.Fatalf("partial revoke-agents revoked consents: %s", left.raw)
	}
}

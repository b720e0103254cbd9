package token

import (
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestTokenJTIFindsItsIssueEvent: a token's jti keeps the time-ordered form
// a resource server reads the issue millisecond from (sdk/go issuedMillis),
// and the trail filtered by that jti as target holds the token's
// oauth.token_issued event for the whole retention, long after the token
// expired (the event has no copy under its target: the jti locates it).
func TestTokenJTIFindsItsIssueEvent(t *testing.T) {
	hs := newHarness(t, nil)
	p := newProver(t)
	hs.client("acme", store.Client{ClientID: "twin", Scopes: []string{"mcp:read"}, Active: true, DPoPBound: true})
	w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "twin", "client_secret", secret, "audience", "https://mcp.example.com"),
		dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}})
	if w.Code != 200 {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	claims := claimsOf(t, decode(t, w)["access_token"].(string))
	jti, _ := claims["jti"].(string)
	iat := int64(claims["iat"].(float64))
	ms, _, ok := ids.ParseTimeID(jti)
	if !ok || ms < iat*1000 || ms >= iat*1000+1000 {
		t.Fatalf("jti %q: not a time id of the iat second %d (%d ms)", jti, iat, ms)
	}
	find := func() []store.AuditEvent {
		t.Helper()
		page, err := hs.st.ListAuditEvents(t.Context(), tenant.MustID("acme"), store.AuditFilter{TargetID: jti}, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	evs := find()
	if len(evs) != 1 || evs[0].Event != audit.TokenIssued || evs[0].TargetID != jti || evs[0].Metadata["jti"] != jti || evs[0].ActorID != "twin" {
		t.Fatalf("events of target %s: %+v", jti, evs)
	}
	if got := evs[0].CreatedAt.UnixMilli(); got != ms {
		t.Fatalf("event time %d ms, jti says %d", got, ms)
	}
	hs.now = hs.now.Add(30 * 24 * time.Hour)
	if evs := find(); len(evs) != 1 {
		t.Fatalf("a month later: %d events", len(evs))
	}
}

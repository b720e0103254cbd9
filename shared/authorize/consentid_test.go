package authorize

import (
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/storetest"
)

// A consent keeps its id (the admin API's handle on it) when the user
// consents again at the same place, to more scopes.
func TestConsentKeepsItsID(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		location(t, h.consent(h.signIn(params()), "allow"), appRedirect)
		first, err := h.s.GetConsent(t.Context(), h.ten.ID, "usr_alice", "app", appRedirect)
		if err != nil || !strings.HasPrefix(first.ID, "cns_") {
			t.Fatalf("consent %+v, %v", first, err)
		}
		location(t, h.consent(h.get(params("scope", "mcp:read mcp:write")), "allow"), appRedirect)
		wider, err := h.s.GetConsent(t.Context(), h.ten.ID, "usr_alice", "app", appRedirect)
		if err != nil || wider.ID != first.ID || len(wider.Scopes) != 2 {
			t.Fatalf("consent after a wider grant %+v (first %s), %v", wider, first.ID, err)
		}
	})
}

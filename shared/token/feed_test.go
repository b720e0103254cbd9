package token

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// A token of a user's grant carries its family (fam), the same through
// refreshes, so that a verifier applies the feed's family entry from the
// JWT alone; a refresh reuse puts that family in the feed.
func TestUserGrantTokensCarryTheirFamily(t *testing.T) {
	hs := userGrants(t)
	first := decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	fam, _ := claimsOf(t, first["access_token"].(string))["fam"].(string)
	if fam == "" {
		t.Fatalf("no fam claim: %v", claimsOf(t, first["access_token"].(string)))
	}
	refresh := func(rt string) *httptest.ResponseRecorder {
		return hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", rt)})
	}
	hs.now = hs.now.Add(time.Minute)
	next := decode(t, refresh(first["refresh_token"].(string)))
	if got := claimsOf(t, next["access_token"].(string))["fam"]; got != fam {
		t.Fatalf("fam after a refresh %v, want %s", got, fam)
	}
	other := decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	if got := claimsOf(t, other["access_token"].(string))["fam"]; got == fam || got == "" {
		t.Fatalf("another grant's fam %v", got)
	}
	hs.now = hs.now.Add(store.RefreshGrace + time.Second)
	wantRefusal(t, refresh(first["refresh_token"].(string)), 400, "invalid_grant", "already used")
	page, err := hs.st.Feed(t.Context(), tenant.MustID("acme"), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var families []string
	for _, e := range page.Entries {
		if e.Kind == store.FeedFamily {
			families = append(families, e.Family)
		}
	}
	if len(families) != 1 || families[0] != fam {
		t.Fatalf("feed families %v, want [%s]", families, fam)
	}
}

package authorize

import (
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// A resource server is never a client of the authorization endpoint, even
// one whose record were to hold redirect URIs (issue 24).
func TestResourceServerIsNoAuthorizeClient(t *testing.T) {
	engines(t, func(t *testing.T, newTable func(*testing.T, *storetest.Clock) store.Table) {
		h := newHarness(t, newTable, issuer)
		now := h.s.Now()
		rs := h.client
		rs.ID, rs.ClientID, rs.Kind, rs.GrantTypes = ids.New("rs_"), "shark_rs_x", store.KindResourceServer, nil
		ev := store.AuditEvent{ID: store.NewAuditID(now, store.DefaultAuditShards), Event: "resource_server.created", ActorType: "test", ActorID: "test",
			Status: "success", Metadata: map[string]any{}, CreatedAt: now}
		if err := h.s.CreateResourceServer(t.Context(), tenant.MustID("acme"), rs, ev); err != nil {
			t.Fatal(err)
		}
		wantPage(t, h.get(params("client_id", rs.ClientID)), http.StatusBadRequest, "not known")
	})
}

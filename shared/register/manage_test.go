package register

import (
	"net/http"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestUpdateRequiresClientID: RFC 7592 §2.2 makes client_id a required
// member of an update, equal to the client's.
func TestUpdateRequiresClientID(t *testing.T) {
	hs := newHarness(t, false)
	doc := hs.registered(guideBasic)
	id, rat := str(doc, "client_id"), str(doc, "registration_access_token")
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"missing", `{"client_name":"x","grant_types":["client_credentials"]}`, 400, "invalid_request"},
		{"null", `{"client_id":null,"client_name":"x"}`, 400, "invalid_request"},
		{"empty", `{"client_id":"","client_name":"x"}`, 400, "invalid_request"},
		{"another client's", `{"client_id":"shark_dcr_other","client_name":"x"}`, 400, "invalid_client_metadata"},
		{"not a string", `{"client_id":7,"client_name":"x"}`, 400, "invalid_client_metadata"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, hs.manage("PUT", id, rat, "", c.body), c.status, c.code)
		})
	}
	// Nothing was written by the refusals.
	cur, err := hs.st.GetClient(t.Context(), tenant.MustID("acme"), id)
	if err != nil || cur.Name != "my-agent" {
		t.Fatalf("stored: %+v %v", cur, err)
	}
	if w := hs.manage("PUT", id, rat, "", `{"client_id":"`+id+`","client_name":"x","grant_types":["client_credentials"]}`); w.Code != http.StatusOK {
		t.Fatalf("with client_id: %d %s", w.Code, w.Body)
	}
}

// TestManagementAfterAdminDeactivation: once an admin deactivates a
// registered client (admin API DELETE or PATCH active:false, or a user
// cascade), every RFC 7592 route answers 401 and the RAT is revoked.
func TestManagementAfterAdminDeactivation(t *testing.T) {
	acme := tenant.MustID("acme")
	deactivations := []struct {
		name string
		do   func(hs *harness, c store.Client)
		// ratRevoked: the store dropped the RAT (the admin PATCH path is
		// the admin API's, asserted end to end in tests/e2e).
		ratRevoked bool
	}{
		{"admin delete (DeactivateClients)", func(hs *harness, c store.Client) {
			ev := store.AuditEvent{ID: ids.New("aud_"), Event: "agent.deactivated", CreatedAt: hs.now}
			if err := hs.st.DeactivateClients(hs.t.Context(), acme, []store.Client{c}, ev); err != nil {
				hs.t.Fatal(err)
			}
		}, true},
		{"inactive record with its RAT kept (stored before the fix)", func(hs *harness, c store.Client) {
			_, err := hs.st.ChangeClient(hs.t.Context(), acme, c.ClientID, func(x *store.Client) error {
				x.Active = false
				return nil
			}, func(x store.Client) store.AuditEvent {
				return store.AuditEvent{ID: ids.New("aud_"), Event: "agent.updated", CreatedAt: hs.now}
			})
			if err != nil {
				hs.t.Fatal(err)
			}
		}, false},
	}
	for _, d := range deactivations {
		t.Run(d.name, func(t *testing.T) {
			hs := newHarness(t, false)
			doc := hs.registered(guideBasic)
			id, rat := str(doc, "client_id"), str(doc, "registration_access_token")
			c, err := hs.st.GetClient(t.Context(), acme, id)
			if err != nil {
				t.Fatal(err)
			}
			d.do(hs, c)
			for _, r := range []struct{ method, suffix, body string }{
				{"GET", "", ""},
				{"PUT", "", `{"client_id":"` + id + `","client_name":"revived","grant_types":["client_credentials"]}`},
				{"POST", "/secret", ""},
				{"DELETE", "/registration-token", ""},
				{"DELETE", "", ""},
			} {
				w := hs.manage(r.method, id, rat, r.suffix, r.body)
				wantError(t, w, 401, "invalid_token")
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Fatalf("%s %s: no WWW-Authenticate", r.method, r.suffix)
				}
			}
			after, err := hs.st.GetClient(t.Context(), acme, id)
			if err != nil || after.Active || after.Name != "my-agent" || string(after.SecretHash) != string(c.SecretHash) {
				t.Fatalf("a refused call changed the client: %+v %v", after, err)
			}
			if d.ratRevoked && len(after.RATHash) != 0 {
				t.Fatal("deactivation kept the registration access token")
			}
		})
	}
}

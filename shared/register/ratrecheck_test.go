package register

import (
	"context"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// racingStore rotates the client's registration access token just before
// each ChangeClient runs: a concurrent rotation between a management
// request's authentication and its write.
type racingStore struct {
	Store
	st *store.Store
}

func (r racingStore) ChangeClient(ctx context.Context, t tenant.ID, clientID string, mutate func(*store.Client) error, ev func(store.Client) store.AuditEvent) (store.Client, error) {
	_, err := r.st.ChangeClient(ctx, t, clientID, func(c *store.Client) error { c.RATHash = ids.Hash(ids.NewSecret()); return nil },
		func(c store.Client) store.AuditEvent {
			return store.AuditEvent{ID: ids.New("aud_"), Event: "oauth.client_updated", CreatedAt: c.UpdatedAt, Metadata: map[string]any{}}
		})
	if err != nil {
		return store.Client{}, err
	}
	return r.Store.ChangeClient(ctx, t, clientID, mutate, ev)
}

// TestManagementRechecksTheTokenInsideTheWrite: an RFC 7592 change checks
// the presented registration access token itself against the record it
// writes, so a token rotated away meanwhile changes nothing.
func TestManagementRechecksTheTokenInsideTheWrite(t *testing.T) {
	hs := newHarness(t, false)
	doc := hs.registered(guideBasic)
	id, rat := str(doc, "client_id"), str(doc, "registration_access_token")
	hs.reg.Store = racingStore{Store: hs.st, st: hs.st}
	for _, c := range []struct{ method, suffix, body string }{
		{"PUT", "", `{"client_id":"` + id + `","client_name":"renamed","grant_types":["client_credentials"]}`},
		{"POST", "/secret", ""},
		{"DELETE", "/registration-token", ""},
		{"DELETE", "", ""},
	} {
		t.Run(c.method+" "+c.suffix, func(t *testing.T) {
			wantError(t, hs.manage(c.method, id, rat, c.suffix, c.body), 401, "invalid_token")
		})
	}
	cur, err := hs.st.GetClient(t.Context(), tenant.MustID("acme"), id)
	if err != nil || cur.Name != "my-agent" || !cur.Active {
		t.Fatalf("a rotated-away token changed the client: %+v %v", cur, err)
	}
}

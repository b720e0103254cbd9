package storetest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// regressions are cases each tier gained when a planted defect (a mutation
// of the store) passed the whole suite. They run after the tier's own cases,
// on the tier's store.
var regressions = map[string]func(*testing.T, *env){
	"TenantIsolation":   isolationRegressions,
	"ConditionalWrites": conditionalRegressions,
	"Pagination":        paginationRegressions,
}

// Two tenants may hold the same client id and client_id: pointer items are
// tenant-scoped, so a create in B says nothing about A (no existence oracle).
func isolationRegressions(t *testing.T, e *env) {
	ctx := t.Context()
	a, b := e.create(t, "iso-a1"), e.create(t, "iso-b1")
	now := e.s.Now()
	mk := func(name string) store.Client {
		return store.Client{ID: "agent_shared0000000000000", ClientID: "shark_agent_shared", Kind: "agent", Name: name,
			SecretHash: ids.Hash(name), GrantTypes: []string{"client_credentials"}, Scopes: []string{}, Active: true, CreatedAt: now, UpdatedAt: now}
	}
	if err := e.s.CreateClient(ctx, a.id, mk("of A"), event(now, "agent.created", "a")); err != nil {
		t.Fatal(err)
	}
	if err := e.s.CreateClient(ctx, b.id, mk("of B"), event(now, "agent.created", "b")); err != nil {
		t.Fatalf("B cannot create the id and client_id A uses: %v", err)
	}
	for fx, want := range map[*fixture]string{&a: "of A", &b: "of B"} {
		c, err := e.s.GetClient(ctx, fx.id, "shark_agent_shared")
		if err != nil || c.Name != want {
			t.Fatalf("%s reads %q (%v), want %q", fx.id, c.Name, err, want)
		}
		c, err = e.s.GetClientByID(ctx, fx.id, "agent_shared0000000000000")
		if err != nil || c.Name != want {
			t.Fatalf("%s by id reads %q (%v), want %q", fx.id, c.Name, err, want)
		}
	}
}

func conditionalRegressions(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "cond-r1")

	t.Run("delete loses to a concurrent update", func(t *testing.T) {
		c := e.client(t, fx.id, "contested")
		other := store.New(e.f.Table, e.clock.Now) // writes past the fault wrapper
		e.f.Interleave(2, func() {                 // after DeleteClient's read, before its write
			cur, err := other.GetClient(ctx, fx.id, c.ClientID)
			if err != nil {
				t.Error(err)
				return
			}
			cur.Name = "renamed meanwhile"
			if _, err := other.UpdateClient(ctx, fx.id, cur, event(e.s.Now(), "agent.updated", c.ClientID)); err != nil {
				t.Error(err)
			}
		})
		err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deleted", c.ClientID))
		wantErr(t, "delete of a client changed since it was read", err, store.ErrConflict)
		if got, err := e.s.GetClient(ctx, fx.id, c.ClientID); err != nil || got.Name != "renamed meanwhile" {
			t.Fatalf("after the lost delete: %+v %v", got, err)
		}
	})

	t.Run("delete removes the id pointer", func(t *testing.T) {
		c := e.client(t, fx.id, "short-lived")
		if err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deleted", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		_, err := e.s.GetClientByID(ctx, fx.id, c.ID)
		wantErr(t, "id of a deleted client", err, store.ErrNotFound)
		again := c
		again.ClientID, again.Version = ids.New("shark_agent_"), 0
		if err := e.s.CreateClient(ctx, fx.id, again, event(e.s.Now(), "agent.created", again.ClientID)); err != nil {
			t.Fatalf("the id of a deleted client is still taken: %v", err)
		}
	})

	t.Run("a new signing key never overwrites a kid", func(t *testing.T) {
		dup := fx.n.SigningKey
		dup.Version = 0
		dup.PublicDER = []byte("another key with the same kid")
		err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{dup}, event(e.s.Now(), "signing_key.rotated", dup.KID))
		wantErr(t, "save of an existing kid as new", err, store.ErrConflict)
		got, err := e.s.GetSigningKey(ctx, fx.id, dup.KID)
		if err != nil || string(got.PublicDER) != string(fx.n.SigningKey.PublicDER) {
			t.Fatalf("existing key changed: %s %v", got.PublicDER, err)
		}
	})
}

func paginationRegressions(t *testing.T, e *env) {
	ctx := t.Context()
	for _, id := range []string{"page-r1", "page-r2", "page-r3"} {
		e.create(t, id)
	}
	first, err := e.s.ListTenants(ctx, store.PageRequest{Limit: 1})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v %+v", err, first)
	}

	t.Run("a forged plain cursor is refused", func(t *testing.T) {
		for _, pos := range []store.Position{{PK: "T#page-r2#TENANT", SK: "TENANT", GSI1SK: "page-r2"}, {PK: "x"}} {
			plain, _ := json.Marshal(pos)
			for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding} {
				_, err := e.s.ListTenants(ctx, store.PageRequest{Limit: 1, Cursor: enc.EncodeToString(plain)})
				wantErr(t, "forged cursor", err, store.ErrBadCursor)
			}
		}
	})

	t.Run("each table seals cursors with its own secret", func(t *testing.T) {
		other := e.fresh()
		for _, id := range []string{"page-r1", "page-r2", "page-r3"} {
			fx := e.newTenant(id)
			if err := other.CreateTenant(ctx, fx.n); err != nil {
				t.Fatal(err)
			}
		}
		theirs, err := other.ListTenants(ctx, store.PageRequest{Limit: 1})
		if err != nil || theirs.Next == "" {
			t.Fatalf("other table: %v", err)
		}
		if theirs.Next == first.Next {
			t.Fatal("two tables sealed the same position to the same cursor")
		}
		_, err = other.ListTenants(ctx, store.PageRequest{Limit: 1, Cursor: first.Next})
		if !errors.Is(err, store.ErrBadCursor) {
			t.Fatalf("a cursor of another table opened: %v", err)
		}
	})

}

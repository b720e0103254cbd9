package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// domainClientReads: a store keeps the clients it decoded (issue 23: the
// token endpoint reads its client on every token), and that never serves a
// stale one. A change made through another store over the same table (another
// Lambda instance) or through this one (scopes, deactivation, a new secret,
// a delete, a re-creation under the same client_id at version 1 again) is
// read at once, by client_id and by id; and a caller that mutates every
// slice and map of the client it read changes nothing the next read returns.
func domainClientReads(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "client-reads")
	other := store.New(e.f, e.clock.Now) // another instance over the same table
	now := e.s.Now()
	limitScopes, limitGrants := []string{"mcp:read"}, []string{"client_credentials"}
	c := store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_agent_"), Kind: store.KindAgent, Name: "reader",
		SecretHash: ids.Hash("secret-1"), AuthMethod: "client_secret_basic", GrantTypes: []string{"client_credentials"},
		Scopes: []string{"mcp:read", "mcp:write"}, Audiences: []string{"https://api.test"}, RedirectURIs: []string{"https://app.test/cb"},
		Metadata: map[string]any{"team": "infra", "tags": []any{"a", "b"}, "nested": map[string]any{"k": []any{1.0, "x"}}},
		Extra:    map[string]string{"x": "y"}, JWKS: json.RawMessage(`{"keys":[]}`), RATHash: ids.Hash("rat"),
		Registration: json.RawMessage(`{"client_name":"reader"}`), AdminLimits: &store.ClientLimits{Scopes: &limitScopes, GrantTypes: &limitGrants},
		Active: true, CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateClient(ctx, fx.id, c, event(now, "agent.created", c.ClientID)); err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T, s *store.Store) store.Client {
		t.Helper()
		got, err := s.GetClient(ctx, fx.id, c.ClientID)
		if err != nil {
			t.Fatalf("GetClient: %v", err)
		}
		byID, err := s.GetClientByID(ctx, fx.id, c.ID)
		if err != nil {
			t.Fatalf("GetClientByID: %v", err)
		}
		if !reflect.DeepEqual(got, byID) {
			t.Fatalf("GetClient %+v, GetClientByID %+v", got, byID)
		}
		return got
	}
	first := read(t, e.s)
	first = read(t, e.s) // decoded before: kept

	t.Run("mutating a read client changes no later read", func(t *testing.T) {
		want := read(t, store.New(e.f, e.clock.Now)) // shares nothing with e.s
		for range 2 {                                // the first mutates a fresh decode's copy, the second a kept one's
			m := read(t, e.s)
			m.SecretHash[0] ^= 0xff
			m.GrantTypes[0] = "mutated"
			m.GrantTypes = append(m.GrantTypes, "more")
			m.Scopes[0], m.Audiences[0], m.RedirectURIs[0] = "mutated", "mutated", "mutated"
			m.Metadata["team"] = "mutated"
			m.Metadata["tags"].([]any)[0] = "mutated"
			m.Metadata["nested"].(map[string]any)["k"].([]any)[1] = "mutated"
			m.Metadata["nested"].(map[string]any)["new"] = 1
			m.Metadata["added"] = true
			m.Extra["x"] = "mutated"
			m.Extra["added"] = "z"
			m.JWKS[2] = 'K'
			m.RATHash[0] ^= 0xff
			m.Registration[2] = 'C'
			(*m.AdminLimits.Scopes)[0] = "mutated"
			(*m.AdminLimits.GrantTypes)[0] = "mutated"
			m.AdminLimits.DPoPBound = true
			if got := read(t, e.s); !reflect.DeepEqual(got, want) {
				t.Fatalf("after mutating a returned client:\n%+v\nwant\n%+v", got, want)
			}
		}
	})

	// change updates the client through s and reads it back through e.s.
	change := func(t *testing.T, s *store.Store, mutate func(*store.Client)) store.Client {
		t.Helper()
		cur, err := s.GetClient(ctx, fx.id, c.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		mutate(&cur)
		e.clock.Advance(time.Millisecond)
		updated, err := s.UpdateClient(ctx, fx.id, cur, event(e.s.Now(), "agent.updated", c.ClientID))
		if err != nil {
			t.Fatalf("UpdateClient: %v", err)
		}
		got := read(t, e.s)
		if got.Version != updated.Version {
			t.Fatalf("read version %d after the update to %d", got.Version, updated.Version)
		}
		return got
	}
	t.Run("scopes changed by another instance", func(t *testing.T) {
		got := change(t, other, func(c *store.Client) { c.Scopes = []string{"mcp:admin"} })
		if !slices.Equal(got.Scopes, []string{"mcp:admin"}) {
			t.Fatalf("scopes %v after the change", got.Scopes)
		}
	})
	t.Run("deactivated", func(t *testing.T) {
		if got := change(t, other, func(c *store.Client) { c.Active = false }); got.Active {
			t.Fatal("still active after the deactivation")
		}
		if got := change(t, e.s, func(c *store.Client) { c.Active = true }); !got.Active {
			t.Fatal("still inactive after the reactivation")
		}
	})
	t.Run("secret rotated", func(t *testing.T) {
		got := change(t, other, func(c *store.Client) { c.SecretHash = ids.Hash("secret-2") })
		if !ids.Matches("secret-2", got.SecretHash) || ids.Matches("secret-1", got.SecretHash) {
			t.Fatal("the old secret still matches after the rotation")
		}
	})
	t.Run("deleted and created again", func(t *testing.T) {
		if err := other.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deleted", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GetClient(ctx, fx.id, c.ClientID); !isNotFound(err) {
			t.Fatalf("GetClient of a deleted client: %v", err)
		}
		if _, err := e.s.GetClientByID(ctx, fx.id, c.ID); !isNotFound(err) {
			t.Fatalf("GetClientByID of a deleted client: %v", err)
		}
		// The same client_id again, at version 1 again: only its bytes differ
		// from the first one's.
		again := c
		again.Name, again.Scopes, again.Metadata = "reader again", []string{"files:read"}, nil
		if err := other.CreateClient(ctx, fx.id, again, event(e.s.Now(), "agent.created", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		got := read(t, e.s)
		if got.Version != first.Version || got.Name != "reader again" || !slices.Equal(got.Scopes, []string{"files:read"}) || got.Metadata != nil {
			t.Fatalf("re-created client read as %+v (first was version %d)", got, first.Version)
		}
	})
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

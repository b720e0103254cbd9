package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func domainAgents(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	u := e.user(t, fx.id, "owner@example.com")
	a1 := e.agentOf(t, fx.id, "Alpha reader", u.ID)
	a2 := e.client(t, fx.id, "beta")
	a2, err := e.s.ChangeClient(ctx, fx.id, a2.ClientID, func(c *store.Client) error {
		c.Metadata = map[string]any{"app_id": "app_1"}
		c.Active = false
		return nil
	}, func(c store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", c.ClientID) })
	if err != nil || a2.Version != 2 {
		t.Fatalf("change: %+v %v", a2, err)
	}
	app := e.client(t, fx.id, "an app")
	app, _ = e.s.ChangeClient(ctx, fx.id, app.ClientID, func(c *store.Client) error { c.Kind = "app"; return nil },
		func(c store.Client) store.AuditEvent { return event(e.s.Now(), "app.updated", c.ClientID) })
	a3 := e.agentOf(t, fx.id, "gamma", u.ID)
	yes, no := true, false

	cases := []struct {
		name  string
		f     store.AgentFilter
		want  []string
		total int
	}{
		{"all agents newest first, no apps", store.AgentFilter{}, []string{a3.ID, a2.ID, a1.ID}, 3},
		{"search name case-insensitively", store.AgentFilter{Search: "ALPHA"}, []string{a1.ID}, 1},
		{"search client_id", store.AgentFilter{Search: a2.ClientID}, []string{a2.ID}, 1},
		{"active", store.AgentFilter{Active: &yes}, []string{a3.ID, a1.ID}, 2},
		{"inactive", store.AgentFilter{Active: &no}, []string{a2.ID}, 1},
		{"created by", store.AgentFilter{CreatedBy: u.ID}, []string{a3.ID, a1.ID}, 2},
		{"created by unknown user", store.AgentFilter{CreatedBy: "usr_nope"}, nil, 0},
		{"app id", store.AgentFilter{AppID: "app_1"}, []string{a2.ID}, 1},
		{"search matches the app id", store.AgentFilter{Search: "APP_1"}, []string{a2.ID}, 1},
		{"limit", store.AgentFilter{Limit: 2}, []string{a3.ID, a2.ID}, 3},
		{"offset", store.AgentFilter{Limit: 2, Offset: 2}, []string{a1.ID}, 3},
		{"offset past the end", store.AgentFilter{Offset: 10}, nil, 3},
		{"apps only", store.AgentFilter{Kinds: []store.ClientKind{store.KindApp}}, []string{app.ID}, 1},
		{"no match", store.AgentFilter{Search: "zzz"}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, total, err := e.s.ListAgents(ctx, fx.id, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				names = append(names, g.ID)
			}
			if !slices.Equal(names, c.want) || total != c.total {
				t.Fatalf("got %v (%d), want %v (%d)", names, total, c.want, c.total)
			}
		})
	}
	t.Run("an agent needs an existing creator", func(t *testing.T) {
		now := e.s.Now()
		c := store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_agent_"), Kind: "agent", Active: true, CreatedBy: "usr_nope", CreatedAt: now}
		wantErr(t, "unknown creator", e.s.CreateClient(ctx, fx.id, c, event(now, "agent.created", c.ClientID)), store.ErrUnknownUser)
		if _, err := e.s.GetClient(ctx, fx.id, c.ClientID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("agent of an unknown user created")
		}
	})
	t.Run("user agents and delete", func(t *testing.T) {
		got, err := e.s.UserAgents(ctx, fx.id, u.ID)
		if err != nil || len(got) != 2 || got[0].ID != a3.ID {
			t.Fatalf("user agents: %v %v", got, err)
		}
		if err := e.s.DeleteClient(ctx, fx.id, a3.ClientID, event(e.s.Now(), "agent.deleted", a3.ClientID)); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.UserAgents(ctx, fx.id, u.ID); len(got) != 1 || got[0].ID != a1.ID {
			t.Fatalf("after delete: %v", got)
		}
	})
	t.Run("change errors", func(t *testing.T) {
		evf := func(c store.Client) store.AuditEvent { return event(e.s.Now(), "agent.updated", c.ClientID) }
		_, err := e.s.ChangeClient(ctx, fx.id, "shark_agent_nope", func(*store.Client) error { return nil }, evf)
		wantErr(t, "unknown", err, store.ErrNotFound)
		boom := errors.New("boom")
		_, err = e.s.ChangeClient(ctx, fx.id, a1.ClientID, func(*store.Client) error { return boom }, evf)
		wantErr(t, "mutate error", err, boom)
		_, err = e.s.ChangeClient(ctx, fx.id, a1.ClientID, func(c *store.Client) error { c.CreatedBy = "usr_x"; return nil }, evf)
		if err == nil {
			t.Fatal("changed the creator")
		}
		interleaved := false
		got, err := e.s.ChangeClient(ctx, fx.id, a1.ClientID, func(c *store.Client) error {
			if !interleaved {
				interleaved = true
				if _, err := e.s.ChangeClient(ctx, fx.id, a1.ClientID, func(o *store.Client) error { o.Description = "d"; return nil }, evf); err != nil {
					return err
				}
			}
			c.Name = "renamed"
			return nil
		}, evf)
		if err != nil || got.Name != "renamed" || got.Description != "d" {
			t.Fatalf("retry lost a change: %+v %v", got, err)
		}
	})
	t.Run("deactivate clients", func(t *testing.T) {
		c, _ := e.s.GetClient(ctx, fx.id, a1.ClientID)
		ev := event(e.s.Now(), "agent.deactivated", c.ClientID)
		if err := e.s.DeactivateClients(ctx, fx.id, []store.Client{c}, ev); err != nil {
			t.Fatal(err)
		}
		got, _ := e.s.GetClient(ctx, fx.id, a1.ClientID)
		if got.Active || !got.RevokedBefore.Equal(ev.CreatedAt) {
			t.Fatalf("not deactivated: %+v", got)
		}
		// A stale copy is re-read, not an error.
		if err := e.s.DeactivateClients(ctx, fx.id, []store.Client{c}, event(e.s.Now(), "agent.deactivated", c.ClientID)); err != nil {
			t.Fatalf("stale copy: %v", err)
		}
		if err := e.s.DeactivateClients(ctx, fx.id, []store.Client{c}, store.AuditEvent{}); err == nil {
			t.Fatal("deactivated without an event")
		}
	})
	t.Run("pattern revocation on the tenant", func(t *testing.T) {
		matched, err := e.s.ClientsMatching(ctx, fx.id, "shark_agent_*")
		if err != nil || len(matched) != 3 {
			t.Fatalf("matching: %d %v", len(matched), err)
		}
		p, err := e.s.RevokePattern(ctx, fx.id, "shark_agent_*", event(e.s.Now(), "oauth.tokens_bulk_revoked", "shark_agent_*"))
		if err != nil || p.Pattern != "shark_agent_*" {
			t.Fatalf("revoke pattern: %+v %v", p, err)
		}
		tn, _ := e.s.GetTenant(ctx, fx.id)
		if len(tn.RevokedPatterns) != 1 || tn.RevokedPatterns[0].ID != p.ID {
			t.Fatalf("tenant patterns: %+v", tn.RevokedPatterns)
		}
		if _, err := e.s.RevokePattern(ctx, fx.id, "[", event(e.s.Now(), "oauth.tokens_bulk_revoked", "[")); err == nil {
			t.Fatal("malformed pattern stored")
		}
		e.clock.Advance(72 * time.Hour)
		if _, err := e.s.RevokePattern(ctx, fx.id, "x*", event(e.s.Now(), "oauth.tokens_bulk_revoked", "x*")); err != nil {
			t.Fatal(err)
		}
		if tn, _ := e.s.GetTenant(ctx, fx.id); len(tn.RevokedPatterns) != 1 || tn.RevokedPatterns[0].Pattern != "x*" {
			t.Fatalf("old pattern not pruned: %+v", tn.RevokedPatterns)
		}
	})
}

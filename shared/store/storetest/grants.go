package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func domainGrants(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	now := e.s.Now()
	g := func(from, to string) store.MayActGrant {
		return store.MayActGrant{ID: ids.New("mag_"), FromID: from, ToID: to, MaxHops: 1, Scopes: []string{"mcp:read"}, CreatedAt: now}
	}
	g1, g2, g3 := g("agent_a", "agent_b"), g("agent_a", "agent_c"), g("agent_x", "agent_b")
	for _, x := range []store.MayActGrant{g1, g2, g3} {
		if err := e.s.CreateGrant(ctx, fx.id, x, event(now, "may_act.granted", x.ID)); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "same id", e.s.CreateGrant(ctx, fx.id, g1, event(now, "may_act.granted", g1.ID)), store.ErrConflict)
	if err := e.s.CreateGrant(ctx, fx.id, store.MayActGrant{ID: "mag_x"}, event(now, "may_act.granted", "x")); err == nil {
		t.Fatal("grant without ends stored")
	}
	if _, err := e.s.RevokeGrant(ctx, fx.id, g2.ID, event(now, "may_act.revoked", g2.ID)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		from, to string
		revoked  bool
		want     []string
	}{
		{"all live", "", "", false, []string{g1.ID, g3.ID}},
		{"all", "", "", true, []string{g1.ID, g2.ID, g3.ID}},
		{"from", "agent_a", "", false, []string{g1.ID}},
		{"from with revoked", "agent_a", "", true, []string{g1.ID, g2.ID}},
		{"to", "", "agent_b", false, []string{g1.ID, g3.ID}},
		{"from and to", "agent_a", "agent_b", false, []string{g1.ID}},
		{"none", "agent_b", "", true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := e.s.FindGrants(ctx, fx.id, c.from, c.to, c.revoked)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, x := range got {
				names = append(names, x.ID)
			}
			slices.Sort(names)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Fatalf("got %v, want %v", names, want)
			}
		})
	}
	got, err := e.s.GetGrant(ctx, fx.id, g2.ID)
	if err != nil || got.RevokedAt.IsZero() || got.ActiveAt(now) {
		t.Fatalf("revoked grant: %+v %v", got, err)
	}
	again, err := e.s.RevokeGrant(ctx, fx.id, g2.ID, event(now, "may_act.revoked", g2.ID))
	if err != nil || !again.RevokedAt.Equal(got.RevokedAt) {
		t.Fatalf("second revoke: %+v %v", again, err)
	}
	_, err = e.s.RevokeGrant(ctx, fx.id, "mag_nope", event(now, "may_act.revoked", "x"))
	wantErr(t, "unknown grant", err, store.ErrNotFound)
	exp := g("agent_e", "agent_f")
	exp.ExpiresAt = now.Add(time.Minute)
	if !exp.ActiveAt(now) || exp.ActiveAt(now.Add(time.Minute)) {
		t.Fatal("expiry not honoured")
	}
}

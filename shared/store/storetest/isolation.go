package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// domainIsolation checks every tenant-scoped method: what tenant A wrote is
// invisible to and untouchable by tenant B, and no method runs without a tenant.
func domainIsolation(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "tenant-a")
	b := e.create(t, "tenant-b")
	ca := e.client(t, a.id, "a-agent")
	e.client(t, b.id, "b-agent")
	ua := e.user(t, a.id, "a@example.com")
	agentA := e.agentOf(t, a.id, "a-owned", ua.ID)
	tokA := e.token(t, a.id, ca, time.Hour, "")
	rsA := e.resourceServer(t, a.id, "a-rs", "https://a.example.com")
	grantA := store.MayActGrant{ID: ids.New("mag_"), FromID: ca.ID, ToID: agentA.ID, CreatedAt: e.s.Now()}
	if err := e.s.CreateGrant(ctx, a.id, grantA, event(e.s.Now(), "may_act.granted", grantA.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.RevokeUserAgents(ctx, a.id, ua.ID, "", event(e.s.Now(), "user.agents_revoked", ua.ID)); err != nil {
		t.Fatal(err)
	}
	var none tenant.ID
	now := e.s.Now()
	ev := event(now, "x.y", "t")

	checks := []struct {
		name string
		run  func(id tenant.ID) error
	}{
		{"GetTenant", func(id tenant.ID) error {
			tn, err := e.s.GetTenant(ctx, id)
			if err == nil && tn.ID == a.id.String() {
				return errors.New("tenant A's record read as tenant B")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"GetSigningKey", func(id tenant.ID) error { _, err := e.s.GetSigningKey(ctx, id, "kid-tenant-a"); return err }},
		{"SigningKeys", func(id tenant.ID) error {
			keys, err := e.s.SigningKeys(ctx, id)
			return notListed(err, len(keys), func(i int) bool { return keys[i].KID == "kid-tenant-a" })
		}},
		{"SaveSigningKeys", func(id tenant.ID) error {
			k, _ := e.s.GetSigningKey(ctx, a.id, "kid-tenant-a")
			k.State = store.KeyRetired
			return e.s.SaveSigningKeys(ctx, id, []store.SigningKey{k}, ev)
		}},
		{"GetAPIKey", func(id tenant.ID) error { _, err := e.s.GetAPIKey(ctx, id, a.n.AdminKey.ID); return err }},
		{"APIKeyByHash", func(id tenant.ID) error { _, err := e.s.APIKeyByHash(ctx, id, ids.Hash(a.secret)); return err }},
		{"ListAPIKeys", func(id tenant.ID) error {
			keys, err := e.s.ListAPIKeys(ctx, id)
			return notListed(err, len(keys), func(i int) bool { return keys[i].ID == a.n.AdminKey.ID })
		}},
		{"GetClient", func(id tenant.ID) error { _, err := e.s.GetClient(ctx, id, ca.ClientID); return err }},
		{"GetClientByID", func(id tenant.ID) error { _, err := e.s.GetClientByID(ctx, id, ca.ID); return err }},
		{"ListClients", func(id tenant.ID) error {
			page, err := e.s.ListClients(ctx, id, store.PageRequest{})
			return notListed(err, len(page.Items), func(i int) bool { return page.Items[i].ClientID == ca.ClientID })
		}},
		{"UpdateClient", func(id tenant.ID) error {
			c := ca
			c.Name = "hijacked"
			_, err := e.s.UpdateClient(ctx, id, c, ev)
			return err
		}},
		{"DeleteClient", func(id tenant.ID) error { return e.s.DeleteClient(ctx, id, ca.ClientID, ev) }},
		{"ChangeClient", func(id tenant.ID) error {
			_, err := e.s.ChangeClient(ctx, id, ca.ClientID, func(c *store.Client) error { c.Name = "hijacked"; return nil }, func(store.Client) store.AuditEvent { return ev })
			return err
		}},
		{"UseMarks", func(id tenant.ID) error {
			// A mark A used is fresh in B: B's use is no replay.
			m := store.ReplayMark{Kind: "assertion", Value: "iso-used-in-a", Until: now.Add(time.Minute)}
			if err := e.s.UseMarks(ctx, a.id, []store.ReplayMark{m}); err != nil && !errors.Is(err, store.ErrReplay) {
				return err
			}
			if err := e.s.UseMarks(ctx, id, []store.ReplayMark{m}); err != nil {
				return err
			}
			return store.ErrNotFound
		}},
		{"GetResourceServer", func(id tenant.ID) error { _, err := e.s.GetResourceServer(ctx, id, rsA.ClientID); return err }},
		{"ListResourceServers", func(id tenant.ID) error {
			cs, err := e.s.ListResourceServers(ctx, id)
			return notListed(err, len(cs), func(i int) bool { return cs[i].ClientID == rsA.ClientID && cs[i].Name == rsA.Name })
		}},
		{"ChangeResourceServer", func(id tenant.ID) error {
			_, err := e.s.ChangeResourceServer(ctx, id, rsA.ID, func(c *store.Client) error { c.Name = "hijacked"; return nil }, func(store.Client) store.AuditEvent { return ev })
			return err
		}},
		{"DeleteResourceServer", func(id tenant.ID) error { return e.s.DeleteResourceServer(ctx, id, rsA.ClientID, ev) }},
		{"DeactivateClients", func(id tenant.ID) error {
			err := e.s.DeactivateClients(ctx, id, []store.Client{ca}, event(now, "agent.deactivated", "x"))
			if got, _ := e.s.GetClient(ctx, a.id, ca.ClientID); !got.Active {
				return errors.New("tenant B deactivated tenant A's client")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"AllClients", func(id tenant.ID) error {
			cs, err := e.s.AllClients(ctx, id)
			return notListed(err, len(cs), func(i int) bool { return cs[i].ClientID == ca.ClientID })
		}},
		{"ListAgents", func(id tenant.ID) error {
			cs, _, err := e.s.ListAgents(ctx, id, store.AgentFilter{})
			return notListed(err, len(cs), func(i int) bool { return cs[i].ClientID == ca.ClientID })
		}},
		{"ClientsMatching", func(id tenant.ID) error {
			cs, err := e.s.ClientsMatching(ctx, id, "*")
			return notListed(err, len(cs), func(i int) bool { return cs[i].ClientID == ca.ClientID })
		}},
		{"UserAgents", func(id tenant.ID) error {
			cs, err := e.s.UserAgents(ctx, id, ua.ID)
			return notListed(err, len(cs), func(i int) bool { return cs[i].ClientID == agentA.ClientID })
		}},
		{"GetUser", func(id tenant.ID) error { _, err := e.s.GetUser(ctx, id, ua.ID); return err }},
		{"UserByEmail", func(id tenant.ID) error { _, err := e.s.UserByEmail(ctx, id, ua.Email); return err }},
		{"ListUsers", func(id tenant.ID) error {
			page, err := e.s.ListUsers(ctx, id, store.PageRequest{})
			return notListed(err, len(page.Items), func(i int) bool { return page.Items[i].ID == ua.ID })
		}},
		{"CountUsers", func(id tenant.ID) error {
			n, err := e.s.CountUsers(ctx, id)
			return notListed(err, n, func(int) bool { return true })
		}},
		{"CreateUser", func(id tenant.ID) error {
			// The same email in tenant B is another user.
			u := store.User{ID: ids.New("usr_"), Email: ua.Email, CreatedAt: now}
			if err := e.s.CreateUser(ctx, id, u, event(now, "user.created", u.ID)); err != nil {
				return err
			}
			if got, _ := e.s.UserByEmail(ctx, a.id, ua.Email); got.ID != ua.ID {
				return errors.New("tenant B's user took tenant A's email")
			}
			return store.ErrNotFound
		}},
		{"UpdateUser", func(id tenant.ID) error {
			_, err := e.s.UpdateUser(ctx, id, ua.ID, func(u *store.User) error { u.Name = "hijacked"; return nil }, ev)
			return err
		}},
		{"DeleteUser", func(id tenant.ID) error { _, err := e.s.DeleteUser(ctx, id, ua.ID, "", ev); return err }},
		{"GetUserRevocation", func(id tenant.ID) error { _, err := e.s.GetUserRevocation(ctx, id, ua.ID); return err }},
		{"RevokeUserAgents", func(id tenant.ID) error {
			// Tenant B's marker for the same user id must not reach tenant A's agents.
			other := e.user(t, a.id, fmt.Sprintf("fresh-%s@example.com", id))
			fresh := e.agentOf(t, a.id, "fresh", other.ID)
			if _, err := e.s.RevokeUserAgents(ctx, id, other.ID, "", event(e.s.Now(), "user.agents_revoked", other.ID)); err != nil {
				return err
			}
			if err := e.s.CheckIssuable(ctx, a.id, fresh); err != nil {
				return errors.New("tenant B's cascade revoked tenant A's agent")
			}
			return store.ErrNotFound
		}},
		{"FinishUserRevocation", func(id tenant.ID) error {
			done, err := e.s.FinishUserRevocation(ctx, id, ua.ID)
			if got, _ := e.s.GetClient(ctx, a.id, agentA.ClientID); !got.Active {
				return errors.New("tenant B's batches deactivated tenant A's agent")
			}
			return notListed(err, len(done), func(int) bool { return true })
		}},
		{"CheckIssuable", func(id tenant.ID) error {
			// Tenant A's cascade marker is invisible from tenant B.
			if err := e.s.CheckIssuable(ctx, id, agentA); err != nil {
				return err
			}
			return store.ErrNotFound
		}},
		{"GetToken", func(id tenant.ID) error { _, err := e.s.GetToken(ctx, id, tokA.JTI); return err }},
		{"RevokeToken", func(id tenant.ID) error { return e.s.RevokeToken(ctx, id, tokA.JTI, ev) }},
		{"ListClientTokens", func(id tenant.ID) error {
			page, err := e.s.ListClientTokens(ctx, id, ca.ClientID, store.PageRequest{})
			return notListed(err, len(page.Items), func(int) bool { return true })
		}},
		{"ClientTokens", func(id tenant.ID) error {
			recs, err := e.s.ClientTokens(ctx, id, ca.ClientID)
			return notListed(err, len(recs), func(int) bool { return true })
		}},
		{"TokenActivity", func(id tenant.ID) error {
			act, err := e.s.TokenActivity(ctx, id, tokA.JTI)
			if err == nil && act.Reason != store.ReasonUnknown {
				return errors.New("tenant A's token known to tenant B")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"TokenActivities", func(id tenant.ID) error {
			// Tenant A's record decided in tenant B reads B's clients and
			// tenant: never active there.
			acts, err := e.s.TokenActivities(ctx, id, []store.TokenRecord{tokA})
			if err == nil && len(acts) == 1 && acts[0].Active {
				return errors.New("tenant A's token active in tenant B")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"IssueToken", func(id tenant.ID) error {
			// The same jti in tenant B is another token.
			rec := tokA
			rec.Subject = "b"
			if err := e.s.IssueToken(ctx, id, store.Issuance{Token: rec, Marks: []store.ReplayMark{{Kind: "dpop", Value: "iso-" + id.String(), Until: now.Add(time.Minute)}}, Event: event(now, "oauth.token_issued", "b")}); err != nil {
				return err
			}
			if got, _ := e.s.GetToken(ctx, a.id, tokA.JTI); got.Subject != tokA.Subject {
				return errors.New("tenant B's issue changed tenant A's token")
			}
			return store.ErrNotFound
		}},
		{"SpendMarks", func(id tenant.ID) error {
			// A mark B spends is not spent in A.
			m := store.ReplayMark{Kind: "dpop", Value: "iso-spent-" + id.String(), Until: now.Add(time.Minute)}
			if err := e.s.SpendMarks(ctx, id, []store.ReplayMark{m}); err != nil {
				return err
			}
			rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: ca.ClientID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := e.s.IssueToken(ctx, a.id, store.Issuance{Token: rec, Marks: []store.ReplayMark{m}, Event: event(now, "oauth.token_issued", "a")}); err != nil {
				return fmt.Errorf("tenant B's spent mark reached tenant A: %w", err)
			}
			return store.ErrNotFound
		}},
		{"GetGrant", func(id tenant.ID) error { _, err := e.s.GetGrant(ctx, id, grantA.ID); return err }},
		{"FindGrants", func(id tenant.ID) error {
			gs, err := e.s.FindGrants(ctx, id, "", "", true)
			return notListed(err, len(gs), func(i int) bool { return gs[i].ID == grantA.ID })
		}},
		{"FindGrants from", func(id tenant.ID) error {
			gs, err := e.s.FindGrants(ctx, id, ca.ID, "", true)
			return notListed(err, len(gs), func(int) bool { return true })
		}},
		{"RevokeGrant", func(id tenant.ID) error { _, err := e.s.RevokeGrant(ctx, id, grantA.ID, ev); return err }},
		{"CreateGrant", func(id tenant.ID) error {
			g := grantA
			g.MaxHops = 7
			if err := e.s.CreateGrant(ctx, id, g, event(now, "may_act.granted", "b")); err != nil {
				return err
			}
			if got, _ := e.s.GetGrant(ctx, a.id, grantA.ID); got.MaxHops != 0 {
				return errors.New("tenant B's grant changed tenant A's")
			}
			return store.ErrNotFound
		}},
		{"RevokeAPIKey", func(id tenant.ID) error { _, err := e.s.RevokeAPIKey(ctx, id, a.n.AdminKey.ID, ev); return err }},
		{"RotateAPIKey", func(id tenant.ID) error {
			k := store.APIKey{ID: ids.New("key_"), Hash: ids.Hash("rot-" + id.String()), Scopes: []string{"*"}, CreatedAt: now}
			_, err := e.s.RotateAPIKey(ctx, id, a.n.AdminKey.ID, k, ev)
			return err
		}},
		{"RevokePattern", func(id tenant.ID) error {
			_, err := e.s.RevokePattern(ctx, id, "*", event(now, "oauth.tokens_bulk_revoked", "b"))
			if act, _ := e.s.TokenActivity(ctx, a.id, tokA.JTI); !act.Active {
				return errors.New("tenant B's pattern revoked tenant A's token")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"RotateSigningKey", func(id tenant.ID) error {
			_, err := e.s.RotateSigningKey(ctx, id, store.SigningKey{KID: "kid-rot-" + id.String(), Mode: store.ModeLocal}, store.RotateEmergency, event(now, "signing_key.rotated", "b"))
			if k, _ := e.s.GetSigningKey(ctx, a.id, "kid-tenant-a"); k.State != store.KeyCurrent {
				return errors.New("tenant B's rotation retired tenant A's key")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"EnsureSigningKey", func(id tenant.ID) error {
			_, _, err := e.s.EnsureSigningKey(ctx, id, store.SigningKey{KID: "kid-rsa-" + id.String(), Alg: store.AlgRS256, Mode: store.ModeLocal}, event(now, "signing_key.created", "b"))
			if _, gerr := e.s.GetSigningKey(ctx, a.id, "kid-rsa-"+id.String()); gerr == nil {
				return errors.New("tenant B's first RS256 key landed in tenant A")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"PromoteSigningKey", func(id tenant.ID) error {
			ok, err := e.s.PromoteSigningKey(ctx, id, 0, time.Hour, event(now, "signing_key.rotated", "b"))
			if k, _ := e.s.GetSigningKey(ctx, a.id, "kid-tenant-a"); k.State != store.KeyCurrent {
				return errors.New("tenant B's promotion retired tenant A's key")
			}
			if ok {
				return nil
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"AuditEventsOn", func(id tenant.ID) error {
			evs, err := e.s.AuditEventsOn(ctx, id, now)
			return notListed(err, len(evs), func(i int) bool { return evs[i].TargetID == ca.ClientID || evs[i].TargetID == "tenant-a" })
		}},
		{"UpdateTenant", func(id tenant.ID) error {
			_, err := e.s.UpdateTenant(ctx, id, func(tn *store.Tenant) error { tn.Hosts = []string{"a.example"}; return nil }, ev)
			if owner, _ := e.s.TenantByHost(ctx, "a.example"); owner == a.id {
				return errors.New("host mapped to tenant A by tenant B's update")
			}
			if tn, _ := e.s.GetTenant(ctx, a.id); len(tn.Hosts) != 0 || tn.Version != 1 {
				return errors.New("tenant B's update changed tenant A")
			}
			return cmpErr(err, store.ErrNotFound)
		}},
		{"CreateAPIKey", func(id tenant.ID) error {
			// Tenant B may create a key; it must not authenticate on tenant A.
			k := store.APIKey{ID: ids.New("key_"), Hash: ids.Hash("b-secret-" + id.String()), Scopes: []string{"*"}, CreatedAt: now}
			if err := e.s.CreateAPIKey(ctx, id, k, ev); err != nil {
				return err
			}
			if _, err := e.s.APIKeyByHash(ctx, a.id, k.Hash); err == nil {
				return errors.New("tenant B's key found under tenant A")
			}
			return store.ErrNotFound
		}},
		{"CreateClient", func(id tenant.ID) error {
			// Same client_id in tenant B is another client.
			c := ca
			c.Name = "b-copy"
			if err := e.s.CreateClient(ctx, id, c, event(now, "agent.created", "copy")); err != nil {
				return err
			}
			if got, _ := e.s.GetClient(ctx, a.id, ca.ClientID); got.Name != "a-agent" {
				return errors.New("tenant B's create changed tenant A's client")
			}
			return store.ErrNotFound
		}},
		{"CreateResourceServer", func(id tenant.ID) error {
			// The same ids in tenant B are another resource server.
			c := rsA
			c.Name = "b"
			if err := e.s.CreateResourceServer(ctx, id, c, ev); err != nil {
				return err
			}
			if got, _ := e.s.GetResourceServer(ctx, a.id, rsA.ID); got.Name != rsA.Name {
				return errors.New("tenant B's create changed tenant A's resource server")
			}
			return store.ErrNotFound
		}},
	}
	t.Run("every tenant-scoped method is checked", func(t *testing.T) {
		var names []string
		for _, c := range checks {
			method, _, _ := strings.Cut(c.name, " ") // "FindGrants from": a second case of FindGrants
			names = append(names, method)
		}
		isolationCoverage(t, names)
	})
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(b.id); !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("tenant B reached tenant A's data: %v", err)
			}
			wantErr(t, "without a tenant", c.run(none), store.ErrNoTenant)
		})
	}
	// Tenant A's data is intact after all of B's attempts.
	if got, err := e.s.GetClient(ctx, a.id, ca.ClientID); err != nil || got.Name != "a-agent" || got.Version != 1 {
		t.Fatalf("tenant A's client changed: %+v %v", got, err)
	}
	if k, err := e.s.GetSigningKey(ctx, a.id, "kid-tenant-a"); err != nil || k.State != store.KeyCurrent {
		t.Fatalf("tenant A's key changed: %+v %v", k, err)
	}
	if k, err := e.s.APIKeyByHash(ctx, a.id, ids.Hash(a.secret)); err != nil || !k.RevokedAt.IsZero() {
		t.Fatalf("tenant A's admin key: %+v %v", k, err)
	}
	if tok, err := e.s.GetToken(ctx, a.id, tokA.JTI); err != nil || !tok.RevokedAt.IsZero() {
		t.Fatalf("tenant A's token: %+v %v", tok, err)
	}
	if g, err := e.s.GetGrant(ctx, a.id, grantA.ID); err != nil || !g.RevokedAt.IsZero() {
		t.Fatalf("tenant A's grant: %+v %v", g, err)
	}
	if u, err := e.s.GetUser(ctx, a.id, ua.ID); err != nil || u.Name != ua.Name {
		t.Fatalf("tenant A's user: %+v %v", u, err)
	}
	if tn, err := e.s.GetTenant(ctx, a.id); err != nil || len(tn.RevokedPatterns)+len(tn.RevokedKIDs) != 0 {
		t.Fatalf("tenant A's revocations: %+v %v", tn, err)
	}
	// Cases each gained when a planted defect passed the tier.
	t.Run("regressions", func(t *testing.T) { isolationRegressions(t, e) })
}

// cmpErr passes err on, or turns success (B acting on its own data without
// touching A's, checked by the caller) into ok.
func cmpErr(err, ok error) error {
	if err == nil {
		return ok
	}
	return err
}

// notListed turns "B's list does not contain A's item" into ErrNotFound.
func notListed(err error, n int, isA func(int) bool) error {
	if err != nil {
		return err
	}
	for i := range n {
		if isA(i) {
			return errors.New("tenant A's item listed for tenant B")
		}
	}
	return store.ErrNotFound
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

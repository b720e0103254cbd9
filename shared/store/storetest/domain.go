package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Run runs the domain store's conformance tiers over an engine.
func Run(t *testing.T, newTable TableFactory) { RunWith(t, newTable, Options{}) }

// Options scale the suite to an engine.
type Options struct {
	// CascadeAgents is how many agents the user-cascade tier revokes at once
	// (default 250). An emulator that copies its whole table per write item
	// (moto) may run fewer: the batches and the crash-and-retry are the same
	// at any count above a few batches.
	CascadeAgents int
}

// RunWith is Run with options.
func RunWith(t *testing.T, newTable TableFactory, opts Options) {
	if opts.CascadeAgents == 0 {
		opts.CascadeAgents = 250
	}
	tiers := []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"CRUD", domainCRUD},
		{"TenantIsolation", domainIsolation},
		{"ConditionalWrites", domainConditional},
		{"Transactions", domainTransactions},
		{"Pagination", domainPagination},
		{"Expiry", domainExpiry},
		{"Users", domainUsers},
		{"Tokens", domainTokens},
		{"ReplayMarks", domainReplay},
		{"Issuance", domainIssuance},
		{"AdminKeys", domainAdminKeys},
		{"Agents", domainAgents},
		{"MayActGrants", domainGrants},
		{"MayActGrantSets", domainGrantSets},
		{"SigningKeyRotation", domainRotation},
		{"SigningKeyAlgorithms", domainKeyAlgorithms},
		{"Activity", domainActivity},
		{"Revocation", domainRevocation},
		{"UserCascade", domainCascade},
		{"DCR", domainDCR},
		{"AuditTrail", domainAudit},
		{"Sessions", domainSessions},
	}
	for _, tier := range tiers {
		t.Run(tier.name, func(t *testing.T) {
			clock := NewClock()
			f := &Faulty{Table: newTable(t, clock)}
			e := &env{s: store.New(f, clock.Now), f: f, clock: clock, opts: opts,
				fresh: func() *store.Store { return store.New(newTable(t, clock), clock.Now) }}
			tier.run(t, e)
			if more := regressions[tier.name]; more != nil {
				more(t, e)
			}
		})
	}
}

type env struct {
	s     *store.Store
	f     *Faulty
	clock *Clock
	// fresh opens another store over a new, empty table.
	fresh func() *store.Store
	opts  Options
}

// fixture is a tenant as CreateTenant would receive it, with its admin secret.
type fixture struct {
	id     tenant.ID
	n      store.NewTenant
	secret string
}

func (e *env) newTenant(id string, hosts ...string) fixture {
	now := e.s.Now()
	secret := ids.NewKey(ids.AdminKeyPrefix)
	return fixture{
		id:     tenant.MustID(id),
		secret: secret,
		n: store.NewTenant{
			Tenant:     store.Tenant{ID: id, Name: "Tenant " + id, Hosts: hosts, CreatedAt: now, UpdatedAt: now},
			SigningKey: store.SigningKey{KID: "kid-" + id, State: store.KeyCurrent, Mode: store.ModeLocal, PublicDER: []byte("der-" + id), Sealed: []byte("sealed"), CreatedAt: now, ActivatedAt: now},
			AdminKey:   store.APIKey{ID: ids.New("key_"), Name: "first", Hash: ids.Hash(secret), Prefix: secret[:12], Suffix: secret[len(secret)-4:], Scopes: []string{"*"}, CreatedAt: now},
			Events:     []store.AuditEvent{event(now, "tenant.created", id), event(now, "api_key.created", id)},
		},
	}
}

func event(at time.Time, name, target string) store.AuditEvent {
	return store.AuditEvent{ID: ids.New("aud_"), Event: name, ActorType: "test", ActorID: "storetest", TargetID: target, Status: "success", Metadata: map[string]any{}, CreatedAt: at}
}

func (e *env) create(t *testing.T, id string, hosts ...string) fixture {
	t.Helper()
	fx := e.newTenant(id, hosts...)
	if err := e.s.CreateTenant(t.Context(), fx.n); err != nil {
		t.Fatalf("create tenant %s: %v", id, err)
	}
	return fx
}

func (e *env) client(t *testing.T, id tenant.ID, name string) store.Client {
	t.Helper()
	now := e.s.Now()
	c := store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_agent_"), Kind: "agent", Name: name, SecretHash: ids.Hash(ids.NewSecret()),
		AuthMethod: "client_secret_basic", GrantTypes: []string{"client_credentials"}, Scopes: []string{"mcp:read"}, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateClient(t.Context(), id, c, event(now, "agent.created", c.ClientID)); err != nil {
		t.Fatalf("create client: %v", err)
	}
	c.Version = 1
	e.clock.Advance(time.Millisecond) // distinct creation times order the list
	return c
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: want %v, got %v", what, want, err)
	}
}

func domainCRUD(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme", "auth.acme.test")

	t.Run("tenant", func(t *testing.T) {
		got, err := e.s.GetTenant(ctx, fx.id)
		if err != nil || got.ID != "acme" || got.Name != "Tenant acme" || got.Version != 1 || !got.CreatedAt.Equal(fx.n.Tenant.CreatedAt) {
			t.Fatalf("get tenant: %+v %v", got, err)
		}
		host, err := e.s.TenantByHost(ctx, "auth.acme.test")
		if err != nil || host != fx.id {
			t.Fatalf("tenant by host: %v %v", host, err)
		}
		_, err = e.s.GetTenant(ctx, tenant.MustID("nope"))
		wantErr(t, "unknown tenant", err, store.ErrNotFound)
		_, err = e.s.TenantByHost(ctx, "unknown.test")
		wantErr(t, "unknown host", err, store.ErrNotFound)

		upd, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error {
			tn.Name, tn.Hosts = "Acme Inc", []string{"login.acme.test"}
			return nil
		}, event(e.s.Now(), "tenant.updated", "acme"))
		if err != nil || upd.Name != "Acme Inc" || upd.Version != 2 {
			t.Fatalf("update tenant: %+v %v", upd, err)
		}
		_, err = e.s.TenantByHost(ctx, "auth.acme.test")
		wantErr(t, "removed host", err, store.ErrNotFound)
		if host, err := e.s.TenantByHost(ctx, "login.acme.test"); err != nil || host != fx.id {
			t.Fatalf("added host: %v %v", host, err)
		}
		_, err = e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error { tn.ID = "other"; return nil }, event(e.s.Now(), "tenant.updated", "acme"))
		if err == nil {
			t.Fatal("update changed the tenant id")
		}
		boom := errors.New("boom")
		_, err = e.s.UpdateTenant(ctx, fx.id, func(*store.Tenant) error { return boom }, event(e.s.Now(), "tenant.updated", "acme"))
		wantErr(t, "mutate error", err, boom)
	})

	t.Run("signing keys", func(t *testing.T) {
		keys, err := e.s.SigningKeys(ctx, fx.id)
		if err != nil || len(keys) != 1 || keys[0].KID != "kid-acme" || keys[0].State != store.KeyCurrent || string(keys[0].PublicDER) != "der-acme" {
			t.Fatalf("signing keys: %+v %v", keys, err)
		}
		next := store.SigningKey{KID: "kid-next", State: store.KeyNext, Mode: store.ModeLocal, PublicDER: []byte("n"), CreatedAt: e.s.Now()}
		if err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{next}, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
			t.Fatal(err)
		}
		cur := keys[0]
		cur.State = store.KeyRetired
		if err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{cur}, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetSigningKey(ctx, fx.id, "kid-acme")
		if err != nil || got.State != store.KeyRetired || got.Version != 2 {
			t.Fatalf("after save: %+v %v", got, err)
		}
		// The version read before the change is stale now.
		err = e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{cur}, event(e.s.Now(), "signing_key.rotated", "acme"))
		wantErr(t, "stale key version", err, store.ErrConflict)
		_, err = e.s.GetSigningKey(ctx, fx.id, "missing")
		wantErr(t, "missing key", err, store.ErrNotFound)
	})

	t.Run("admin keys", func(t *testing.T) {
		byHash, err := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret))
		if err != nil || byHash.ID != fx.n.AdminKey.ID || !slices.Equal(byHash.Scopes, []string{"*"}) {
			t.Fatalf("by hash: %+v %v", byHash, err)
		}
		byID, err := e.s.GetAPIKey(ctx, fx.id, fx.n.AdminKey.ID)
		if err != nil || byID.Name != "first" {
			t.Fatalf("by id: %+v %v", byID, err)
		}
		_, err = e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret+"x"))
		wantErr(t, "wrong secret", err, store.ErrNotFound)
		second := store.APIKey{ID: ids.New("key_"), Name: "second", Hash: ids.Hash("s2"), Scopes: []string{"agents:read"}, CreatedAt: e.s.Now()}
		if err := e.s.CreateAPIKey(ctx, fx.id, second, event(e.s.Now(), "api_key.created", second.ID)); err != nil {
			t.Fatal(err)
		}
		keys, err := e.s.ListAPIKeys(ctx, fx.id)
		if err != nil || len(keys) != 2 {
			t.Fatalf("list: %d %v", len(keys), err)
		}
		dup := second
		dup.ID = ids.New("key_")
		err = e.s.CreateAPIKey(ctx, fx.id, dup, event(e.s.Now(), "api_key.created", dup.ID))
		wantErr(t, "same secret twice", err, store.ErrConflict)
		if _, err := e.s.GetAPIKey(ctx, fx.id, dup.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed create left its key: %v", err)
		}
	})

	t.Run("platform keys", func(t *testing.T) {
		k := store.PlatformKey{ID: ids.New("pk_"), Hash: ids.Hash("platform-secret"), CreatedAt: e.s.Now()}
		if err := e.s.CreatePlatformKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.PlatformKeyByHash(ctx, ids.Hash("platform-secret"))
		if err != nil || got.ID != k.ID {
			t.Fatalf("platform key: %+v %v", got, err)
		}
		if err := e.s.CreatePlatformKey(ctx, k); err != nil {
			t.Fatalf("a retry of the same create (first answer lost) must succeed: %v", err)
		}
		other := k
		other.ID = ids.New("pk_")
		wantErr(t, "another key with the same hash", e.s.CreatePlatformKey(ctx, other), store.ErrConflict)
		_, err = e.s.PlatformKeyByHash(ctx, ids.Hash("other"))
		wantErr(t, "unknown platform key", err, store.ErrNotFound)
	})

	t.Run("DPoP nonce secret", func(t *testing.T) {
		a, err := e.s.DPoPNonceSecret(ctx)
		if err != nil || len(a) != 32 {
			t.Fatalf("secret of %d bytes: %v", len(a), err)
		}
		b, err := e.s.DPoPNonceSecret(ctx)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second read differs: %v", err)
		}
		b[0] ^= 0xff // a caller's copy is its own
		if c, _ := e.s.DPoPNonceSecret(ctx); !bytes.Equal(a, c) {
			t.Fatal("changing a returned secret changed the stored one")
		}
		if other, err := e.fresh().DPoPNonceSecret(ctx); err != nil || bytes.Equal(a, other) {
			t.Fatalf("another deployment (table) has the same secret: %v", err)
		}
	})

	t.Run("clients", func(t *testing.T) {
		c := e.client(t, fx.id, "alice")
		got, err := e.s.GetClient(ctx, fx.id, c.ClientID)
		if err != nil || got.ID != c.ID || got.Name != "alice" || !got.Active || got.Version != 1 {
			t.Fatalf("get client: %+v %v", got, err)
		}
		byID, err := e.s.GetClientByID(ctx, fx.id, c.ID)
		if err != nil || byID.ClientID != c.ClientID {
			t.Fatalf("by id: %+v %v", byID, err)
		}
		got.Name, got.Active = "alice-2", false
		upd, err := e.s.UpdateClient(ctx, fx.id, got, event(e.s.Now(), "agent.updated", c.ClientID))
		if err != nil || upd.Version != 2 {
			t.Fatalf("update: %+v %v", upd, err)
		}
		_, err = e.s.UpdateClient(ctx, fx.id, got, event(e.s.Now(), "agent.updated", c.ClientID))
		wantErr(t, "stale update", err, store.ErrConflict)
		if err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deactivated", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.GetClient(ctx, fx.id, c.ClientID)
		wantErr(t, "deleted client", err, store.ErrNotFound)
		_, err = e.s.GetClientByID(ctx, fx.id, c.ID)
		wantErr(t, "deleted client by id", err, store.ErrNotFound)
		wantErr(t, "delete twice", e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deactivated", c.ClientID)), store.ErrNotFound)
	})

	t.Run("audit events written with each change", func(t *testing.T) {
		evs, err := e.s.AuditEventsOn(ctx, fx.id, e.s.Now())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ev := range evs {
			names = append(names, ev.Event)
		}
		for _, want := range []string{"tenant.created", "api_key.created", "tenant.updated", "signing_key.rotated", "agent.created", "agent.updated", "agent.deactivated"} {
			if !slices.Contains(names, want) {
				t.Errorf("no %s event in %v", want, names)
			}
		}
	})
}

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

func domainConditional(t *testing.T, e *env) {
	ctx := t.Context()
	e.create(t, "acme", "auth.acme.test")

	t.Run("duplicate tenant id", func(t *testing.T) {
		wantErr(t, "duplicate", e.s.CreateTenant(ctx, e.newTenant("acme").n), store.ErrConflict)
	})
	t.Run("host of another tenant", func(t *testing.T) {
		fx := e.newTenant("globex", "auth.acme.test")
		wantErr(t, "taken host", e.s.CreateTenant(ctx, fx.n), store.ErrConflict)
		_, err := e.s.GetTenant(ctx, fx.id)
		wantErr(t, "tenant of a failed create", err, store.ErrNotFound)
		e.create(t, "initech")
		_, err = e.s.UpdateTenant(ctx, tenant.MustID("initech"), func(tn *store.Tenant) error {
			tn.Hosts = []string{"auth.acme.test"}
			return nil
		}, event(e.s.Now(), "tenant.updated", "initech"))
		wantErr(t, "update to a taken host", err, store.ErrConflict)
		if owner, _ := e.s.TenantByHost(ctx, "auth.acme.test"); owner.String() != "acme" {
			t.Fatalf("host moved to %v", owner)
		}
	})
	t.Run("two writers of one platform key, one wins", func(t *testing.T) {
		// Two operators' records for one secret differ in their ids (a
		// record equal to the stored one is a retry of the same create).
		errs := race(2, func(i int) error {
			k := store.PlatformKey{ID: fmt.Sprintf("pk_race%d", i), Hash: ids.Hash("race"), CreatedAt: e.s.Now()}
			return e.s.CreatePlatformKey(ctx, k)
		})
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("loser: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d writers won", won)
		}
	})
	t.Run("first readers of the DPoP nonce secret agree", func(t *testing.T) {
		s := e.fresh()
		got := make([][]byte, 4)
		errs := race(4, func(i int) error {
			var err error
			got[i], err = s.DPoPNonceSecret(ctx)
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("reader %d: %v", i, err)
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("reader %d got another secret", i)
			}
		}
	})
	t.Run("concurrent tenant updates keep every change", func(t *testing.T) {
		// UpdateTenant re-reads and retries when it loses; run sequentially
		// interleaved through mutate to force one lost race.
		id := tenant.MustID("acme")
		first := true
		got, err := e.s.UpdateTenant(ctx, id, func(tn *store.Tenant) error {
			if first {
				first = false
				// A competing update lands between this read and its write.
				if _, err := e.s.UpdateTenant(ctx, id, func(o *store.Tenant) error { o.DCRPolicy = "closed"; return nil }, event(e.s.Now(), "tenant.updated", "acme")); err != nil {
					return err
				}
			}
			tn.Name = "renamed"
			return nil
		}, event(e.s.Now(), "tenant.updated", "acme"))
		if err != nil || got.Name != "renamed" || got.DCRPolicy != "closed" {
			t.Fatalf("retry lost a change: %+v %v", got, err)
		}
	})
}

// domainTransactions injects a fault at each table call of multi-item changes
// and checks nothing is half-written.
func domainTransactions(t *testing.T, e *env) {
	ctx := t.Context()
	ops := []struct {
		name  string
		setup func(t *testing.T, step int) (run func() error, unchanged func(t *testing.T))
	}{
		{"CreateTenant", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			host := fmt.Sprintf("faulty-%d.test", step)
			fx := e.newTenant(fmt.Sprintf("faulty-%d", step), host)
			return func() error { return e.s.CreateTenant(ctx, fx.n) }, func(t *testing.T) {
				if _, err := e.s.GetTenant(ctx, fx.id); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("tenant half-created: %v", err)
				}
				if _, err := e.s.TenantByHost(ctx, host); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("host half-created: %v", err)
				}
				if keys, _ := e.s.SigningKeys(ctx, fx.id); len(keys) != 0 {
					t.Fatal("signing key half-created")
				}
				if _, err := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret)); !errors.Is(err, store.ErrNotFound) {
					t.Fatal("admin key half-created")
				}
				if evs, _ := e.s.AuditEventsOn(ctx, fx.id, e.s.Now()); len(evs) != 0 {
					t.Fatal("audit event of a failed create")
				}
			}
		}},
		{"UpdateTenant", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			old, new := fmt.Sprintf("old-%d.upd.test", step), fmt.Sprintf("new-%d.upd.test", step)
			fx := e.create(t, fmt.Sprintf("upd-%d", step), old)
			return func() error {
					_, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error {
						tn.Name, tn.Hosts = "new", []string{new}
						return nil
					}, event(e.s.Now(), "tenant.updated", "upd"))
					return err
				}, func(t *testing.T) {
					got, _ := e.s.GetTenant(ctx, fx.id)
					if got.Name != fx.n.Tenant.Name || got.Version != 1 {
						t.Fatalf("tenant half-updated: %+v", got)
					}
					if _, err := e.s.TenantByHost(ctx, old); err != nil {
						t.Fatal("old host lost")
					}
					if _, err := e.s.TenantByHost(ctx, new); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("new host half-added")
					}
				}
		}},
		{"DeleteClient", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("del-%d", step))
			c := e.client(t, fx.id, "victim")
			return func() error {
					return e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deactivated", c.ClientID))
				}, func(t *testing.T) {
					if _, err := e.s.GetClient(ctx, fx.id, c.ClientID); err != nil {
						t.Fatalf("client half-deleted: %v", err)
					}
					if _, err := e.s.GetClientByID(ctx, fx.id, c.ID); err != nil {
						t.Fatalf("client id pointer half-deleted: %v", err)
					}
				}
		}},
		{"CreateUser", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("usr-%d", step))
			u := store.User{ID: ids.New("usr_"), Email: "x@example.com", CreatedAt: e.s.Now()}
			return func() error { return e.s.CreateUser(ctx, fx.id, u, event(e.s.Now(), "user.created", u.ID)) }, func(t *testing.T) {
				if _, err := e.s.GetUser(ctx, fx.id, u.ID); !errors.Is(err, store.ErrNotFound) {
					t.Fatal("user half-created")
				}
				if _, err := e.s.UserByEmail(ctx, fx.id, u.Email); !errors.Is(err, store.ErrNotFound) {
					t.Fatal("email reserved by a failed create")
				}
			}
		}},
		{"DeleteUser", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("dusr-%d", step))
			u := e.user(t, fx.id, "gone@example.com")
			return func() error {
					_, err := e.s.DeleteUser(ctx, fx.id, u.ID, "", event(e.s.Now(), "user.deleted", u.ID))
					return err
				}, func(t *testing.T) {
					if _, err := e.s.UserByEmail(ctx, fx.id, u.Email); err != nil {
						t.Fatal("user half-deleted")
					}
					if _, err := e.s.GetUserRevocation(ctx, fx.id, u.ID); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("cascade marker of a failed delete")
					}
				}
		}},
		{"IssueToken", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("tok-%d", step))
			now := e.s.Now()
			rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: "c", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
			mark := store.ReplayMark{Kind: "dpop", Value: "v", Until: now.Add(time.Minute)}
			return func() error {
					return e.s.IssueToken(ctx, fx.id, store.Issuance{Token: rec, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", "c")})
				}, func(t *testing.T) {
					if _, err := e.s.GetToken(ctx, fx.id, rec.JTI); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("token half-issued")
					}
					again := rec
					again.JTI = ids.NanoID()
					if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: again, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", "c")}); err != nil {
						t.Fatalf("mark consumed by a failed issue: %v", err)
					}
				}
		}},
		{"RotateAPIKey", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("rot-%d", step))
			next := store.APIKey{ID: ids.New("key_"), Hash: ids.Hash(fmt.Sprint("next-", step)), Scopes: []string{"*"}, CreatedAt: e.s.Now()}
			return func() error {
					_, err := e.s.RotateAPIKey(ctx, fx.id, fx.n.AdminKey.ID, next, event(e.s.Now(), "api_key.rotated", "k"))
					return err
				}, func(t *testing.T) {
					if k, _ := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret)); !k.RevokedAt.IsZero() {
						t.Fatal("old key revoked by a failed rotation")
					}
					if _, err := e.s.GetAPIKey(ctx, fx.id, next.ID); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("new key of a failed rotation")
					}
				}
		}},
		{"EmergencyRotation", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("emk-%d", step))
			return func() error {
					_, err := e.s.RotateSigningKey(ctx, fx.id, store.SigningKey{KID: "fresh", Mode: store.ModeLocal}, store.RotateEmergency, event(e.s.Now(), "signing_key.rotated", "k"))
					return err
				}, func(t *testing.T) {
					if k, _ := e.s.GetSigningKey(ctx, fx.id, fx.n.SigningKey.KID); k.State != store.KeyCurrent {
						t.Fatal("old key retired by a failed rotation")
					}
					if tn, _ := e.s.GetTenant(ctx, fx.id); len(tn.RevokedKIDs) != 0 {
						t.Fatal("kid revoked by a failed rotation")
					}
				}
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			// Fail call 1, 2, ... until a run makes fewer calls than the step:
			// that clean run must succeed.
			for step := 1; ; step++ {
				run, unchanged := op.setup(t, step)
				e.f.Arm(step)
				err := run()
				calls := e.f.Calls
				e.f.Arm(0)
				if step > calls {
					if err != nil {
						t.Fatalf("clean run failed: %v", err)
					}
					return
				}
				if !errors.Is(err, ErrInjected) {
					t.Fatalf("fault at call %d: want the injected error, got %v", step, err)
				}
				t.Run(fmt.Sprintf("fault at call %d", step), unchanged)
			}
		})
	}
}

func domainPagination(t *testing.T, e *env) {
	ctx := t.Context()
	var tenants []string
	for i := range 5 {
		id := fmt.Sprintf("page-%02d", i)
		tenants = append(tenants, id)
		e.create(t, id)
	}
	a, b := tenant.MustID("page-00"), tenant.MustID("page-01")
	var clients []string
	for i := range 5 {
		clients = append(clients, e.client(t, a, fmt.Sprint(i)).ClientID)
	}
	e.client(t, b, "b")
	slices.Reverse(clients) // newest first

	walkTenants := func(limit int) []string {
		var got []string
		pr := store.PageRequest{Limit: limit}
		for range 10 {
			page, err := e.s.ListTenants(ctx, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, tn := range page.Items {
				got = append(got, tn.ID)
			}
			if page.Next == "" {
				return got
			}
			pr.Cursor = page.Next
		}
		t.Fatal("pagination does not end")
		return nil
	}
	for _, limit := range []int{1, 2, 5, 0} {
		t.Run(fmt.Sprintf("tenants by %d", limit), func(t *testing.T) {
			if got := walkTenants(limit); !slices.Equal(got, tenants) {
				t.Fatalf("got %v, want %v", got, tenants)
			}
		})
	}
	t.Run("clients newest first, each once", func(t *testing.T) {
		var got []string
		pr := store.PageRequest{Limit: 2}
		for range 10 {
			page, err := e.s.ListClients(ctx, a, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				got = append(got, c.ClientID)
			}
			if pr.Cursor = page.Next; pr.Cursor == "" {
				break
			}
		}
		if !slices.Equal(got, clients) {
			t.Fatalf("got %v, want %v", got, clients)
		}
	})

	first, err := e.s.ListClients(ctx, a, store.PageRequest{Limit: 2})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v %q", err, first.Next)
	}
	tenantPage, err := e.s.ListTenants(ctx, store.PageRequest{Limit: 1})
	if err != nil || tenantPage.Next == "" {
		t.Fatal(err)
	}
	tampered := []byte(first.Next)
	tampered[len(tampered)/2] ^= 1
	if tampered[len(tampered)/2] == '-'^1 || tampered[len(tampered)/2] == '_'^1 {
		tampered[len(tampered)/2] = 'A'
	}
	bad := []struct {
		name string
		run  func() error
	}{
		{"tampered cursor", func() error {
			_, err := e.s.ListClients(ctx, a, store.PageRequest{Cursor: string(tampered)})
			return err
		}},
		{"garbage cursor", func() error {
			_, err := e.s.ListClients(ctx, a, store.PageRequest{Cursor: "not a cursor!"})
			return err
		}},
		{"another tenant's cursor", func() error {
			_, err := e.s.ListClients(ctx, b, store.PageRequest{Cursor: first.Next})
			return err
		}},
		{"another query's cursor", func() error {
			_, err := e.s.ListTenants(ctx, store.PageRequest{Cursor: first.Next})
			return err
		}},
		{"tenant cursor on clients", func() error {
			_, err := e.s.ListClients(ctx, a, store.PageRequest{Cursor: tenantPage.Next})
			return err
		}},
	}
	for _, c := range bad {
		t.Run("rejects "+c.name, func(t *testing.T) { wantErr(t, c.name, c.run(), store.ErrBadCursor) })
	}
	t.Run("a cursor outlives the store instance", func(t *testing.T) {
		again := store.New(e.f, e.clock.Now)
		page, err := again.ListClients(ctx, a, store.PageRequest{Limit: 2, Cursor: first.Next})
		if err != nil || len(page.Items) != 2 || page.Items[0].ClientID != clients[2] {
			t.Fatalf("resumed page: %v %v", page.Items, err)
		}
	})
}

func domainExpiry(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	keys, _ := e.s.SigningKeys(ctx, fx.id)
	retired := keys[0]
	retired.State = store.KeyRetired
	retired.RetiredAt = e.s.Now()
	retired.PublishUntil = e.s.Now().Add(time.Hour)
	next := store.SigningKey{KID: "kid-2", State: store.KeyCurrent, Mode: store.ModeLocal, PublicDER: []byte("2"), CreatedAt: e.s.Now()}
	if err := e.s.SaveSigningKeys(ctx, fx.id, []store.SigningKey{retired, next}, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.SigningKeys(ctx, fx.id); len(got) != 2 {
		t.Fatalf("before expiry: %d keys", len(got))
	}
	e.clock.Advance(time.Hour)
	got, err := e.s.SigningKeys(ctx, fx.id)
	if err != nil || len(got) != 1 || got[0].KID != "kid-2" {
		t.Fatalf("retired key outlived its publication: %+v %v", got, err)
	}
	_, err = e.s.GetSigningKey(ctx, fx.id, retired.KID)
	wantErr(t, "expired key", err, store.ErrNotFound)
}

// --- users, tokens, admin keys, agents, grants, signing keys, revocation ---

func (e *env) user(t *testing.T, id tenant.ID, email string) store.User {
	t.Helper()
	now := e.s.Now()
	u := store.User{ID: ids.New("usr_"), Email: email, Name: "User " + email, CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateUser(t.Context(), id, u, event(now, "user.created", u.ID)); err != nil {
		t.Fatalf("create user: %v", err)
	}
	u.Version = 1
	e.clock.Advance(time.Millisecond)
	return u
}

// agentOf creates an agent created by user.
func (e *env) agentOf(t *testing.T, id tenant.ID, name, userID string) store.Client {
	t.Helper()
	now := e.s.Now()
	c := store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_agent_"), Kind: "agent", Name: name, SecretHash: ids.Hash(ids.NewSecret()),
		AuthMethod: "client_secret_basic", GrantTypes: []string{"client_credentials"}, Active: true, CreatedBy: userID, CreatedAt: now, UpdatedAt: now}
	if err := e.s.CreateClient(t.Context(), id, c, event(now, "agent.created", c.ClientID)); err != nil {
		t.Fatalf("create agent: %v", err)
	}
	c.Version = 1
	e.clock.Advance(time.Millisecond)
	return c
}

// token issues a token to c now, living for ttl, bound to jkt when set.
func (e *env) token(t *testing.T, id tenant.ID, c store.Client, ttl time.Duration, jkt string) store.TokenRecord {
	t.Helper()
	now := e.s.Now()
	rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, AgentID: c.ID, Subject: c.ClientID, Scope: "mcp:read", Audience: []string{"https://api.test"},
		JKT: jkt, KID: "kid-" + id.String(), GrantType: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(ttl)}
	if err := e.s.IssueToken(t.Context(), id, store.Issuance{Token: rec, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
		t.Fatalf("issue token: %v", err)
	}
	rec.Version = 1
	e.clock.Advance(time.Millisecond)
	return rec
}

func domainUsers(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	other := e.create(t, "other")
	u := e.user(t, fx.id, "Alice@Example.com")

	t.Run("get and find by email in any case", func(t *testing.T) {
		got, err := e.s.GetUser(ctx, fx.id, u.ID)
		if err != nil || got.Email != "Alice@Example.com" || got.Version != 1 {
			t.Fatalf("get: %+v %v", got, err)
		}
		for _, email := range []string{"alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"} {
			if got, err := e.s.UserByEmail(ctx, fx.id, email); err != nil || got.ID != u.ID {
				t.Fatalf("by email %s: %+v %v", email, got, err)
			}
		}
	})
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"unknown id", func() error { _, err := e.s.GetUser(ctx, fx.id, "usr_nope"); return err }, store.ErrNotFound},
		{"empty id", func() error { _, err := e.s.GetUser(ctx, fx.id, ""); return err }, store.ErrNotFound},
		{"unknown email", func() error { _, err := e.s.UserByEmail(ctx, fx.id, "bob@example.com"); return err }, store.ErrNotFound},
		{"same email other case", func() error {
			dup := store.User{ID: ids.New("usr_"), Email: "ALICE@example.COM", CreatedAt: e.s.Now()}
			return e.s.CreateUser(ctx, fx.id, dup, event(e.s.Now(), "user.created", dup.ID))
		}, store.ErrConflict},
		{"same id", func() error {
			dup := u
			dup.Email = "fresh@example.com"
			return e.s.CreateUser(ctx, fx.id, dup, event(e.s.Now(), "user.created", dup.ID))
		}, store.ErrConflict},
		{"update of unknown user", func() error {
			_, err := e.s.UpdateUser(ctx, fx.id, "usr_nope", func(*store.User) error { return nil }, event(e.s.Now(), "user.updated", "x"))
			return err
		}, store.ErrNotFound},
		{"delete of unknown user", func() error {
			_, err := e.s.DeleteUser(ctx, fx.id, "usr_nope", "", event(e.s.Now(), "user.deleted", "x"))
			return err
		}, store.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.name, c.run(), c.want) })
	}
	t.Run("a failed duplicate leaves no user", func(t *testing.T) {
		if n, err := e.s.CountUsers(ctx, fx.id); err != nil || n != 1 {
			t.Fatalf("count: %d %v", n, err)
		}
	})
	t.Run("same email in another tenant is another user", func(t *testing.T) {
		o := e.user(t, other.id, "alice@example.com")
		if got, _ := e.s.UserByEmail(ctx, fx.id, "alice@example.com"); got.ID != u.ID {
			t.Fatal("tenant A's email now names tenant B's user")
		}
		if got, _ := e.s.UserByEmail(ctx, other.id, "alice@example.com"); got.ID != o.ID {
			t.Fatal("tenant B's user not found by email")
		}
	})
	t.Run("update moves the email pointer", func(t *testing.T) {
		bob := e.user(t, fx.id, "bob@example.com")
		upd, err := e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.Email, x.Name = "alice@new.example", "Alice"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		if err != nil || upd.Version != 2 || upd.Name != "Alice" {
			t.Fatalf("update: %+v %v", upd, err)
		}
		if _, err := e.s.UserByEmail(ctx, fx.id, "alice@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old email still reserved: %v", err)
		}
		if got, err := e.s.UserByEmail(ctx, fx.id, "ALICE@new.example"); err != nil || got.ID != u.ID {
			t.Fatalf("new email: %+v %v", got, err)
		}
		_, err = e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.Email = "BOB@example.com"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		wantErr(t, "email of another user", err, store.ErrConflict)
		if got, _ := e.s.GetUser(ctx, fx.id, u.ID); got.Email != "alice@new.example" || got.Version != 2 {
			t.Fatalf("failed update changed the user: %+v", got)
		}
		if got, _ := e.s.UserByEmail(ctx, fx.id, "bob@example.com"); got.ID != bob.ID {
			t.Fatal("bob lost his email")
		}
		upd, err = e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.Email = "Alice@New.Example"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		if err != nil || upd.Email != "Alice@New.Example" {
			t.Fatalf("respelled email: %+v %v", upd, err)
		}
		_, err = e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.ID = "usr_other"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		if err == nil {
			t.Fatal("update changed the id")
		}
	})
	t.Run("users page newest first, each once", func(t *testing.T) {
		var got []string
		pr := store.PageRequest{Limit: 1}
		for range 10 {
			page, err := e.s.ListUsers(ctx, fx.id, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page.Items {
				got = append(got, x.ID)
			}
			if pr.Cursor = page.Next; pr.Cursor == "" {
				break
			}
		}
		if len(got) != 2 || got[1] != u.ID {
			t.Fatalf("pages: %v", got)
		}
		_, err := e.s.ListUsers(ctx, other.id, store.PageRequest{Cursor: func() string {
			p, _ := e.s.ListUsers(ctx, fx.id, store.PageRequest{Limit: 1})
			return p.Next
		}()})
		wantErr(t, "another tenant's cursor", err, store.ErrBadCursor)
	})
	t.Run("delete frees the email and writes the cascade marker", func(t *testing.T) {
		mark, err := e.s.DeleteUser(ctx, fx.id, u.ID, "left", event(e.s.Now(), "user.deleted", u.ID))
		if err != nil || mark.UserID != u.ID || mark.Reason != "left" {
			t.Fatalf("delete: %+v %v", mark, err)
		}
		if _, err := e.s.GetUser(ctx, fx.id, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted user readable: %v", err)
		}
		if got, err := e.s.GetUserRevocation(ctx, fx.id, u.ID); err != nil || !got.At.Equal(mark.At) {
			t.Fatalf("marker: %+v %v", got, err)
		}
		e.user(t, fx.id, "alice@new.example") // the email is free again
	})
}

func domainTokens(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	c := e.client(t, fx.id, "agent")
	rec := e.token(t, fx.id, c, time.Hour, "jkt-1")

	t.Run("get", func(t *testing.T) {
		got, err := e.s.GetToken(ctx, fx.id, rec.JTI)
		if err != nil || got.ClientID != c.ClientID || got.JKT != "jkt-1" || !got.IssuedAt.Equal(rec.IssuedAt) || !slices.Equal(got.Audience, rec.Audience) {
			t.Fatalf("get: %+v %v", got, err)
		}
	})
	t.Run("replay marks are single use", func(t *testing.T) {
		now := e.s.Now()
		mark := store.ReplayMark{Kind: "dpop", Value: "proof-jti-1", Until: now.Add(2 * time.Minute)}
		r1 := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r1, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatal(err)
		}
		r2 := r1
		r2.JTI = ids.NanoID()
		other := store.ReplayMark{Kind: "assertion", Value: "fresh", Until: now.Add(time.Minute)}
		err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r2, Marks: []store.ReplayMark{other, mark}, Event: event(now, "oauth.token_issued", c.ClientID)})
		wantErr(t, "replayed proof", err, store.ErrReplay)
		if _, err := e.s.GetToken(ctx, fx.id, r2.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a replay wrote its token: %v", err)
		}
		// The fresh mark of the failed issue was not consumed.
		r3 := r1
		r3.JTI = ids.NanoID()
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r3, Marks: []store.ReplayMark{other}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("mark of a failed issue consumed: %v", err)
		}
		// The same value of another kind, or in another tenant, is another mark.
		r4 := r1
		r4.JTI = ids.NanoID()
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r4, Marks: []store.ReplayMark{{Kind: "assertion", Value: "proof-jti-1", Until: mark.Until}}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("kinds share marks: %v", err)
		}
		b := e.create(t, "bravo")
		if err := e.s.IssueToken(ctx, b.id, store.Issuance{Token: r1, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("tenants share marks: %v", err)
		}
		// After Until the mark is gone.
		e.clock.Advance(3 * time.Minute)
		r5 := r1
		r5.JTI = ids.NanoID()
		if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r5, Marks: []store.ReplayMark{mark}, Event: event(e.s.Now(), "oauth.token_issued", c.ClientID)}); err != nil {
			t.Fatalf("expired mark still blocks: %v", err)
		}
		err = e.s.IssueToken(ctx, fx.id, store.Issuance{Token: r5, Event: event(e.s.Now(), "oauth.token_issued", c.ClientID)})
		wantErr(t, "same jti twice", err, store.ErrConflict)
	})
	t.Run("revoke", func(t *testing.T) {
		if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
			t.Fatal(err)
		}
		got, _ := e.s.GetToken(ctx, fx.id, rec.JTI)
		if got.RevokedAt.IsZero() {
			t.Fatal("not revoked")
		}
		first := got.RevokedAt
		e.clock.Advance(time.Second)
		if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.GetToken(ctx, fx.id, rec.JTI); !got.RevokedAt.Equal(first) {
			t.Fatal("a second revoke moved the time")
		}
		wantErr(t, "unknown jti", e.s.RevokeToken(ctx, fx.id, "nope", event(e.s.Now(), "oauth.token_revoked", "nope")), store.ErrNotFound)
	})
	t.Run("client tokens page newest first and expire", func(t *testing.T) {
		d := e.client(t, fx.id, "lister")
		var want []string
		for range 5 {
			want = append(want, e.token(t, fx.id, d, time.Hour, "").JTI)
		}
		short := e.token(t, fx.id, d, time.Second, "")
		want = append(want, short.JTI)
		slices.Reverse(want)
		var got []string
		pr := store.PageRequest{Limit: 2}
		for range 10 {
			page, err := e.s.ListClientTokens(ctx, fx.id, d.ClientID, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				got = append(got, r.JTI)
			}
			if pr.Cursor = page.Next; pr.Cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		first, _ := e.s.ListClientTokens(ctx, fx.id, d.ClientID, store.PageRequest{Limit: 2})
		_, err := e.s.ListClientTokens(ctx, fx.id, c.ClientID, store.PageRequest{Cursor: first.Next})
		wantErr(t, "another client's cursor", err, store.ErrBadCursor)
		e.clock.Advance(2 * time.Second)
		all, err := e.s.ClientTokens(ctx, fx.id, d.ClientID)
		if err != nil || len(all) != 5 || slices.ContainsFunc(all, func(r store.TokenRecord) bool { return r.JTI == short.JTI }) {
			t.Fatalf("after expiry: %d %v", len(all), err)
		}
		if _, err := e.s.GetToken(ctx, fx.id, short.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired token readable: %v", err)
		}
	})
}

func domainAdminKeys(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	first := fx.n.AdminKey
	ev := func(name, id string) store.AuditEvent { return event(e.s.Now(), name, id) }
	newKey := func(scopes ...string) (store.APIKey, string) {
		secret := ids.NewKey(ids.AdminKeyPrefix)
		return store.APIKey{ID: ids.New("key_"), Name: "k", Hash: ids.Hash(secret), Prefix: secret[:12], Suffix: secret[len(secret)-4:], Scopes: scopes, CreatedAt: e.s.Now()}, secret
	}

	t.Run("the last admin key cannot be revoked", func(t *testing.T) {
		_, err := e.s.RevokeAPIKey(ctx, fx.id, first.ID, ev("api_key.revoked", first.ID))
		wantErr(t, "last key", err, store.ErrLastAdminKey)
		// A key without "*" does not count.
		limited, _ := newKey("agents:read")
		if err := e.s.CreateAPIKey(ctx, fx.id, limited, ev("api_key.created", limited.ID)); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.RevokeAPIKey(ctx, fx.id, first.ID, ev("api_key.revoked", first.ID))
		wantErr(t, "last key beside a limited one", err, store.ErrLastAdminKey)
		got, err := e.s.RevokeAPIKey(ctx, fx.id, limited.ID, ev("api_key.revoked", limited.ID))
		if err != nil || got.RevokedAt.IsZero() {
			t.Fatalf("revoke limited: %+v %v", got, err)
		}
		byHash, _ := e.s.APIKeyByHash(ctx, fx.id, limited.Hash)
		if byHash.RevokedAt.IsZero() {
			t.Fatal("the hash item still shows the key active")
		}
		_, err = e.s.RevokeAPIKey(ctx, fx.id, "key_nope", ev("api_key.revoked", "x"))
		wantErr(t, "unknown key", err, store.ErrNotFound)
	})
	t.Run("an expired admin key does not count", func(t *testing.T) {
		exp, _ := newKey("*")
		exp.ExpiresAt = e.s.Now().Add(time.Second)
		if err := e.s.CreateAPIKey(ctx, fx.id, exp, ev("api_key.created", exp.ID)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Second)
		_, err := e.s.RevokeAPIKey(ctx, fx.id, first.ID, ev("api_key.revoked", first.ID))
		wantErr(t, "last live key", err, store.ErrLastAdminKey)
	})
	t.Run("two concurrent revocations of the last two keys: one wins", func(t *testing.T) {
		second, _ := newKey("*")
		if err := e.s.CreateAPIKey(ctx, fx.id, second, ev("api_key.created", second.ID)); err != nil {
			t.Fatal(err)
		}
		targets := []string{first.ID, second.ID}
		errs := race(2, func(i int) error {
			_, err := e.s.RevokeAPIKey(ctx, fx.id, targets[i], ev("api_key.revoked", targets[i]))
			return err
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrLastAdminKey) && !errors.Is(err, store.ErrConflict):
				t.Fatalf("loser: %v", err)
			}
		}
		keys, _ := e.s.ListAPIKeys(ctx, fx.id)
		active := 0
		for _, k := range keys {
			if k.IsAdmin() && k.ActiveAt(e.s.Now()) {
				active++
			}
		}
		if won != 1 || active != 1 {
			t.Fatalf("%d revocations won, %d admin keys left", won, active)
		}
		first = keys[slices.IndexFunc(keys, func(k store.APIKey) bool { return k.IsAdmin() && k.ActiveAt(e.s.Now()) })]
	})
	t.Run("rotate", func(t *testing.T) {
		next, secret := newKey(first.Scopes...)
		old, err := e.s.RotateAPIKey(ctx, fx.id, first.ID, next, ev("api_key.rotated", first.ID))
		if err != nil || old.RevokedAt.IsZero() {
			t.Fatalf("rotate: %+v %v", old, err)
		}
		if k, err := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(secret)); err != nil || !k.ActiveAt(e.s.Now()) {
			t.Fatalf("new key: %+v %v", k, err)
		}
		if k, _ := e.s.APIKeyByHash(ctx, fx.id, first.Hash); k.RevokedAt.IsZero() {
			t.Fatal("old key still active")
		}
		again, _ := newKey("*")
		_, err = e.s.RotateAPIKey(ctx, fx.id, first.ID, again, ev("api_key.rotated", first.ID))
		wantErr(t, "rotate a revoked key", err, store.ErrConflict)
		if _, err := e.s.GetAPIKey(ctx, fx.id, again.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a failed rotation created its key")
		}
		_, err = e.s.RotateAPIKey(ctx, fx.id, "key_nope", again, ev("api_key.rotated", "x"))
		wantErr(t, "rotate unknown", err, store.ErrNotFound)
	})
}

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

func domainRotation(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	key := func(kid string) store.SigningKey {
		return store.SigningKey{KID: kid, Mode: store.ModeLocal, PublicDER: []byte(kid)}
	}
	states := func() map[string]string {
		keys, err := e.s.SigningKeys(ctx, fx.id)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range keys {
			out[k.KID] = k.State
		}
		return out
	}
	ev := func() store.AuditEvent { return event(e.s.Now(), "signing_key.rotated", "acme") }

	t.Run("scheduled: next, then promoted when due", func(t *testing.T) {
		got, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-2"), store.RotateScheduled, ev())
		if err != nil || got.State != store.KeyNext {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		if s := states(); s["kid-acme"] != store.KeyCurrent || s["kid-2"] != store.KeyNext {
			t.Fatalf("states: %v", s)
		}
		if ok, err := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev()); ok || err != nil {
			t.Fatalf("promoted early: %v %v", ok, err)
		}
		// A second scheduled rotation replaces the pending next key.
		if _, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-3"), store.RotateScheduled, ev()); err != nil {
			t.Fatal(err)
		}
		if s := states(); s["kid-3"] != store.KeyNext || s["kid-2"] == store.KeyNext {
			t.Fatalf("states: %v", s)
		}
		e.clock.Advance(5 * time.Minute)
		ok, err := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev())
		if !ok || err != nil {
			t.Fatalf("promote: %v %v", ok, err)
		}
		if s := states(); s["kid-3"] != store.KeyCurrent || s["kid-acme"] != store.KeyRetired {
			t.Fatalf("states: %v", s)
		}
		old, _ := e.s.GetSigningKey(ctx, fx.id, "kid-acme")
		if !old.PublishUntil.Equal(e.s.Now().Add(time.Hour)) {
			t.Fatalf("retired key published until %v", old.PublishUntil)
		}
		if ok, _ := e.s.PromoteSigningKey(ctx, fx.id, 5*time.Minute, time.Hour, ev()); ok {
			t.Fatal("promoted twice")
		}
		if tn, _ := e.s.GetTenant(ctx, fx.id); len(tn.RevokedKIDs) != 0 {
			t.Fatalf("scheduled rotation revoked %v", tn.RevokedKIDs)
		}
	})
	t.Run("emergency: current at once, old kid revoked and gone", func(t *testing.T) {
		got, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-4"), store.RotateEmergency, ev())
		if err != nil || got.State != store.KeyCurrent {
			t.Fatalf("rotate: %+v %v", got, err)
		}
		s := states()
		if s["kid-4"] != store.KeyCurrent || s["kid-3"] == store.KeyCurrent || s["kid-3"] == store.KeyNext {
			t.Fatalf("states: %v", s)
		}
		tn, _ := e.s.GetTenant(ctx, fx.id)
		if !slices.Contains(tn.RevokedKIDs, "kid-3") || slices.Contains(tn.RevokedKIDs, "kid-4") {
			t.Fatalf("revoked kids: %v", tn.RevokedKIDs)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-4"), store.RotateScheduled, ev())
		wantErr(t, "reused kid", err, store.ErrConflict)
		if _, err := e.s.RotateSigningKey(ctx, fx.id, key("kid-5"), "sideways", ev()); err == nil {
			t.Fatal("unknown mode accepted")
		}
		_, err = e.s.RotateSigningKey(ctx, tenant.MustID("nope"), key("kid-6"), store.RotateScheduled, ev())
		wantErr(t, "unknown tenant", err, store.ErrNotFound)
	})
}

// domainActivity is the table of the activity decision: one case (at least)
// per revocation layer, each checked through TokenActivity.
func domainActivity(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	cases := []struct {
		name string
		// setup issues a token and then revokes something; it returns the jti to check.
		setup  func(t *testing.T) string
		reason string // "" means active
	}{
		{"active", func(t *testing.T) string { return e.token(t, fx.id, e.client(t, fx.id, "ok"), time.Hour, "").JTI }, ""},
		{"unknown jti", func(*testing.T) string { return "no-such-jti" }, store.ReasonUnknown},
		{"expired", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "exp"), 2*time.Millisecond, "")
			e.clock.Advance(time.Millisecond)
			return rec.JTI
		}, store.ReasonExpired},
		{"L1 revoked by jti", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "l1"), time.Hour, "")
			if err := e.s.RevokeToken(ctx, fx.id, rec.JTI, event(e.s.Now(), "oauth.token_revoked", rec.JTI)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonRevoked},
		{"L1 another token of the client stays active", func(t *testing.T) string {
			c := e.client(t, fx.id, "l1b")
			rec := e.token(t, fx.id, c, time.Hour, "")
			other := e.token(t, fx.id, c, time.Hour, "")
			if err := e.s.RevokeToken(ctx, fx.id, other.JTI, event(e.s.Now(), "oauth.token_revoked", other.JTI)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, ""},
		{"L2 client deactivated", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2")
			rec := e.token(t, fx.id, c, time.Hour, "")
			if err := e.s.DeactivateClients(ctx, fx.id, []store.Client{c}, event(e.s.Now(), "agent.deactivated", c.ClientID)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonClientInactive},
		{"L2 client deleted", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2d")
			rec := e.token(t, fx.id, c, time.Hour, "")
			if err := e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "oauth.client_deleted", c.ClientID)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonClientInactive},
		{"L2 revoke-all", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2r")
			rec := e.token(t, fx.id, c, time.Hour, "")
			revokeAll(t, e, fx.id, c)
			return rec.JTI
		}, store.ReasonClientRevoked},
		{"L2 token issued after revoke-all is active", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2n")
			e.token(t, fx.id, c, time.Hour, "")
			revokeAll(t, e, fx.id, c)
			e.clock.Advance(time.Millisecond)
			return e.token(t, fx.id, c, time.Hour, "").JTI
		}, ""},
		{"L2 DPoP key rotated away", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2k")
			rec := e.token(t, fx.id, c, time.Hour, "old-jkt")
			setJKT(t, e, fx.id, c, "new-jkt")
			return rec.JTI
		}, store.ReasonDPoPKeyRotated},
		{"L2 token of the registered key is active", func(t *testing.T) string {
			c := e.client(t, fx.id, "l2kk")
			setJKT(t, e, fx.id, c, "new-jkt")
			return e.token(t, fx.id, c, time.Hour, "new-jkt").JTI
		}, ""},
		{"L3 user cascade", func(t *testing.T) string {
			u := e.user(t, fx.id, "l3@example.com")
			rec := e.token(t, fx.id, e.agentOf(t, fx.id, "l3", u.ID), time.Hour, "")
			if _, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "test", event(e.s.Now(), "user.agents_revoked", u.ID)); err != nil {
				t.Fatal(err)
			}
			return rec.JTI // the batches have not run: the marker alone decides
		}, store.ReasonUserRevoked},
		{"L3 agent created after the cascade is active", func(t *testing.T) string {
			u := e.user(t, fx.id, "l3b@example.com")
			if _, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "test", event(e.s.Now(), "user.agents_revoked", u.ID)); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Millisecond)
			return e.token(t, fx.id, e.agentOf(t, fx.id, "l3b", u.ID), time.Hour, "").JTI
		}, ""},
		{"L4 pattern", func(t *testing.T) string {
			c := e.client(t, fx.id, "l4")
			rec := e.token(t, fx.id, c, time.Hour, "")
			if _, err := e.s.RevokePattern(ctx, fx.id, c.ClientID[:len(c.ClientID)-3]+"*", event(e.s.Now(), "oauth.tokens_bulk_revoked", "p")); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonPatternRevoked},
		{"L4 a pattern that does not match", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "l4n"), time.Hour, "")
			if _, err := e.s.RevokePattern(ctx, fx.id, "shark_dcr_*", event(e.s.Now(), "oauth.tokens_bulk_revoked", "p")); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, ""},
		{"emergency-rotated signing key", func(t *testing.T) string {
			rec := e.token(t, fx.id, e.client(t, fx.id, "kid"), time.Hour, "")
			if _, err := e.s.RotateSigningKey(ctx, fx.id, store.SigningKey{KID: ids.NanoID(), Mode: store.ModeLocal, PublicDER: []byte("x")}, store.RotateEmergency, event(e.s.Now(), "signing_key.rotated", "acme")); err != nil {
				t.Fatal(err)
			}
			return rec.JTI
		}, store.ReasonKeyRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jti := c.setup(t)
			a, err := e.s.TokenActivity(ctx, fx.id, jti)
			if err != nil {
				t.Fatal(err)
			}
			if a.Active != (c.reason == "") || a.Reason != c.reason {
				t.Fatalf("activity: %+v, want reason %q", a, c.reason)
			}
			if a.Active && a.Token.JTI != jti {
				t.Fatalf("active without its record: %+v", a)
			}
		})
	}
	t.Run("L5 tenant disabled", func(t *testing.T) {
		b := e.create(t, "bravo")
		rec := e.token(t, b.id, e.client(t, b.id, "l5"), time.Hour, "")
		if a, _ := e.s.TokenActivity(ctx, b.id, rec.JTI); !a.Active {
			t.Fatalf("before disable: %+v", a)
		}
		if _, err := e.s.UpdateTenant(ctx, b.id, func(tn *store.Tenant) error { tn.Disabled = true; return nil }, event(e.s.Now(), "tenant.updated", "bravo")); err != nil {
			t.Fatal(err)
		}
		if a, _ := e.s.TokenActivity(ctx, b.id, rec.JTI); a.Active || a.Reason != store.ReasonTenantDisabled {
			t.Fatalf("after disable: %+v", a)
		}
		// Tenant A's tokens do not see tenant B's jti.
		if a, _ := e.s.TokenActivity(ctx, fx.id, rec.JTI); a.Reason != store.ReasonUnknown {
			t.Fatalf("tenant A sees B's token: %+v", a)
		}
	})
	t.Run("at most four table calls", func(t *testing.T) {
		u := e.user(t, fx.id, "calls@example.com")
		rec := e.token(t, fx.id, e.agentOf(t, fx.id, "calls", u.ID), time.Hour, "")
		e.f.Arm(0)
		if _, err := e.s.TokenActivity(ctx, fx.id, rec.JTI); err != nil {
			t.Fatal(err)
		}
		if e.f.Calls > 4 {
			t.Fatalf("%d table calls", e.f.Calls)
		}
	})
	t.Run("CheckIssuable", func(t *testing.T) {
		u := e.user(t, fx.id, "issuable@example.com")
		plain := e.client(t, fx.id, "plain")
		owned := e.agentOf(t, fx.id, "owned", u.ID)
		checks := []struct {
			name  string
			c     func() store.Client
			calls int
			want  error
		}{
			{"active, no user: no call", func() store.Client { return plain }, 0, nil},
			{"inactive", func() store.Client { c := plain; c.Active = false; return c }, 0, store.ErrClientInactive},
			{"user without cascade: one call", func() store.Client { return owned }, 1, nil},
			{"user cascaded after creation", func() store.Client {
				if _, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "", event(e.s.Now(), "user.agents_revoked", u.ID)); err != nil {
					t.Fatal(err)
				}
				return owned
			}, 1, store.ErrClientInactive},
			{"agent created after the cascade", func() store.Client {
				e.clock.Advance(time.Millisecond)
				return e.agentOf(t, fx.id, "later", u.ID)
			}, 1, nil},
		}
		for _, c := range checks {
			t.Run(c.name, func(t *testing.T) {
				cl := c.c()
				e.f.Arm(0)
				err := e.s.CheckIssuable(ctx, fx.id, cl)
				if !errors.Is(err, c.want) || (c.want == nil && err != nil) || e.f.Calls != c.calls {
					t.Fatalf("got %v after %d calls, want %v after %d", err, e.f.Calls, c.want, c.calls)
				}
			})
		}
	})
}

func revokeAll(t *testing.T, e *env, id tenant.ID, c store.Client) {
	t.Helper()
	_, err := e.s.ChangeClient(t.Context(), id, c.ClientID, func(x *store.Client) error { x.RevokedBefore = e.s.Now(); return nil },
		func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.tokens_revoked", x.ClientID) })
	if err != nil {
		t.Fatal(err)
	}
}

func setJKT(t *testing.T, e *env, id tenant.ID, c store.Client, jkt string) {
	t.Helper()
	_, err := e.s.ChangeClient(t.Context(), id, c.ClientID, func(x *store.Client) error { x.DPoPJKT = jkt; return nil },
		func(x store.Client) store.AuditEvent { return event(e.s.Now(), "agent.dpop_key_rotated", x.ClientID) })
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Millisecond) // a rotation revokes what was issued at its instant too
}

// domainCascade revokes a user with 250 agents: one call makes every token of
// every agent inactive at once; the batches then deactivate the records, and
// a crash midway is finished by a retry.
func domainCascade(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	u := e.user(t, fx.id, "many@example.com")
	bystander := e.client(t, fx.id, "bystander")
	keep := e.token(t, fx.id, bystander, time.Hour, "")
	n := e.opts.CascadeAgents
	var tokens []string
	for i := range n {
		c := e.agentOf(t, fx.id, fmt.Sprintf("agent-%03d", i), u.ID)
		tokens = append(tokens, e.token(t, fx.id, c, time.Hour, "").JTI)
	}
	// The marker: one transaction of two writes, whatever the number of agents.
	e.f.Arm(0)
	mark, err := e.s.RevokeUserAgents(ctx, fx.id, u.ID, "offboarded", event(e.s.Now(), "user.agents_revoked", u.ID))
	if err != nil || e.f.Calls != 1 {
		t.Fatalf("marker: %v after %d calls", err, e.f.Calls)
	}
	for _, jti := range tokens {
		if a, err := e.s.TokenActivity(ctx, fx.id, jti); err != nil || a.Active {
			t.Fatalf("token %s active after the marker: %+v %v", jti, a, err)
		}
	}
	if a, _ := e.s.TokenActivity(ctx, fx.id, keep.JTI); !a.Active {
		t.Fatalf("a bystander's token was revoked: %+v", a)
	}
	// A crash in the middle of the batches, then a retry that finishes.
	// Calls: the marker, the pointer page, n client reads, then one transaction
	// per batch of 25: a batch in the middle fails (the fifth of 250's ten).
	crashAt := (n+24)/25/2 + 1
	e.f.Arm(n + 2 + crashAt)
	if _, err := e.s.FinishUserRevocation(ctx, fx.id, u.ID); !errors.Is(err, ErrInjected) {
		t.Fatalf("want the injected crash, got %v", err)
	}
	e.f.Arm(0)
	done, err := e.s.FinishUserRevocation(ctx, fx.id, u.ID)
	if err != nil || len(done) != n {
		t.Fatalf("retry: %d %v", len(done), err)
	}
	agents, err := e.s.UserAgents(ctx, fx.id, u.ID)
	if err != nil || len(agents) != n {
		t.Fatalf("agents: %d %v", len(agents), err)
	}
	for _, c := range agents {
		if c.Active || c.RevokedBefore.Before(mark.At) {
			t.Fatalf("agent %s not deactivated: %+v", c.ID, c)
		}
		if err := e.s.CheckIssuable(ctx, fx.id, c); !errors.Is(err, store.ErrClientInactive) {
			t.Fatalf("agent %s still issuable: %v", c.ID, err)
		}
	}
	// A third run changes nothing (idempotent): reads only, no write.
	e.f.Arm(0)
	if _, err := e.s.FinishUserRevocation(ctx, fx.id, u.ID); err != nil || e.f.Calls != n+2 {
		t.Fatalf("third run: %v after %d calls", err, e.f.Calls)
	}
	evs, _ := e.s.AuditEventsOn(ctx, fx.id, e.s.Now())
	count := 0
	for _, ev := range evs {
		if ev.Event == "user.agents_revoked" {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("%d user.agents_revoked events", count)
	}
}

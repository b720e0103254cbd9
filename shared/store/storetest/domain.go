package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Run runs the domain store's conformance tiers over an engine.
func Run(t *testing.T, newTable TableFactory) {
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
	}
	for _, tier := range tiers {
		t.Run(tier.name, func(t *testing.T) {
			clock := NewClock()
			f := &Faulty{Table: newTable(t, clock)}
			e := &env{s: store.New(f, clock.Now), f: f, clock: clock,
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
		wantErr(t, "duplicate platform key", e.s.CreatePlatformKey(ctx, k), store.ErrConflict)
		_, err = e.s.PlatformKeyByHash(ctx, ids.Hash("other"))
		wantErr(t, "unknown platform key", err, store.ErrNotFound)
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
	if _, err := e.s.APIKeyByHash(ctx, a.id, ids.Hash(a.secret)); err != nil {
		t.Fatalf("tenant A's admin key: %v", err)
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
		k := store.PlatformKey{ID: "pk_race", Hash: ids.Hash("race"), CreatedAt: e.s.Now()}
		errs := race(2, func(int) error { return e.s.CreatePlatformKey(ctx, k) })
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

package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
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
		{"Contention", domainContention},
		{"Users", domainUsers},
		{"Tokens", domainTokens},
		{"ReplayMarks", domainReplay},
		{"Issuance", domainIssuance},
		{"Codes", domainCodes},
		{"AdminKeys", domainAdminKeys},
		{"Agents", domainAgents},
		{"ClientReads", domainClientReads},
		{"MayActGrants", domainGrants},
		{"MayActGrantSets", domainGrantSets},
		{"SigningKeyRotation", domainRotation},
		{"SigningKeyAlgorithms", domainKeyAlgorithms},
		{"Activity", domainActivity},
		{"Revocation", domainRevocation},
		{"UserCascade", domainCascade},
		{"DCR", domainDCR},
		{"AuditTrail", domainAudit},
		{"AuditTwins", domainAuditTwins},
		{"TokenItems", domainTokenItems},
		{"Sessions", domainSessions},
		{"ResourceServers", domainResourceServers},
		{"UseMarks", domainUseMarks},
		{"RevocationFeed", domainFeed},
		{"SignInLinks", domainSignInLinks},
	}
	for _, tier := range tiers {
		t.Run(tier.name, func(t *testing.T) {
			clock := NewClock()
			f := &tabletest.Faulty{Table: newTable(t, clock)}
			e := &env{s: store.New(f, clock.Now), f: f, clock: clock, opts: opts,
				fresh: func() *store.Store { return store.New(newTable(t, clock), clock.Now) }}
			tier.run(t, e)
		})
	}
}

type env struct {
	s     *store.Store
	f     *tabletest.Faulty
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

// token issues a token to c now, living for ttl, bound to jkt when set, as
// the token endpoint does: one token item (jti and issue event twins; with
// jkt, the jti derives from a DPoP proof's mark).
func (e *env) token(t *testing.T, id tenant.ID, c store.Client, ttl time.Duration, jkt string) store.TokenRecord {
	t.Helper()
	now := e.s.Now()
	jti, evID, evAt := store.NewTokenIDs(now, store.DefaultAuditShards)
	var marks []store.ReplayMark
	if jkt != "" {
		m := store.ReplayMark{Kind: "dpop", Value: jkt + "|" + ids.NanoID(), Until: now.Add(time.Minute)}
		jti, evID, evAt = store.NewDPoPTokenIDs(now, store.DefaultAuditShards, m)
		marks = append(marks, m)
	}
	rec := store.TokenRecord{JTI: jti, ClientID: c.ClientID, AgentID: c.ID, Subject: c.ClientID, Scope: "mcp:read", Audience: []string{"https://api.test"},
		JKT: jkt, KID: "kid-" + id.String(), GrantType: "client_credentials", IssuedAt: now, ExpiresAt: now.Add(ttl)}
	ev := store.AuditEvent{ID: evID, Event: "oauth.token_issued", ActorType: "client", ActorID: c.ClientID, TargetType: "token", TargetID: jti,
		Status: "success", CreatedAt: evAt, Metadata: map[string]any{"scope": rec.Scope, "jkt": jkt, "aud": rec.Audience, "grant_type": rec.GrantType, "jti": jti}}
	if err := e.s.IssueToken(t.Context(), id, store.Issuance{Token: rec, Marks: marks, Event: ev}); err != nil {
		t.Fatalf("issue token: %v", err)
	}
	rec.Version = 1
	e.clock.Advance(time.Millisecond)
	return rec
}

package embedded_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/embedded"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// benchStore is a domain store with tenant "bench", one user and one of its
// agents holding a token.
func benchStore(b *testing.B) (*store.Store, *embedded.Table, tenant.ID, store.Client, string) {
	b.Helper()
	s, tb, id, c, jti, _ := benchStoreDir(b)
	return s, tb, id, c, jti
}

// benchStoreDir is benchStore and the directory of its files.
func benchStoreDir(b *testing.B) (*store.Store, *embedded.Table, tenant.ID, store.Client, string, string) {
	b.Helper()
	clock := tabletest.NewClock()
	tb, dir := benchTableDir(b)
	s := store.New(tb, clock.Now)
	id := tenant.MustID("bench")
	now := s.Now()
	ev := func(name string) store.AuditEvent {
		return store.AuditEvent{ID: ids.New("aud_"), Event: name, ActorType: "bench", Metadata: map[string]any{}, Status: "success", CreatedAt: now}
	}
	err := s.CreateTenant(b.Context(), store.NewTenant{
		Tenant:     store.Tenant{ID: "bench", Name: "bench", CreatedAt: now, UpdatedAt: now},
		SigningKey: store.SigningKey{KID: "kid", State: store.KeyCurrent, Mode: store.ModeLocal, CreatedAt: now},
		AdminKey:   store.APIKey{ID: "key_b", Hash: ids.Hash("k"), Scopes: []string{"*"}, CreatedAt: now},
		Events:     []store.AuditEvent{ev("tenant.created")},
	})
	if err != nil {
		b.Fatal(err)
	}
	u := store.User{ID: "usr_b", Email: "b@example.com", CreatedAt: now}
	if err := s.CreateUser(b.Context(), id, u, ev("user.created")); err != nil {
		b.Fatal(err)
	}
	c := store.Client{ID: "agent_b", ClientID: "shark_agent_b", Kind: "agent", Active: true, CreatedBy: u.ID, CreatedAt: now}
	if err := s.CreateClient(b.Context(), id, c, ev("agent.created")); err != nil {
		b.Fatal(err)
	}
	clock.Advance(time.Second)
	rec := store.TokenRecord{JTI: "jti-b", ClientID: c.ClientID, KID: "kid", IssuedAt: s.Now(), ExpiresAt: s.Now().Add(time.Hour)}
	if err := s.IssueToken(b.Context(), id, store.Issuance{Token: rec, Event: ev("oauth.token_issued")}); err != nil {
		b.Fatal(err)
	}
	return s, tb, id, c, rec.JTI, dir
}

// BenchmarkTokenActivity is introspection's decision over the five layers:
// four strongly consistent reads (token, client, user marker, tenant).
func BenchmarkTokenActivity(b *testing.B) {
	s, _, id, _, jti := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		a, err := s.TokenActivity(b.Context(), id, jti)
		if err != nil || !a.Active {
			b.Fatal(a, err)
		}
	}
}

// BenchmarkCheckIssuable is the issuance check of an agent with a creator (one read).
func BenchmarkCheckIssuable(b *testing.B) {
	s, _, id, c, _ := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CheckIssuable(b.Context(), id, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueToken is a DPoP token's write through the domain store, as
// the token endpoint makes it (jti derived from the proof, its issue event
// its twin): one token item, whose key is the proof's replay mark, in one
// conditional put, from 8 concurrent writers. pages/token is how many pages of
// the file the group commits wrote per token (bbolt): what each fsync must
// flush; written-B/token is what the process wrote to disk per token
// (compactions included), dir-B/token the size of the data directory at the
// end over the tokens issued.
func BenchmarkIssueToken(b *testing.B) {
	s, tb, id, c, _, dir := benchStoreDir(b)
	now := s.Now()
	var n atomic.Int64
	pages := tb.PagesWritten()
	written := writeBytes()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := strconv.FormatInt(n.Add(1), 10)
			mark := store.ReplayMark{Kind: "dpop", Value: "jkt|p" + k, Until: now.Add(time.Minute)}
			jti, evID, evAt := store.NewDPoPTokenIDs(now, store.DefaultAuditShards, mark)
			rec := store.TokenRecord{JTI: jti, ClientID: c.ClientID, KID: "kid", JKT: "jkt", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
			ev := store.AuditEvent{ID: evID, Event: "oauth.token_issued", ActorType: "client", ActorID: c.ClientID, TargetType: "token", TargetID: jti,
				Metadata: map[string]any{"jti": jti, "jkt": "jkt"}, Status: "success", CreatedAt: evAt}
			if err := s.IssueToken(b.Context(), id, store.Issuance{Token: rec, Marks: []store.ReplayMark{mark}, Event: ev}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(tb.PagesWritten()-pages)/float64(b.N), "pages/token")
	if written >= 0 {
		b.ReportMetric(float64(writeBytes()-written)/float64(b.N), "written-B/token")
	}
	b.ReportMetric(float64(dirBytes(b, dir))/float64(b.N), "dir-B/token")
}

package store

import (
	"context"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// nopTable accepts every write and keeps nothing.
type nopTable struct{ Table }

func (nopTable) Put(context.Context, Item, Cond) (int64, error) { return 1, nil }
func (nopTable) Transact(context.Context, []Write) error        { return nil }

// BenchmarkIssueTokenBuild is the store's own CPU of a DPoP token's
// IssueToken, as the token endpoint makes it, on a table that writes
// nothing: the token item built and encoded, its keys, its event part.
func BenchmarkIssueTokenBuild(b *testing.B) {
	acme := tenant.MustID("acme")
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	s := New(nopTable{}, func() time.Time { return now })
	// The metadata the token endpoint gives a client_credentials token:
	// all of it derived from the record.
	rec, ev, marks := goldenToken("jkt-1|proof-1", func(e *AuditEvent) { delete(e.Metadata, "dpop") })
	is := Issuance{Token: rec, Marks: marks, Event: ev}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.IssueToken(b.Context(), acme, is); err != nil {
			b.Fatal(err)
		}
	}
}

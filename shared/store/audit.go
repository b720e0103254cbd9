package store

import (
	"context"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// auditWrite is the write that records ev in the same transaction as the change
// it describes.
func auditWrite(sc scope, ev AuditEvent) Write {
	return put(Item{
		Key:  Key{PK: auditPartition(sc, ev.CreatedAt), SK: auditSK(ev.CreatedAt, ev.ID)},
		Data: marshal(ev),
	}, CondAbsent)
}

// AuditEventsOn returns a tenant's audit events of one UTC day, oldest first.
func (s *Store) AuditEventsOn(ctx context.Context, t tenant.ID, day time.Time) ([]AuditEvent, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return nil, err
	}
	return all[AuditEvent](ctx, s, Query{Partition: auditPartition(sc, day)}, nil)
}

package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sharkauth/serverless/shared/tenant"
)

func setTenantVersion(t *Tenant, v int64) { t.Version = v }

func tenantItem(sc scope, t Tenant) Item {
	return Item{Key: tenantKey(sc), GSI1PK: tenantIndex(), GSI1SK: t.ID, Data: marshal(t)}
}

func hostItem(host string, id string) Item {
	return Item{Key: hostKey(host), Data: []byte(id)}
}

// NewTenant is everything a tenant starts with, written in one transaction.
type NewTenant struct {
	Tenant     Tenant
	SigningKey SigningKey // state current
	AdminKey   APIKey
	Events     []AuditEvent
}

// CreateTenant writes a tenant, its host names, its first signing key, its first
// admin key and their audit events, all or nothing. An existing tenant id or a
// host name taken by another tenant is ErrConflict.
func (s *Store) CreateTenant(ctx context.Context, n NewTenant) error {
	id, err := tenant.ParseID(n.Tenant.ID)
	if err != nil {
		return err
	}
	sc, _ := scopeOf(id)
	writes := []write{put(tenantItem(sc, n.Tenant), CondAbsent)}
	for _, h := range n.Tenant.Hosts {
		writes = append(writes, put(hostItem(h, n.Tenant.ID), CondAbsent))
	}
	writes = append(writes, put(Item{Key: signingKeyKey(sc, n.SigningKey.KID), Data: marshal(n.SigningKey)}, CondAbsent))
	writes = append(writes, apiKeyWrites(sc, n.AdminKey)...)
	for _, ev := range n.Events {
		writes = append(writes, auditWrite(sc, ev))
	}
	return s.transact(ctx, writes, func(i int) string {
		switch {
		case i == 0:
			return "tenant " + n.Tenant.ID + " exists"
		case i <= len(n.Tenant.Hosts):
			return "host " + n.Tenant.Hosts[i-1] + " belongs to another tenant"
		}
		return "tenant " + n.Tenant.ID + " records exist"
	})
}

// GetTenant reads a tenant (disabled ones included).
func (s *Store) GetTenant(ctx context.Context, id tenant.ID) (Tenant, error) {
	sc, err := scopeOf(id)
	if err != nil {
		return Tenant{}, err
	}
	return get(ctx, s, tenantKey(sc), setTenantVersion)
}

// TenantByHost returns the id of the tenant a host name maps to.
func (s *Store) TenantByHost(ctx context.Context, host string) (tenant.ID, error) {
	if host == "" {
		return tenant.ID{}, ErrNotFound
	}
	it, err := s.table.Get(ctx, hostKey(host))
	if err != nil {
		return tenant.ID{}, err
	}
	return tenant.ParseID(string(it.Data))
}

// ListTenants pages through every tenant in id order.
func (s *Store) ListTenants(ctx context.Context, pr PageRequest) (ListPage[Tenant], error) {
	q := Query{Index: GSI1, Partition: tenantIndex()}
	return list(ctx, s, q, string(platform)+"|tenants", pr, setTenantVersion)
}

// UpdateTenant applies mutate to the stored tenant and writes it with ev, in one
// transaction conditioned on the version read; host name changes move their
// host items in the same transaction. It retries a few times when a
// concurrent update wins. mutate must not change the id. A disable or a
// re-enable sets RevokedBefore; mutate cannot move it back.
func (s *Store) UpdateTenant(ctx context.Context, id tenant.ID, mutate func(*Tenant) error, ev AuditEvent) (Tenant, error) {
	sc, err := scopeOf(id)
	if err != nil {
		return Tenant{}, err
	}
	for attempt := range attempts {
		if err := settle(ctx, attempt); err != nil {
			return Tenant{}, err
		}
		cur, err := s.GetTenant(ctx, id)
		if err != nil {
			return Tenant{}, err
		}
		next := cur
		next.Hosts = slices.Clone(cur.Hosts)
		if err := mutate(&next); err != nil {
			return Tenant{}, err
		}
		if next.ID != cur.ID {
			return Tenant{}, errors.New("store: a tenant's id cannot change")
		}
		// Revocation is never reversible (DESIGN §5): a disable, a
		// re-enable (and any change while disabled) revokes every token
		// issued until now, for good, and the time never moves back.
		next.RevokedBefore = later(cur.RevokedBefore, next.RevokedBefore)
		if cur.Disabled || next.Disabled {
			next.RevokedBefore = later(next.RevokedBefore, s.Now())
		}
		writes := []write{put(tenantItem(sc, next), CondVersion(cur.Version))}
		added, removed := diff(cur.Hosts, next.Hosts)
		for _, h := range added {
			writes = append(writes, put(hostItem(h, next.ID), CondAbsent))
		}
		for _, h := range removed {
			writes = append(writes, del(hostKey(h), CondAlways))
		}
		writes = append(writes, auditWrite(sc, ev))
		writes = append(writes, tenantFeed(sc, cur, next, s.Now())...)
		err = s.table.Transact(ctx, writes)
		if err == nil {
			next.Version = cur.Version + 1
			return next, nil
		}
		var canceled *TxCanceled
		switch {
		case errors.As(err, &canceled) && canceled.Index >= 1 && canceled.Index <= len(added):
			return Tenant{}, fmt.Errorf("%w: host %s belongs to another tenant", ErrConflict, added[canceled.Index-1])
		case errors.As(err, &canceled) && canceled.Index == 0, errors.Is(err, ErrTxConflict):
			continue // lost to a concurrent update: read again
		default:
			return Tenant{}, err
		}
	}
	return Tenant{}, contended("tenant %s changed concurrently", id)
}

// diff returns what next adds to and removes from cur.
func diff(cur, next []string) (added, removed []string) {
	for _, h := range next {
		if !slices.Contains(cur, h) {
			added = append(added, h)
		}
	}
	for _, h := range cur {
		if !slices.Contains(next, h) {
			removed = append(removed, h)
		}
	}
	return added, removed
}

// TenantOf returns the request's tenant record as the resolver cached it
// (tenant.Tenant.Record): configuration for hot paths, up to the tenant cache
// TTL old. ok is false outside a resolved request.
func TenantOf(ctx context.Context) (Tenant, bool) {
	t, ok := tenant.From(ctx)
	if !ok {
		return Tenant{}, false
	}
	rec, ok := t.Record.(Tenant)
	return rec, ok
}

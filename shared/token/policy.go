package token

import (
	"context"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// DefaultLifetime is an access token's lifetime when the client sets none,
// and DefaultMaxLifetime the tenant maximum when the tenant sets none.
const (
	DefaultLifetime    = 900 * time.Second
	DefaultMaxLifetime = 3600 * time.Second
)

// policy is what a tenant's record says about issuing tokens.
type policy struct {
	defaultAudience string
	audiences       []string
	maxLifetime     time.Duration
	dpopNonce       bool
	revokedKIDs     []string
}

func policyOf(t store.Tenant) policy {
	p := policy{defaultAudience: t.DefaultAudience, audiences: t.Audiences, dpopNonce: t.DPoPNonce,
		revokedKIDs: t.RevokedKIDs, maxLifetime: DefaultMaxLifetime}
	if t.MaxTokenLifetime > 0 {
		p.maxLifetime = time.Duration(t.MaxTokenLifetime) * time.Second
	}
	return p
}

// policy is the tenant's token policy: from the record the resolver cached
// for this request (store.TenantOf, no table call), or read from the store
// when the request was not resolved with one.
func (h *Handler) policy(ctx context.Context, t tenant.Tenant) (policy, error) {
	if rec, ok := store.TenantOf(ctx); ok && rec.ID == t.ID.String() {
		return policyOf(rec), nil
	}
	rec, err := h.Store.GetTenant(ctx, t.ID)
	if err != nil {
		return policy{}, err
	}
	return policyOf(rec), nil
}

// lifetime is the client's lifetime (default 900 s) bounded by the tenant
// maximum and by limit (a subject token's remaining life) when set.
func lifetime(c store.Client, p policy, limit time.Duration) time.Duration {
	lt := DefaultLifetime
	if c.TokenLifetime > 0 {
		lt = time.Duration(c.TokenLifetime) * time.Second
	}
	lt = min(lt, p.maxLifetime, store.MaxTokenLifetime)
	if limit > 0 {
		lt = min(lt, limit)
	}
	return lt
}

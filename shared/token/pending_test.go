package token

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// pendingTokens stands in for the contract's token methods until the store
// that implements them (admin-api branch) is on main; every other method is
// the real store's. DELETE this file on the switch: the harness then uses
// *store.Store itself.
type pendingTokens struct {
	*store.Store
	now   func() time.Time
	mu    sync.Mutex
	toks  map[string]store.TokenRecord
	marks map[string]time.Time
}

func newPendingTokens(s *store.Store, now func() time.Time) Store {
	return &pendingTokens{Store: s, now: now, toks: map[string]store.TokenRecord{}, marks: map[string]time.Time{}}
}

func (p *pendingTokens) IssueToken(_ context.Context, t tenant.ID, rec store.TokenRecord, marks []store.ReplayMark, _ store.AuditEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range marks {
		if until, ok := p.marks[t.String()+m.Kind+m.Value]; ok && until.After(p.now()) {
			return fmt.Errorf("%w: %s", store.ErrReplay, m.Kind)
		}
	}
	for _, m := range marks {
		p.marks[t.String()+m.Kind+m.Value] = m.Until
	}
	p.toks[t.String()+rec.JTI] = rec
	return nil
}

func (p *pendingTokens) GetToken(_ context.Context, t tenant.ID, jti string) (store.TokenRecord, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rec, ok := p.toks[t.String()+jti]
	if !ok {
		return rec, store.ErrNotFound
	}
	return rec, nil
}

func (p *pendingTokens) RevokeToken(_ context.Context, t tenant.ID, jti string, _ store.AuditEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	rec, ok := p.toks[t.String()+jti]
	if !ok {
		return store.ErrNotFound
	}
	rec.RevokedAt = p.now()
	p.toks[t.String()+jti] = rec
	return nil
}

func (p *pendingTokens) CheckIssuable(context.Context, tenant.ID, store.Client) error { return nil }

func (p *pendingTokens) TokenActivity(ctx context.Context, t tenant.ID, jti string) (store.Activity, error) {
	rec, err := p.GetToken(ctx, t, jti)
	if err != nil {
		return store.Activity{Reason: "unknown"}, nil
	}
	c, err := p.GetClient(ctx, t, rec.ClientID)
	switch {
	case !p.now().Before(rec.ExpiresAt):
		return store.Activity{Reason: "expired", Token: rec}, nil
	case !rec.RevokedAt.IsZero():
		return store.Activity{Reason: "revoked", Token: rec}, nil
	case err != nil || !c.Active:
		return store.Activity{Reason: "client_inactive", Token: rec}, nil
	}
	return store.Activity{Active: true, Token: rec}, nil
}

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// FirstBoot is what a first boot created; the keys are shown once.
type FirstBoot struct {
	AdminKey    string // the root tenant's first admin key ("" when it existed)
	PlatformKey string
}

// Boot prepares a deployment on its first start: the root tenant (with its
// signing key and first admin key) and a platform key. On later starts it
// finds the root tenant and returns nil: keys are never shown twice.
func (e *Env) Boot(ctx context.Context) (*FirstBoot, error) {
	root := e.Config.RootTenant
	if root.IsZero() {
		return nil, errors.New("app: first boot needs a root tenant")
	}
	exists, err := e.tenantExists(ctx, root)
	if err != nil || exists {
		return nil, err
	}
	platformKey, err := e.NewPlatformKey(ctx)
	if err != nil {
		return nil, err
	}
	adminKey, err := e.CreateTenant(ctx, root)
	if err != nil {
		return nil, err
	}
	return &FirstBoot{AdminKey: adminKey, PlatformKey: platformKey}, nil
}

func (e *Env) tenantExists(ctx context.Context, id tenant.ID) (bool, error) {
	_, err := e.Store.GetTenant(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}

// NewPlatformKey creates a platform operator key and returns it, once.
func (e *Env) NewPlatformKey(ctx context.Context) (string, error) {
	key := ids.NewKey(ids.PlatformKeyPrefix)
	pk := store.PlatformKey{ID: ids.New("pk_"), Hash: ids.Hash(key), CreatedAt: e.Store.Now()}
	if err := e.Store.CreatePlatformKey(ctx, pk); err != nil {
		return "", fmt.Errorf("app: platform key: %w", err)
	}
	return key, nil
}

// CreateTenant creates a tenant outside the platform API (first boot, the
// bootstrap command) and returns its first admin key, once.
func (e *Env) CreateTenant(ctx context.Context, id tenant.ID) (string, error) {
	now := e.Store.Now()
	t := store.Tenant{ID: id.String(), Name: id.String(), DCRPolicy: "open", CreatedAt: now, UpdatedAt: now}
	n, adminKey, err := admin.Bootstrap(ctx, e.Sealer, t, now, nil, audit.Actor{Type: "system", ID: "bootstrap"})
	if err != nil {
		return "", fmt.Errorf("app: create tenant %s: %w", id, err)
	}
	if err := e.Store.CreateTenant(ctx, n); err != nil {
		return "", fmt.Errorf("app: create tenant %s: %w", id, err)
	}
	return adminKey, nil
}

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// FirstBoot is what a first boot created; the keys are shown once.
type FirstBoot struct {
	AdminKey    string // the root tenant's first admin key
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
	if _, err := e.Store.GetTenant(ctx, root); err == nil {
		return nil, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	now := e.Store.Now()
	system := audit.Actor{Type: "system", ID: "first-boot"}
	t := store.Tenant{ID: root.String(), Name: root.String(), DCRPolicy: "open", CreatedAt: now, UpdatedAt: now}
	n, adminKey, err := admin.Bootstrap(ctx, e.Sealer, t, now, nil, system)
	if err != nil {
		return nil, fmt.Errorf("app: first boot: %w", err)
	}
	platformKey := ids.NewKey(ids.PlatformKeyPrefix)
	if err := e.Store.CreatePlatformKey(ctx, store.PlatformKey{ID: ids.New("pk_"), Hash: ids.Hash(platformKey), CreatedAt: now}); err != nil {
		return nil, fmt.Errorf("app: first boot: %w", err)
	}
	if err := e.Store.CreateTenant(ctx, n); err != nil {
		return nil, fmt.Errorf("app: first boot: %w", err)
	}
	return &FirstBoot{AdminKey: adminKey, PlatformKey: platformKey}, nil
}

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
	AdminKey    string // the root tenant's first admin key
	PlatformKey string
}

// Boot is BootWith without an announcement: tests and callers that show the
// keys themselves afterwards.
func (e *Env) Boot(ctx context.Context) (*FirstBoot, error) { return e.BootWith(ctx, nil) }

// BootWith prepares a deployment on its first start: the root tenant (with
// its signing key and first admin key) and a platform key. The keys are made
// in memory and handed to announce (which prints and saves them) BEFORE
// anything is stored: if announce fails nothing is stored and the next start
// is a first boot again, so a key is never stored without having been shown.
// On later starts (the root tenant exists) it returns nil: keys are never
// shown twice; `shark recover-key` mints new ones.
func (e *Env) BootWith(ctx context.Context, announce func(*FirstBoot) error) (*FirstBoot, error) {
	root := e.Config.RootTenant
	if root.IsZero() {
		return nil, errors.New("app: first boot needs a root tenant")
	}
	exists, err := e.tenantExists(ctx, root)
	if err != nil || exists {
		return nil, err
	}
	platformKey, pk := e.newPlatformKey()
	n, adminKey, err := e.prepareTenant(ctx, root)
	if err != nil {
		return nil, err
	}
	boot := &FirstBoot{AdminKey: adminKey, PlatformKey: platformKey}
	if announce != nil {
		if err := announce(boot); err != nil {
			return nil, errors.Join(err, e.Sealer.Discard(ctx, n.SigningKey))
		}
	}
	if err := e.Store.CreatePlatformKey(ctx, pk); err != nil {
		return nil, errors.Join(fmt.Errorf("app: platform key: %w", err), e.Sealer.Discard(ctx, n.SigningKey))
	}
	if err := e.storeTenant(ctx, n); err != nil {
		return nil, err
	}
	return boot, nil
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

func (e *Env) newPlatformKey() (string, store.PlatformKey) {
	key := ids.NewKey(ids.PlatformKeyPrefix)
	return key, store.PlatformKey{ID: ids.New("pk_"), Hash: ids.Hash(key), CreatedAt: e.Store.Now()}
}

// NewPlatformKey creates a platform operator key and returns it, once.
func (e *Env) NewPlatformKey(ctx context.Context) (string, error) {
	key, pk := e.newPlatformKey()
	if err := e.Store.CreatePlatformKey(ctx, pk); err != nil {
		return "", fmt.Errorf("app: platform key: %w", err)
	}
	return key, nil
}

// CreateTenant creates a tenant outside the platform API (first boot, the
// bootstrap command) and returns its first admin key, once.
func (e *Env) CreateTenant(ctx context.Context, id tenant.ID) (string, error) {
	n, adminKey, err := e.prepareTenant(ctx, id)
	if err != nil {
		return "", err
	}
	if err := e.storeTenant(ctx, n); err != nil {
		return "", err
	}
	return adminKey, nil
}

func (e *Env) prepareTenant(ctx context.Context, id tenant.ID) (store.NewTenant, string, error) {
	now := e.Store.Now()
	t := store.Tenant{ID: id.String(), Name: id.String(), DCRPolicy: "open", CreatedAt: now, UpdatedAt: now}
	n, adminKey, err := admin.Bootstrap(ctx, e.Sealer, t, now, nil, audit.Actor{Type: "system", ID: "bootstrap"})
	if err != nil {
		return n, "", fmt.Errorf("app: create tenant %s: %w", id, err)
	}
	return n, adminKey, nil
}

// storeTenant writes a prepared tenant; when that fails, the signing key made
// for it is released (kms mode schedules its KMS key for deletion).
func (e *Env) storeTenant(ctx context.Context, n store.NewTenant) error {
	if err := e.Store.CreateTenant(ctx, n); err != nil {
		return errors.Join(fmt.Errorf("app: create tenant %s: %w", n.Tenant.ID, err), e.Sealer.Discard(ctx, n.SigningKey))
	}
	return nil
}

// MintAdminKey creates a new admin key (scope *) for an existing tenant
// outside the admin API and returns it, once: the recovery path when the
// first-boot key was lost. The event names the system as actor.
func (e *Env) MintAdminKey(ctx context.Context, id tenant.ID) (string, error) {
	if _, err := e.Store.GetTenant(ctx, id); err != nil {
		return "", fmt.Errorf("app: tenant %s: %w", id, err)
	}
	now := e.Store.Now()
	k, secret := admin.NewAdminKey("recovered admin key", []string{"*"}, now)
	ev := audit.New(nil, now, audit.APIKeyCreated, audit.Actor{Type: "system", ID: "recover-key"},
		audit.Target{Type: "api_key", ID: k.ID}, map[string]any{"scopes": k.Scopes, "key_prefix": k.Prefix})
	if err := e.Store.CreateAPIKey(ctx, id, k, ev); err != nil {
		return "", fmt.Errorf("app: admin key for %s: %w", id, err)
	}
	return secret, nil
}

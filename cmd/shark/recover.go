package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/spf13/cobra"
)

// recoverKey mints a new admin key for a tenant (or, with --platform, a new
// platform key) straight from the local data dir: the way back when the keys
// printed at first boot were lost. It needs the data file to itself, so
// `shark serve` must be stopped. Existing keys keep working.
func recoverKeyCommand() *cobra.Command {
	fs := flag.NewFlagSet("recover-key", flag.ContinueOnError)
	data := fs.String("data", envOr("DATA", "./.data"), "data directory of the local stack (env DATA)")
	tenantID := fs.String("tenant", "default", "tenant that gets a new admin key")
	platform := fs.Bool("platform", false, "mint a platform key instead of an admin key")
	link := fs.Bool("link", false, "print a one-time dashboard sign-in link (one use, 15 minutes) instead of an admin key")
	dashboard := fs.String("dashboard", "http://127.0.0.1:8080", "the stack's base URL, for --link")
	storeKind := fs.String("store", config.StoreEmbedded, "storage engine: embedded or dynamodb")
	endpoint := fs.String("endpoint", "", "AWS endpoint for --store dynamodb or --keys envelope|kms")
	table := fs.String("table", "sharkauth", "DynamoDB table for --store dynamodb")
	keyMode := fs.String("keys", "local", "key mode: local, envelope or kms")
	return flagSetCommand(fs, func(ctx context.Context) error {
		id, err := tenant.ParseID(*tenantID)
		if err != nil {
			return fmt.Errorf("--tenant: %w", err)
		}
		if *storeKind == config.StoreEmbedded {
			if _, err := os.Stat(*data); err != nil {
				return fmt.Errorf("no local stack in %s: %w", *data, err)
			}
		}
		cfg := config.Config{
			RootTenant: tenant.MustID("default"), Store: *storeKind, DataDir: *data, TableName: *table,
			Endpoint: *endpoint, Region: envOr("AWS_REGION", "us-east-1"), KeyMode: *keyMode,
			KMSKeyID: os.Getenv("KMS_KEY_ID"), TenantCacheTTL: time.Second, LogLevel: "warn",
		}
		env, err := openEnv(ctx, cfg)
		if err != nil {
			return err
		}
		defer env.Close()
		if *platform {
			key, err := env.NewPlatformKey(ctx)
			if err != nil {
				return err
			}
			fmt.Printf("platform key: %s\n(shown once: store it now)\n", key)
			return nil
		}
		if *link {
			if _, err := env.Store.GetTenant(ctx, id); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("tenant %s does not exist in %s", id, *data)
			}
			if !printSignInLink(ctx, env, id, strings.TrimRight(*dashboard, "/"), "recover-key") {
				return errors.New("no sign-in link was made")
			}
			fmt.Println("(start `shark serve` and open it within 15 minutes)")
			return nil
		}
		key, err := env.MintAdminKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("tenant %s does not exist in %s", id, *data)
		}
		if err != nil {
			return err
		}
		fmt.Printf("admin key (tenant %s): %s\n(shown once: store it now)\n", id, key)
		return nil
	})
}

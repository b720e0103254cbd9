package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
	"github.com/spf13/cobra"
)

// bootstrap prepares a deployed stack, which has no first boot of its own: it
// creates a platform key and, with --root-tenant, the root tenant, and prints
// their keys once. It runs with the operator's AWS credentials against the
// stack's table and KMS key (the template's outputs).
func bootstrapCommand() *cobra.Command {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	table := fs.String("table", os.Getenv(config.EnvTableName), "the stack's DynamoDB table (env TABLE_NAME)")
	keyMode := fs.String("keys", envOr(config.EnvKeyMode, store.ModeEnvelope), "key mode of the stack: envelope or kms")
	kmsKey := fs.String("kms-key-id", os.Getenv(config.EnvKMSKeyID), "the stack's wrapping key (envelope mode)")
	root := fs.String("root-tenant", "", "also create this tenant (the stack's RootTenant), if it does not exist")
	endpoint := fs.String("endpoint", "", "AWS endpoint (an emulator); empty for AWS")
	region := fs.String("region", os.Getenv(config.EnvRegion), "AWS region")
	return flagSetCommand(fs, func(ctx context.Context) error {
		cfg := config.Config{Store: config.StoreDynamoDB, TableName: *table, KeyMode: *keyMode, KMSKeyID: *kmsKey,
			Endpoint: *endpoint, Region: *region, LogLevel: "warn"}
		env, err := openEnv(ctx, cfg)
		if err != nil {
			return err
		}
		defer env.Close()
		var rootID tenant.ID
		if *root != "" {
			if rootID, err = tenant.ParseID(*root); err != nil {
				return fmt.Errorf("--root-tenant: %w", err)
			}
		}
		pk, err := env.NewPlatformKey(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("platform key: %s\n", pk)
		if rootID.IsZero() {
			return nil
		}
		ak, err := env.CreateTenant(ctx, rootID)
		if errors.Is(err, store.ErrConflict) {
			fmt.Printf("tenant %s exists: no new admin key\n", rootID)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Printf("admin key (tenant %s): %s\n", rootID, ak)
		fmt.Printf("SHARK_URL for tenant %s: <ApiUrl>/t/%s (ApiUrl is a stack output; <ApiUrl> alone when the stack's RootTenant parameter is %s)\n", rootID, rootID, rootID)
		return nil
	})
}

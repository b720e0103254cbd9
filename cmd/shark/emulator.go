package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sharkauth/serverless/infra"
	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/store"
)

// openEnv builds the environment a command runs in: the emulator readied
// first when --endpoint names one.
func openEnv(ctx context.Context, cfg config.Config) (*app.Env, error) {
	return openEnvWith(ctx, cfg, app.Options{})
}

func openEnvWith(ctx context.Context, cfg config.Config, opts app.Options) (*app.Env, error) {
	if err := prepareEmulator(ctx, &cfg); err != nil {
		return nil, err
	}
	return app.NewEnv(ctx, cfg, opts)
}

// localKeyAlias names the wrapping key the runner creates on an emulator.
const localKeyAlias = "alias/sharkauth-local"

// prepareEmulator readies an AWS emulator (moto's server) given with
// --endpoint: it creates the table from infra/table.yaml if it is missing, and
// in envelope mode finds or creates the wrapping key. Without --endpoint it
// does nothing: on real AWS the template owns these resources.
func prepareEmulator(ctx context.Context, cfg *config.Config) error {
	if cfg.Endpoint == "" {
		return nil
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		// The emulator accepts any credentials.
		os.Setenv("AWS_ACCESS_KEY_ID", "testing")
		os.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")))
	if err != nil {
		return err
	}
	awsCfg.BaseEndpoint = aws.String(cfg.Endpoint)
	if cfg.Store == config.StoreDynamoDB {
		if err := ensureTable(ctx, dynamodb.NewFromConfig(awsCfg), cfg.TableName); err != nil {
			return fmt.Errorf("emulator table: %w", err)
		}
	}
	if cfg.KeyMode == store.ModeEnvelope && cfg.KMSKeyID == "" {
		id, err := ensureKey(ctx, kms.NewFromConfig(awsCfg))
		if err != nil {
			return fmt.Errorf("emulator KMS key: %w", err)
		}
		cfg.KMSKeyID = id
	}
	return nil
}

func ensureTable(ctx context.Context, c *dynamodb.Client, name string) error {
	_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var missing *ddbtypes.ResourceNotFoundException
	if err == nil || !errors.As(err, &missing) {
		return err
	}
	if _, err := c.CreateTable(ctx, infra.CreateTableInput(name)); err != nil {
		return err
	}
	w := dynamodb.NewTableExistsWaiter(c)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		return err
	}
	_, err = c.UpdateTimeToLive(ctx, infra.UpdateTTLInput(name))
	return err
}

func ensureKey(ctx context.Context, c *kms.Client) (string, error) {
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(localKeyAlias)})
	if err == nil {
		return aws.ToString(d.KeyMetadata.KeyId), nil
	}
	var missing *kmstypes.NotFoundException
	if !errors.As(err, &missing) {
		return "", err
	}
	k, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, Description: aws.String("SharkAuth local wrapping key")})
	if err != nil {
		return "", err
	}
	id := aws.ToString(k.KeyMetadata.KeyId)
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(localKeyAlias), TargetKeyId: aws.String(id)})
	return id, err
}

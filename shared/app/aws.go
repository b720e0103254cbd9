package app

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/config"
)

// loadAWS is the AWS configuration of the local runner and the CLI: the
// SDK's whole default chain (environment, shared config and credentials
// files, SSO, web identity, instance roles), as an operator's machine needs.
// The Lambda bootstraps use core.LambdaAWS instead.
func loadAWS(ctx context.Context, cfg config.Config) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryer(core.NewRetryer)}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	c, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return c, fmt.Errorf("app: AWS configuration: %w", err)
	}
	if cfg.Endpoint != "" {
		c.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return c, nil
}

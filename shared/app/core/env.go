package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sharkauth/serverless/shared/config"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Env is what every function of one process shares: configuration, clock,
// store, key mode and key cache, and the tenant resolver.
type Env struct {
	Config  config.Config
	Now     func() time.Time
	Store   *store.Store
	Sealer  keys.Sealer
	Keys    *keys.Cache
	Tenants *tenant.Resolver
	Log     *slog.Logger

	closers []func() error
}

// Options lets tests and the local runner replace parts of the environment.
type Options struct {
	Now func() time.Time
	// Table replaces the configured engine.
	Table store.Table
	// AWS replaces the AWS configuration loaded from the environment.
	AWS *aws.Config
	// LoadAWS loads the AWS configuration when AWS is nil; nil means
	// LambdaAWS (credentials from the environment, as Lambda gives them).
	// app.NewEnv, for the local runner and the CLI, sets the SDK's whole
	// default chain (profiles, SSO, web identity), which the Lambda
	// bootstraps do not link.
	LoadAWS func(context.Context, config.Config) (aws.Config, error)
	// LogOutput receives the JSON logs (default stderr).
	LogOutput io.Writer
	// KMS replaces the KMS client of the envelope and kms key modes.
	KMS keys.KMSAPI
	// WarmUp opens the connection to DynamoDB while init goes on (warmUp),
	// when the store is DynamoDB at its AWS endpoint (not an emulator's) and
	// the AWS configuration has an HTTP client (LambdaAWS sets one). Only
	// the Lambda bootstraps set it.
	WarmUp bool
}

// OpenEmbedded opens the embedded store of a data directory for NewEnv when
// the configuration asks for it and Options.Table is not given. Package
// shared/app/localstore sets it; the local runner and the tests import that
// package, the Lambda bootstraps do not, so they link no embedded engine.
var OpenEmbedded func(dataDir string, now func() time.Time) (table store.Table, closeTable func() error, err error)

// NewEnv builds the environment. It makes no network call: cold starts stay
// cheap, and the first request pays for what it uses.
func NewEnv(ctx context.Context, cfg config.Config, opts Options) (*Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	e := &Env{Config: cfg, Now: opts.Now, Log: httpx.NewLogger(opts.LogOutput, cfg.LogLevel)}
	slog.SetDefault(e.Log)
	if e.Now == nil {
		e.Now = time.Now
	}
	needAWS := cfg.Store == config.StoreDynamoDB || (cfg.KeyMode != store.ModeLocal && opts.KMS == nil)
	var awsCfg aws.Config
	if needAWS {
		if opts.AWS != nil {
			awsCfg = *opts.AWS
		} else {
			load := opts.LoadAWS
			if load == nil {
				load = LambdaAWS
			}
			var err error
			if awsCfg, err = load(ctx, cfg); err != nil {
				return nil, err
			}
		}
	}
	if opts.WarmUp && opts.Table == nil && cfg.Store == config.StoreDynamoDB && cfg.Endpoint == "" && awsCfg.HTTPClient != nil {
		if url := dynamoDBURL(ctx, awsCfg.Region); url != "" {
			go warmUp(context.WithoutCancel(ctx), awsCfg.HTTPClient, url)
		}
	}
	table := opts.Table
	if table == nil {
		var err error
		if table, err = e.openTable(cfg, awsCfg); err != nil {
			return nil, err
		}
	}
	e.Store = store.New(table, e.Now)
	kmsClient := opts.KMS
	if kmsClient == nil && cfg.KeyMode != store.ModeLocal {
		kmsClient = newKMSCalls(kms.NewFromConfig(awsCfg))
	}
	sealer, err := newSealer(cfg, kmsClient, e.Now)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Sealer = sealer
	if e.Keys, err = keys.NewCache(sealer); err != nil {
		e.Close()
		return nil, err
	}
	e.Tenants, err = tenant.NewResolver(directory{e.Store}, tenant.Options{
		PublicURL: cfg.PublicURL, Root: cfg.RootTenant, AnyHost: cfg.AnyHost,
		CacheTTL: cfg.TenantCacheTTL, Now: e.Now,
	})
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Close releases what the environment opened (the embedded database file).
func (e *Env) Close() error {
	var errs []error
	for _, c := range e.closers {
		errs = append(errs, c())
	}
	e.closers = nil
	return errors.Join(errs...)
}

// SDK retries: a throttled or failed call is retried at most sdkMaxAttempts
// times in all, with jittered backoff capped at sdkMaxBackoff, and never past
// the request's context deadline (Lambda's remaining time less
// deadlineHeadroom): what is left is answered 503 temporarily_unavailable
// with Retry-After, not held until the function times out.
const (
	sdkMaxAttempts = 3
	sdkMaxBackoff  = 200 * time.Millisecond
)

// NewRetryer is the retry policy of every AWS client (above).
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = sdkMaxAttempts
		o.MaxBackoff = sdkMaxBackoff
	})
}

// LambdaAWS is the AWS configuration of a Lambda function: the execution
// role's credentials, which Lambda puts in the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the region
// (cfg.Region, else AWS_DEFAULT_REGION) and cfg.Endpoint (an emulator). It
// reads no file and links none of the SDK's other credential sources.
func LambdaAWS(_ context.Context, cfg config.Config) (aws.Config, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("app: AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function's role)")
	}
	c := aws.Config{
		Region:      cfg.Region,
		Retryer:     NewRetryer,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))),
		// One HTTP client (the SDK's default) for every AWS client of the
		// function, so the connection warmUp opens is in the pool the
		// first call draws from.
		HTTPClient: awshttp.NewBuildableClient(),
	}
	if c.Region == "" {
		c.Region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if cfg.Endpoint != "" {
		c.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return c, nil
}

func (e *Env) openTable(cfg config.Config, awsCfg aws.Config) (store.Table, error) {
	switch cfg.Store {
	case config.StoreEmbedded:
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("app: data dir: %w", err)
		}
		if OpenEmbedded == nil {
			return nil, errors.New("app: this program does not link the embedded store (import shared/app/localstore, or pass Options.Table)")
		}
		t, closeTable, err := OpenEmbedded(cfg.DataDir, e.Now)
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, closeTable)
		return t, nil
	default:
		return dynamodb.New(awsdynamodb.NewFromConfig(awsCfg), cfg.TableName, e.Now), nil
	}
}

func newSealer(cfg config.Config, kmsClient keys.KMSAPI, now func() time.Time) (keys.Sealer, error) {
	switch cfg.KeyMode {
	case store.ModeLocal:
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("app: data dir: %w", err)
		}
		master, err := keys.LoadOrCreateMasterKey(filepath.Join(cfg.DataDir, "master.key"))
		if err != nil {
			return nil, err
		}
		return keys.NewLocal(master, now)
	case store.ModeEnvelope:
		return keys.NewEnvelope(kmsClient, cfg.KMSKeyID, now)
	default:
		return keys.NewKMS(kmsClient, now)
	}
}

// directory answers the resolver from the store.
type directory struct{ s *store.Store }

func (d directory) Lookup(ctx context.Context, id tenant.ID) (tenant.Info, error) {
	t, err := d.s.GetTenant(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return tenant.Info{}, tenant.ErrUnknown
	}
	return tenant.Info{Disabled: t.Disabled, Record: t}, err
}

func (d directory) LookupHost(ctx context.Context, host string) (tenant.ID, error) {
	id, err := d.s.TenantByHost(ctx, host)
	if errors.Is(err, store.ErrNotFound) {
		return id, tenant.ErrUnknown
	}
	return id, err
}

package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Storage engines.
const (
	StoreEmbedded = "embedded"
	StoreDynamoDB = "dynamodb"
)

// Config is the validated configuration.
type Config struct {
	// PublicURL is the external base URL (scheme, host, optional base path)
	// that issuers and absolute URLs are built from; "" takes it from each
	// request (API Gateway's domainName and X-Forwarded-Proto).
	PublicURL string
	// AnyHost (the local runner without PublicURL) makes every host that is
	// not a tenant's the deployment's own, so issuers follow the Host the
	// client used. On AWS only API Gateway's domain names are.
	AnyHost bool
	// FetchLoopback lets the SSRF-safe fetcher of client-controlled URLs
	// (jwks_uri, client metadata documents) reach loopback addresses, as
	// the embedded engine's local deployment always may: set only by the
	// local runner for the bootstraps it runs on this machine (`shark serve
	// --lambda`), whose clients run here too; never by the template (on
	// Lambda, loopback is the runtime API's).
	FetchLoopback bool
	// RootTenant is the tenant served at the root (no /t/{tenant}); zero: none.
	RootTenant tenant.ID
	// Store is the engine: embedded (bbolt file in DataDir) or dynamodb.
	Store string
	// DataDir holds the embedded database and the local master key.
	DataDir string
	// TableName is the DynamoDB table.
	TableName string
	// Endpoint overrides the AWS endpoint (the local emulator); "" for AWS.
	Endpoint string
	// Region is the AWS region ("" lets the SDK decide).
	Region string
	// KeyMode is how signing keys are protected: local, envelope or kms.
	KeyMode string
	// KMSKeyID is the KMS key that wraps data keys in envelope mode.
	KMSKeyID string
	// TenantCacheTTL bounds how long a container reuses a tenant lookup.
	TenantCacheTTL time.Duration
	// DocsURL is advertised as service_documentation.
	DocsURL string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// AuditRetentionDays is the audit retention of tenants created without
	// one (AUDIT_RETENTION_DAYS, the template's AuditRetentionDays); 0 is the
	// store's default.
	AuditRetentionDays int
}

// Env variable names.
const (
	EnvPublicURL          = "PUBLIC_URL"
	EnvRootTenant         = "ROOT_TENANT"
	EnvStore              = "STORE"
	EnvDataDir            = "DATA"
	EnvTableName          = "TABLE_NAME"
	EnvEndpoint           = "AWS_ENDPOINT_URL"
	EnvRegion             = "AWS_REGION"
	EnvKeyMode            = "KEY_MODE"
	EnvKMSKeyID           = "KMS_KEY_ID"
	EnvTenantTTL          = "TENANT_CACHE_TTL"
	EnvDocsURL            = "DOCS_URL"
	EnvLogLevel           = "LOG_LEVEL"
	EnvAuditRetentionDays = "AUDIT_RETENTION_DAYS"
	// EnvAnyHost ("true") is AnyHost: set only by the local runner for the
	// bootstraps it runs (`shark serve --lambda`), never by the template.
	EnvAnyHost = "SHARK_ANY_HOST"
	// EnvFetchLoopback ("true") is FetchLoopback: local runner only, too.
	EnvFetchLoopback = "SHARK_FETCH_LOOPBACK"
)

// FromEnv reads the configuration through getenv (os.Getenv in production) and
// validates it. Defaults suit Lambda: dynamodb and envelope mode.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		PublicURL: getenv(EnvPublicURL),
		Store:     or(getenv(EnvStore), StoreDynamoDB),
		DataDir:   or(getenv(EnvDataDir), ".data"),
		TableName: getenv(EnvTableName),
		Endpoint:  getenv(EnvEndpoint),
		Region:    getenv(EnvRegion),
		KeyMode:   or(getenv(EnvKeyMode), store.ModeEnvelope),
		KMSKeyID:  getenv(EnvKMSKeyID),
		DocsURL:   or(getenv(EnvDocsURL), "https://github.com/sharkauth/serverless#readme"),
		LogLevel:  or(getenv(EnvLogLevel), "info"),
	}
	if root := getenv(EnvRootTenant); root != "" {
		id, err := tenant.ParseID(root)
		if err != nil {
			return c, fmt.Errorf("config: %s: %w", EnvRootTenant, err)
		}
		c.RootTenant = id
	}
	c.TenantCacheTTL = 5 * time.Second
	if v := getenv(EnvTenantTTL); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return c, fmt.Errorf("config: %s must be a duration such as 5s", EnvTenantTTL)
		}
		c.TenantCacheTTL = d
	}
	switch v := getenv(EnvAnyHost); v {
	case "", "false":
	case "true":
		c.AnyHost = true
	default:
		return c, fmt.Errorf("config: %s must be true or false", EnvAnyHost)
	}
	switch v := getenv(EnvFetchLoopback); v {
	case "", "false":
	case "true":
		c.FetchLoopback = true
	default:
		return c, fmt.Errorf("config: %s must be true or false", EnvFetchLoopback)
	}
	if v := getenv(EnvAuditRetentionDays); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("config: %s must be a number of days", EnvAuditRetentionDays)
		}
		c.AuditRetentionDays = n
	}
	return c, c.Validate()
}

// Validate checks a configuration built in code (the local runner's flags).
func (c *Config) Validate() error {
	var errs []error
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "") {
		errs = append(errs, fmt.Errorf("config: %s must be an absolute http(s) URL, got %q", EnvPublicURL, c.PublicURL))
	}
	switch c.Store {
	case StoreEmbedded:
		if c.DataDir == "" {
			errs = append(errs, fmt.Errorf("config: %s is required for the embedded store", EnvDataDir))
		}
		c.DataDir = filepath.Clean(c.DataDir)
	case StoreDynamoDB:
		if c.TableName == "" {
			errs = append(errs, fmt.Errorf("config: %s is required for the dynamodb store", EnvTableName))
		}
	default:
		errs = append(errs, fmt.Errorf("config: %s must be embedded or dynamodb, got %q", EnvStore, c.Store))
	}
	if !slices.Contains([]string{store.ModeLocal, store.ModeEnvelope, store.ModeKMS}, c.KeyMode) {
		errs = append(errs, fmt.Errorf("config: %s must be local, envelope or kms, got %q", EnvKeyMode, c.KeyMode))
	}
	if c.KeyMode == store.ModeEnvelope && c.KMSKeyID == "" {
		errs = append(errs, fmt.Errorf("config: %s is required in envelope mode", EnvKMSKeyID))
	}
	if c.KeyMode == store.ModeLocal && c.DataDir == "" {
		errs = append(errs, fmt.Errorf("config: %s is required in local key mode (it holds the master key)", EnvDataDir))
	}
	if c.AuditRetentionDays < 0 || c.AuditRetentionDays > store.MaxAuditRetentionDays {
		errs = append(errs, fmt.Errorf("config: %s must be from 1 to %d days (0: the default)", EnvAuditRetentionDays, store.MaxAuditRetentionDays))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		errs = append(errs, fmt.Errorf("config: %s must be debug, info, warn or error", EnvLogLevel))
	}
	return errors.Join(errs...)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

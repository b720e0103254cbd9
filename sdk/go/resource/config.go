package resource

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Defaults.
const (
	DefaultLeeway          = 30 * time.Second
	DefaultProofWindow     = 60 * time.Second
	DefaultJWKSTTL         = 5 * time.Minute
	DefaultJWKSMinTTL      = time.Minute
	DefaultJWKSMaxTTL      = time.Hour
	DefaultRefetchInterval = 30 * time.Second
	DefaultReplayCacheSize = 100_000
	DefaultHTTPTimeout     = 10 * time.Second
	// MaxTokenLength bounds the access token and the DPoP proof we parse.
	MaxTokenLength = 16 << 10
	// MaxActDepth bounds the nesting of act claims we accept.
	MaxActDepth = 16
)

// Config configures a Verifier. Issuer and Resource are required.
type Config struct {
	// Issuer is the token issuer, compared exactly with iss
	// (e.g. "http://localhost:8080" or "https://auth.example.com/t/acme").
	Issuer string
	// Resource is this resource server's identifier (RFC 9728 "resource",
	// RFC 8707), an absolute http(s) URL without query or fragment, e.g.
	// "https://mcp.example.com/mcp". Its metadata is served at the RFC 9728
	// well-known location derived from it.
	Resource string
	// Audiences accepted in aud; at least one must be present in the
	// token. Defaults to [Resource].
	Audiences []string
	// PublicURL is the external base URL of this server (scheme, host and
	// any path prefix a proxy strips), used to rebuild the DPoP htu as
	// PublicURL + request path. Never taken from the request's Host.
	// Defaults to the origin of Resource.
	PublicURL string
	// JWKSURL defaults to Issuer + "/.well-known/jwks.json".
	JWKSURL string
	// Scopes required by Middleware (all of them). RequireScopes adds more.
	Scopes []string
	// ScopesSupported is published in the metadata; defaults to Scopes.
	ScopesSupported []string
	// ResourceName is published in the metadata when set.
	ResourceName string
	// Algorithms allowed for access tokens; default ES256. Asymmetric only.
	Algorithms []string
	// DPoPAlgorithms allowed for proofs; default ES256 ES384 ES512 PS256 EdDSA.
	DPoPAlgorithms []string
	// RequireDPoP refuses tokens that are not DPoP-bound.
	RequireDPoP bool
	// Leeway for exp, nbf and iat of access tokens; default 30 s.
	Leeway time.Duration
	// ProofWindow: a proof's iat must be within ±ProofWindow of now, and its
	// jti is remembered that long; default 60 s.
	ProofWindow time.Duration
	// ReplayCacheSize bounds the remembered proof jtis; when full of live
	// entries new proofs are refused (503) rather than forgetting one.
	ReplayCacheSize int
	// JWKS cache bounds: the max-age of the JWKS response is clamped to
	// [JWKSMinTTL, JWKSMaxTTL]; JWKSTTL applies without max-age.
	JWKSTTL, JWKSMinTTL, JWKSMaxTTL time.Duration
	// RefetchInterval is the least time between two JWKS fetches (an unknown
	// kid triggers at most one fetch per interval).
	RefetchInterval time.Duration
	// Introspection, when set, also asks the authorization server about
	// every token (RFC 7662), for immediate revocation.
	Introspection *Introspection
	// Feed, when set, polls the issuer's revocation feed in the background
	// and refuses the tokens it revoked (within about Feed.Interval),
	// without a call per request. Call Close to stop it.
	Feed *Feed
	// HTTPClient for JWKS and introspection; default a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives refusals (never tokens or proofs); default discards.
	Logger *slog.Logger
}

// Verifier verifies requests against one issuer and resource. It is safe
// for concurrent use.
type Verifier struct {
	cfg          Config
	tokenAlgs    []jose.SignatureAlgorithm
	dpopAlgs     []jose.SignatureAlgorithm
	dpopAlgNames []string
	publicBase   string // normalised scheme://host[:port][/prefix], no trailing slash
	metadataURL  string
	metadataPath string
	jwks         *jwksCache
	replay       *replayCache
	introspector *introspector
	feed         *feedPoller
	log          *slog.Logger
}

var asymmetric = map[string]bool{
	"ES256": true, "ES384": true, "ES512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"EdDSA": true,
}

func algList(names, def []string) ([]jose.SignatureAlgorithm, []string, error) {
	if len(names) == 0 {
		names = def
	}
	out := make([]jose.SignatureAlgorithm, 0, len(names))
	for _, n := range names {
		if !asymmetric[n] {
			return nil, nil, fmt.Errorf("resource: algorithm %q is not an allowed asymmetric JWS algorithm", n)
		}
		out = append(out, jose.SignatureAlgorithm(n))
	}
	return out, names, nil
}

// New validates cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || strings.HasSuffix(cfg.Issuer, "/") {
		return nil, errors.New("resource: Issuer is required, without a trailing slash")
	}
	if _, err := absoluteURL(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("resource: Issuer: %w", err)
	}
	res, err := absoluteURL(cfg.Resource)
	if err != nil {
		return nil, fmt.Errorf("resource: Resource: %w", err)
	}
	if res.RawQuery != "" || res.ForceQuery {
		return nil, errors.New("resource: Resource must not have a query")
	}
	if len(cfg.Audiences) == 0 {
		cfg.Audiences = []string{cfg.Resource}
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = res.Scheme + "://" + res.Host
	}
	pub, err := absoluteURL(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("resource: PublicURL: %w", err)
	}
	if pub.RawQuery != "" {
		return nil, errors.New("resource: PublicURL must not have a query")
	}
	base, ok := normalizeHTU(cfg.PublicURL)
	base = strings.TrimSuffix(base, "/")
	if !ok {
		return nil, errors.New("resource: PublicURL cannot be normalised")
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = cfg.Issuer + "/.well-known/jwks.json"
	}
	if _, err := absoluteURL(cfg.JWKSURL); err != nil {
		return nil, fmt.Errorf("resource: JWKSURL: %w", err)
	}
	if len(cfg.ScopesSupported) == 0 {
		cfg.ScopesSupported = cfg.Scopes
	}
	for _, s := range append(append([]string{}, cfg.Scopes...), cfg.ScopesSupported...) {
		if !validScopeToken(s) {
			return nil, fmt.Errorf("resource: invalid scope %q", s)
		}
	}
	v := &Verifier{}
	if v.tokenAlgs, _, err = algList(cfg.Algorithms, []string{"ES256"}); err != nil {
		return nil, err
	}
	if v.dpopAlgs, v.dpopAlgNames, err = algList(cfg.DPoPAlgorithms, []string{"ES256", "ES384", "ES512", "PS256", "EdDSA"}); err != nil {
		return nil, err
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&cfg.Leeway, DefaultLeeway)
	setDur(&cfg.ProofWindow, DefaultProofWindow)
	setDur(&cfg.JWKSTTL, DefaultJWKSTTL)
	setDur(&cfg.JWKSMinTTL, DefaultJWKSMinTTL)
	setDur(&cfg.JWKSMaxTTL, DefaultJWKSMaxTTL)
	setDur(&cfg.RefetchInterval, DefaultRefetchInterval)
	if cfg.JWKSMaxTTL < cfg.JWKSMinTTL {
		return nil, errors.New("resource: JWKSMaxTTL is below JWKSMinTTL")
	}
	if cfg.ReplayCacheSize <= 0 {
		cfg.ReplayCacheSize = DefaultReplayCacheSize
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v.cfg = cfg
	v.log = cfg.Logger
	v.publicBase = base
	v.metadataPath, v.metadataURL = metadataLocation(res)
	v.jwks = newJWKSCache(&v.cfg, v.tokenAlgs)
	v.replay = newReplayCache(cfg.ReplayCacheSize)
	if cfg.Introspection != nil {
		if v.introspector, err = newIntrospector(&v.cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Feed != nil {
		if v.feed, err = newFeedPoller(&v.cfg, v.jwks); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func absoluteURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("must be an absolute http(s) URL without user info or fragment")
	}
	return u, nil
}

// validScopeToken reports whether s is an RFC 6749 §3.3 scope-token.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

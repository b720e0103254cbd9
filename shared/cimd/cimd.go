package cimd

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/register"
)

// Kinds of refusal; a Resolve error is an *Error that wraps one of them.
var (
	// ErrNotCIMD is a client_id that is not a metadata document URL.
	ErrNotCIMD = errors.New("cimd: not a client id metadata document URL")
	// ErrRefused is a document URL the tenant's policy refuses.
	ErrRefused = errors.New("cimd: refused by the tenant's policy")
	// ErrFetch is a document that could not be fetched (refused address,
	// status, size, time); the error also wraps the fetch error.
	ErrFetch = errors.New("cimd: the client metadata document could not be fetched")
	// ErrInvalid is a fetched document that breaks a rule.
	ErrInvalid = errors.New("cimd: invalid client metadata document")
)

// Error is why a client_id was refused. Description is safe to show (as
// text) on an error page: it names the broken rule, echoing at most a short
// sanitised value of the document (as registration errors do), never the
// URL, an address or a secret.
type Error struct {
	Kind        error
	Description string
	Cause       error
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Description }

// Unwrap lets errors.Is find the kind and the cause (e.g. fetch.ErrBlocked).
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

func refuse(kind error, desc string) *Error { return &Error{Kind: kind, Description: desc} }

// Bounds of a client id and its document, and of the cache.
const (
	// MaxClientIDLen bounds a client id URL.
	MaxClientIDLen = 2048
	// DefaultMaxBytes is the size of the largest document accepted (the
	// draft's recommended limit of 5 kilobytes).
	DefaultMaxBytes = 5 << 10
	// DefaultMinAge and DefaultMaxAge bound how long a checked document is
	// reused, whatever its cache headers say (no-store included: a client
	// cannot make us fetch its URL more than once a minute).
	DefaultMinAge = time.Minute
	DefaultMaxAge = 24 * time.Hour
	// DefaultCacheSize is how many client ids the cache holds.
	DefaultCacheSize = 1000
)

// Client is a client described by a Client ID Metadata Document.
type Client struct {
	ClientID, Name string
	RedirectURIs   []string
	AuthMethod     string
	JWKSURI        string
	Scope          string
	LogoURI        string
}

// IsCIMD reports whether clientID is a client id metadata document URL:
// https (spelled so), a host, a path without "." or ".." segments, no
// fragment and no user info (draft §3), printable ASCII, at most
// MaxClientIDLen bytes. A query is allowed.
func IsCIMD(clientID string) bool {
	if len(clientID) > MaxClientIDLen || !strings.HasPrefix(clientID, "https://") {
		return false
	}
	for _, c := range []byte(clientID) {
		if c < 0x21 || c > 0x7e || c == '#' || c == '\\' {
			return false
		}
	}
	u, err := url.Parse(clientID)
	if err != nil || u.Opaque != "" || u.User != nil || u.Hostname() == "" || u.Path == "" {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// Resolver resolves metadata document clients. The zero value is usable
// (with a default fetcher); a Resolver is safe for concurrent use.
type Resolver struct {
	// Fetcher fetches documents (https only, no private addresses,
	// bounded size, time and redirects); nil: a default one.
	Fetcher *fetch.Fetcher
	// Now is the cache's clock (default time.Now).
	Now func() time.Time
	// Policy returns the request's tenant policy; nil: TenantPolicy.
	Policy func(ctx context.Context) Policy
	// MaxBytes bounds a document (default DefaultMaxBytes); the fetcher's
	// own bound applies first.
	MaxBytes int
	// MinAge, MaxAge and CacheSize bound the cache (defaults above).
	MinAge, MaxAge time.Duration
	CacheSize      int

	once     sync.Once
	cache    *lru.Cache[string, entry]
	mu       sync.Mutex
	inflight map[string]*call
}

// call is a fetch in progress that concurrent resolutions of the same
// client id wait for instead of fetching again.
type call struct {
	done   chan struct{}
	client Client
	err    error
	ended  bool // the fetching caller's request ended first
}

// entry is a checked client, or a refusal, until expires.
type entry struct {
	client  Client
	err     error
	expires time.Time
}

func (r *Resolver) init() {
	r.once.Do(func() {
		if r.Fetcher == nil {
			r.Fetcher = &fetch.Fetcher{}
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.Policy == nil {
			r.Policy = TenantPolicy
		}
		if r.MaxBytes <= 0 {
			r.MaxBytes = DefaultMaxBytes
		}
		if r.MinAge <= 0 {
			r.MinAge = DefaultMinAge
		}
		if r.MaxAge <= 0 {
			r.MaxAge = DefaultMaxAge
		}
		if r.CacheSize <= 0 {
			r.CacheSize = DefaultCacheSize
		}
		c, err := lru.New[string, entry](r.CacheSize)
		if err != nil {
			panic(err) // only for a size <= 0, excluded above
		}
		r.cache = c
		r.inflight = map[string]*call{}
	})
}

// Resolve returns the client clientID's document describes: the tenant's
// policy is checked on every call, then the document comes from the cache
// while fresh, else it is fetched and checked. A refusal is an *Error; a
// document that could not be fetched or is invalid is remembered for
// MinAge, so that a client id cannot make us fetch more often.
func (r *Resolver) Resolve(ctx context.Context, clientID string) (Client, error) {
	c, err := r.resolve(ctx, clientID)
	// The cached client is shared: each caller gets its own list.
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	return c, err
}

func (r *Resolver) resolve(ctx context.Context, clientID string) (Client, error) {
	r.init()
	if !IsCIMD(clientID) {
		return Client{}, refuse(ErrNotCIMD, "a client metadata document client_id must be an https URL with a host and a path, without a fragment, user info or dot segments")
	}
	u, _ := url.Parse(clientID)
	if err := r.Policy(ctx).Check(u.Hostname()); err != nil {
		return Client{}, err
	}
	if e, ok := r.cache.Get(clientID); ok && r.Now().Before(e.expires) {
		return e.client, e.err
	}
	r.mu.Lock()
	if c, ok := r.inflight[clientID]; ok {
		r.mu.Unlock()
		select {
		case <-c.done:
			if c.ended && ctx.Err() == nil {
				// That caller's request ended, not ours: fetch again.
				return r.resolve(ctx, clientID)
			}
			return c.client, c.err
		case <-ctx.Done():
			return Client{}, &Error{Kind: ErrFetch, Description: "the request ended before the client metadata document was fetched", Cause: ctx.Err()}
		}
	}
	c := &call{done: make(chan struct{})}
	r.inflight[clientID] = c
	r.mu.Unlock()
	c.client, c.err = r.load(ctx, clientID)
	c.ended = ctx.Err() != nil
	r.mu.Lock()
	delete(r.inflight, clientID)
	r.mu.Unlock()
	close(c.done)
	return c.client, c.err
}

// load fetches and checks clientID's document and caches the outcome.
func (r *Resolver) load(ctx context.Context, clientID string) (Client, error) {
	now := r.Now()
	body, ttl, err := r.Fetcher.Document(ctx, clientID)
	if err != nil {
		if ctx.Err() != nil {
			return Client{}, &Error{Kind: ErrFetch, Description: "the request ended before the client metadata document was fetched", Cause: err}
		}
		ferr := &Error{Kind: ErrFetch, Description: fetchReason(err), Cause: err}
		r.cache.Add(clientID, entry{err: ferr, expires: now.Add(r.MinAge)})
		return Client{}, ferr
	}
	c, err := r.check(clientID, body)
	if err != nil {
		r.cache.Add(clientID, entry{err: err, expires: now.Add(r.MinAge)})
		return Client{}, err
	}
	r.cache.Add(clientID, entry{client: c, expires: now.Add(min(max(ttl, r.MinAge), r.MaxAge))})
	return c, nil
}

// fetchReason describes a fetch error without the URL or any address.
func fetchReason(err error) string {
	switch {
	case errors.Is(err, fetch.ErrBlocked):
		return "the client metadata document's host resolves to an address we do not connect to"
	case errors.Is(err, fetch.ErrURL):
		return "the client metadata document URL (or a redirect) is not https"
	case errors.Is(err, fetch.ErrTooLarge):
		return "the client metadata document is too large"
	case errors.Is(err, fetch.ErrStatus):
		return "the client metadata document URL did not answer 200"
	}
	return "the client metadata document could not be fetched"
}

// grants are the grant types a metadata document client may use.
var grants = []string{string(oauth.GrantAuthorizationCode), string(oauth.GrantRefreshToken)}

// check validates a fetched document (draft §4.1 and the registration
// rules of shared/register).
func (r *Resolver) check(clientID string, body []byte) (Client, error) {
	invalid := func(desc string) (Client, error) { return Client{}, refuse(ErrInvalid, desc) }
	if len(body) > r.MaxBytes {
		return invalid("the client metadata document is too large")
	}
	fields, err := register.DecodeFields(body)
	if err != nil {
		return invalid(describe(err))
	}
	var id string
	if raw, ok := fields["client_id"]; !ok || json.Unmarshal(raw, &id) != nil || id != clientID {
		// Compared byte for byte, with no normalisation (draft §4.1).
		return invalid("the document's client_id does not equal its URL")
	}
	for _, name := range []string{"client_secret", "client_secret_expires_at"} {
		if _, ok := fields[name]; ok {
			return invalid("a client metadata document must not contain " + name)
		}
	}
	if _, ok := fields["jwks"]; ok {
		return invalid("a client metadata document publishes its keys with jwks_uri, not jwks")
	}
	if _, ok := fields["token_endpoint_auth_method"]; !ok {
		// A document cannot carry a secret: without a method, the client
		// is public (not RFC 7591's client_secret_basic default).
		fields["token_endpoint_auth_method"] = json.RawMessage(`"none"`)
	}
	if _, ok := fields["redirect_uris"]; !ok {
		return invalid("redirect_uris is required")
	}
	m, err := register.Parse(fields)
	if err != nil {
		return invalid(describe(err))
	}
	switch oauth.AuthMethod(m.TokenEndpointAuthMethod) {
	case oauth.AuthNone:
	case oauth.PrivateKeyJWT:
		// register.Parse requires jwks or jwks_uri with it, and jwks was
		// refused above: the keys are at jwks_uri.
	default:
		return invalid("token_endpoint_auth_method must be none or private_key_jwt: a client metadata document cannot use a shared secret")
	}
	if len(m.RedirectURIs) == 0 {
		return invalid("redirect_uris is required")
	}
	for _, g := range m.GrantTypes {
		if !slices.Contains(grants, g) {
			return invalid("a client metadata document client may use only the authorization_code and refresh_token grants")
		}
	}
	return Client{
		ClientID: clientID, Name: m.ClientName, RedirectURIs: m.RedirectURIs,
		AuthMethod: m.TokenEndpointAuthMethod, JWKSURI: m.JWKSURI, Scope: m.Scope, LogoURI: m.LogoURI,
	}, nil
}

// describe is the description of a registration rule's error.
func describe(err error) string {
	var oe *oauth.Error
	if errors.As(err, &oe) && oe.Description != "" {
		return oe.Description
	}
	return "the client metadata document is invalid"
}

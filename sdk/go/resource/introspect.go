package resource

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Introspection configures the RFC 7662 mode: after the offline checks,
// every token is also sent to the authorization server, which knows about
// revocation, so a revoked token is refused at once (or within CacheTTL).
// Answers are cached for CacheTTL (never past the token's exp). Compare
// the offline mode (a revoked token is accepted until its exp) and Feed
// (refused within the feed's poll interval, no call per request).
type Introspection struct {
	// Endpoint defaults to Issuer + "/oauth/introspect".
	Endpoint string
	// ClientID and ClientSecret authenticate with client_secret_basic: the
	// usual choice is the resource server's own credential (`shark
	// resource create --resource URL`, client id shark_rs_...), which may
	// introspect exactly the tokens whose aud includes one of its
	// resources, and nothing else. (An agent's or application's credential
	// introspects only its own tokens.) Any token the credential may not
	// see answers inactive, so it is refused.
	ClientID, ClientSecret string
	// BearerKey authenticates with an admin key of the tenant
	// (Authorization: Bearer sk_live_..., scope * or introspect), which
	// may introspect every token of the tenant; used when ClientID is
	// empty. Prefer the resource server's credential: least privilege.
	BearerKey string
	// CacheTTL of an answer; default 5 s, at most 60 s. Revocation takes
	// effect here within CacheTTL.
	CacheTTL time.Duration
	// CacheSize bounds the cached answers; default 10000.
	CacheSize int
	// DisableCache asks the server on every request (revocation takes
	// effect at once, at the cost of one round trip per request).
	DisableCache bool
}

const maxIntrospectionBytes = 64 << 10

type introspector struct {
	cfg      *Config
	endpoint string
	ttl      time.Duration
	size     int

	mu    sync.Mutex
	cache map[[32]byte]cachedAnswer
}

type cachedAnswer struct {
	active bool
	until  time.Time
}

func newIntrospector(cfg *Config) (*introspector, error) {
	in := cfg.Introspection
	endpoint := in.Endpoint
	if endpoint == "" {
		endpoint = cfg.Issuer + "/oauth/introspect"
	}
	if _, err := absoluteURL(endpoint); err != nil {
		return nil, fmt.Errorf("resource: Introspection.Endpoint: %w", err)
	}
	if (in.ClientID == "" || in.ClientSecret == "") && in.BearerKey == "" {
		return nil, errors.New("resource: Introspection needs ClientID and ClientSecret, or BearerKey")
	}
	ttl := in.CacheTTL
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	ttl = min(ttl, time.Minute)
	size := in.CacheSize
	if size <= 0 {
		size = 10_000
	}
	return &introspector{cfg: cfg, endpoint: endpoint, ttl: ttl, size: size, cache: map[[32]byte]cachedAnswer{}}, nil
}

// active asks whether token is active, from the cache or the server.
func (in *introspector) active(ctx context.Context, token string, exp time.Time) (bool, error) {
	if in.cfg.Introspection.DisableCache {
		return in.ask(ctx, token)
	}
	key := sha256.Sum256([]byte(token))
	now := in.cfg.Now()
	in.mu.Lock()
	a, ok := in.cache[key]
	in.mu.Unlock()
	if ok && now.Before(a.until) {
		return a.active, nil
	}
	active, err := in.ask(ctx, token)
	if err != nil {
		return false, err
	}
	until := now.Add(in.ttl)
	if exp.Before(until) {
		until = exp
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.cache) >= in.size {
		for k, a := range in.cache {
			if !now.Before(a.until) {
				delete(in.cache, k)
			}
		}
	}
	if len(in.cache) < in.size {
		in.cache[key] = cachedAnswer{active: active, until: until}
	}
	return active, nil
}

func (in *introspector) ask(ctx context.Context, token string) (bool, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	ic := in.cfg.Introspection
	if ic.ClientID != "" {
		// RFC 6749 §2.3.1: form-encode both parts before Basic.
		req.SetBasicAuth(url.QueryEscape(ic.ClientID), url.QueryEscape(ic.ClientSecret))
	} else {
		req.Header.Set("Authorization", "Bearer "+ic.BearerKey)
	}
	resp, err := in.cfg.HTTPClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("introspection: status %d", resp.StatusCode)
	}
	var body struct {
		Active *bool `json:"active"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxIntrospectionBytes)).Decode(&body); err != nil || body.Active == nil {
		return false, errors.New("introspection: malformed answer")
	}
	return *body.Active, nil
}

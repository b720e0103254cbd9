package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const maxJWKSBytes = 1 << 20

var (
	errUnknownKID = errors.New("no key with this kid in the JWKS")
	errJWKSFetch  = errors.New("the JWKS could not be fetched")
)

// jwksCache holds the issuer's verification keys by kid. A fetch happens
// when the cache is empty, expired, or asked for an unknown kid, and never
// twice within RefetchInterval (so a flood of made-up kids costs at most one
// fetch per interval). One fetch runs at a time, outside the lock: requests
// for keys already held (even expired ones) do not wait for it, requests for
// other kids wait for its result. When a fetch fails the keys already held
// stay usable.
type jwksCache struct {
	cfg  *Config
	algs map[string]bool

	mu        sync.Mutex // guards the fields below
	keys      map[string]*jose.JSONWebKey
	expires   time.Time
	lastFetch time.Time
	lastErr   error         // result of the last fetch
	fetched   bool          // a fetch has completed
	inflight  chan struct{} // closed when the running fetch ends; nil when none
}

func newJWKSCache(cfg *Config, algs []jose.SignatureAlgorithm) *jwksCache {
	m := map[string]bool{}
	for _, a := range algs {
		m[string(a)] = true
	}
	return &jwksCache{cfg: cfg, algs: m}
}

// key returns the key for kid, fetching the JWKS when needed and allowed.
func (c *jwksCache) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	c.mu.Lock()
	for {
		now := c.cfg.Now()
		k, known := c.keys[kid]
		switch {
		case known && c.fetched && now.Before(c.expires):
			c.mu.Unlock()
			return k, nil
		case c.inflight != nil:
			ch := c.inflight
			c.mu.Unlock()
			if known {
				return k, nil // stale while the refresh runs
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, fmt.Errorf("%w: %v", errJWKSFetch, ctx.Err())
			}
			c.mu.Lock()
			continue
		case c.fetched && now.Sub(c.lastFetch) < c.cfg.RefetchInterval:
			err := c.lastErr
			c.mu.Unlock()
			if known {
				return k, nil
			}
			if err != nil {
				return nil, err
			}
			return nil, errUnknownKID
		}
		c.lastFetch = now
		ch := make(chan struct{})
		c.inflight = ch
		c.mu.Unlock()
		keys, ttl, err := c.download(ctx)
		c.mu.Lock()
		c.fetched, c.lastErr, c.inflight = true, err, nil
		if err == nil {
			c.keys, c.expires = keys, now.Add(ttl)
		}
		close(ch)
		k, known = c.keys[kid]
		c.mu.Unlock()
		switch {
		case known:
			return k, nil
		case err != nil:
			return nil, err
		}
		return nil, errUnknownKID
	}
}

// keysChanged lets the next lookup fetch the JWKS at once, whatever the
// refetch interval: the revocation feed said a signing key was retired in
// an emergency, so tokens signed by a new key are coming.
func (c *jwksCache) keysChanged() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastFetch, c.expires = time.Time{}, time.Time{}
}

// download fetches and filters the JWKS: only public signing keys with a
// kid and, when they name one, an allowed alg.
func (c *jwksCache) download(ctx context.Context) (map[string]*jose.JSONWebKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.JWKSURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errJWKSFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errJWKSFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%w: status %d", errJWKSFetch, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil || len(body) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("%w: body unreadable or too large", errJWKSFetch)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil || set.Keys == nil {
		return nil, 0, fmt.Errorf("%w: not a JWKS", errJWKSFetch)
	}
	keys := map[string]*jose.JSONWebKey{}
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue // a key we cannot use (other kty, bad members) is skipped
		}
		if k.KeyID == "" || !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if k.Algorithm != "" && !c.algs[k.Algorithm] {
			continue
		}
		if _, dup := keys[k.KeyID]; dup {
			continue
		}
		keys[k.KeyID] = &k
	}
	return keys, c.ttl(resp.Header.Values("Cache-Control")), nil
}

// ttl reads max-age from Cache-Control and clamps it to the configured
// bounds; no-store or no-cache give the minimum.
func (c *jwksCache) ttl(values []string) time.Duration {
	d := c.cfg.JWKSTTL
	for _, v := range values {
		for _, dir := range strings.Split(v, ",") {
			dir = strings.ToLower(strings.TrimSpace(dir))
			switch {
			case dir == "no-store" || dir == "no-cache":
				return c.cfg.JWKSMinTTL
			case strings.HasPrefix(dir, "max-age="):
				if n, err := strconv.ParseInt(strings.Trim(dir[len("max-age="):], `"`), 10, 64); err == nil && n >= 0 {
					if n > int64(c.cfg.JWKSMaxTTL/time.Second) {
						n = int64(c.cfg.JWKSMaxTTL / time.Second)
					}
					d = time.Duration(n) * time.Second
				}
			}
		}
	}
	return min(max(d, c.cfg.JWKSMinTTL), c.cfg.JWKSMaxTTL)
}

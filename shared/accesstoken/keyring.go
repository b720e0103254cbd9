package accesstoken

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// KeySource reads a tenant's signing key records.
type KeySource interface {
	SigningKeys(ctx context.Context, t tenant.ID) ([]store.SigningKey, error)
}

// DefaultTTL is how long a tenant's key records are reused. A scheduled
// rotation publishes the next key a JWKS cache lifetime (300 s) before it
// signs, so a few seconds of staleness never signs with an unpublished key;
// an emergency rotation's revoked kid is refused by introspection at once
// (store TokenActivity), whatever this cache holds.
const DefaultTTL = 30 * time.Second

// Keyring gives the token function a tenant's current signing key (opened
// once through the key cache) and its published keys, reading the records
// at most once per TTL per tenant, and again at once (at most every
// refreshGap) when a token names a kid it does not know.
type Keyring struct {
	Source KeySource
	Cache  *keys.Cache
	Now    func() time.Time
	TTL    time.Duration

	mu      sync.Mutex
	tenants map[tenant.ID]*ring
}

type ring struct {
	mu     sync.Mutex
	loaded time.Time
	// current holds the tenant's current key of each algorithm it has.
	current   map[string]store.SigningKey
	published jose.JSONWebKeySet
}

const refreshGap = 5 * time.Second

func (k *Keyring) now() time.Time {
	if k.Now == nil {
		return time.Now()
	}
	return k.Now()
}

func (k *Keyring) ttl() time.Duration {
	if k.TTL <= 0 {
		return DefaultTTL
	}
	return k.TTL
}

func (k *Keyring) ring(t tenant.ID) *ring {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tenants == nil {
		k.tenants = map[tenant.ID]*ring{}
	}
	r, ok := k.tenants[t]
	if !ok {
		r = &ring{}
		k.tenants[t] = r
	}
	return r
}

// load returns the tenant's ring, reading the records when they are older
// than maxAge.
func (k *Keyring) load(ctx context.Context, t tenant.ID, maxAge time.Duration) (*ring, error) {
	r := k.ring(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := k.now()
	if !r.loaded.IsZero() && now.Sub(r.loaded) < maxAge {
		return r, nil
	}
	records, err := k.Source.SigningKeys(ctx, t)
	if err != nil {
		return nil, err
	}
	r.current = map[string]store.SigningKey{}
	for _, alg := range []string{store.AlgES256, store.AlgRS256} {
		if cur, err := keys.CurrentFor(records, alg); err == nil {
			r.current[alg] = cur
		}
	}
	r.published = keys.PublicJWKS(records, now)
	r.loaded = now
	return r, nil
}

// Signer returns the tenant's current ES256 key: SignerFor(ES256).
func (k *Keyring) Signer(ctx context.Context, t tenant.ID, revoked []string) (keys.Key, error) {
	return k.SignerFor(ctx, t, revoked, store.AlgES256)
}

// SignerFor returns the tenant's current key of algorithm alg, opened through
// the key cache. revoked are the tenant's revoked kids
// (store.Tenant.RevokedKIDs): a cached current key among them (an emergency
// rotation happened since the records were read) makes the records be read
// again at once, so no token is signed with a key that is already refused.
// No cached current key of alg (an RS256 key made since the records were
// read) makes them be read again at most every refreshGap.
func (k *Keyring) SignerFor(ctx context.Context, t tenant.ID, revoked []string, alg string) (keys.Key, error) {
	r, err := k.load(ctx, t, k.ttl())
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	cur, ok := r.current[alg]
	r.mu.Unlock()
	if ok && slices.Contains(revoked, cur.KID) {
		if r, err = k.load(ctx, t, 0); err != nil {
			return nil, err
		}
		r.mu.Lock()
		cur, ok = r.current[alg]
		ok = ok && !slices.Contains(revoked, cur.KID)
		r.mu.Unlock()
	} else if !ok && alg != store.AlgES256 {
		if r, err = k.load(ctx, t, refreshGap); err != nil {
			return nil, err
		}
		r.mu.Lock()
		cur, ok = r.current[alg]
		r.mu.Unlock()
	}
	if !ok {
		return nil, keys.ErrNoCurrentKey
	}
	return k.Cache.Open(ctx, t, cur)
}

// Verify verifies raw as an access token of tenant t (issuer iss), refreshing
// the key set once when the token names a kid not yet seen.
func (k *Keyring) Verify(ctx context.Context, t tenant.ID, iss, raw string) (Parsed, error) {
	r, err := k.load(ctx, t, k.ttl())
	if err != nil {
		return Parsed{}, err
	}
	r.mu.Lock()
	set := r.published
	r.mu.Unlock()
	if UnknownKID(raw, set) {
		if r, err = k.load(ctx, t, refreshGap); err != nil {
			return Parsed{}, err
		}
		r.mu.Lock()
		set = r.published
		r.mu.Unlock()
	}
	return Verify(raw, set, iss, k.now())
}

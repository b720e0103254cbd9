package accesstoken

import (
	"context"

	"github.com/sharkauth/serverless/shared/tenant"
)

// Cold reports whether tenant t's key records are older than the TTL (or
// were never read): the next SignerFor reads them, and, on an instance's
// first use of the key, opens it (a KMS Decrypt in envelope mode).
func (k *Keyring) Cold(t tenant.ID) bool {
	r := k.ring(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loaded.IsZero() || k.now().Sub(r.loaded) >= k.ttl()
}

// Warm reads tenant t's key records when they are older than the TTL and
// opens its current key of alg through the cache, so that a SignerFor
// that follows (or runs meanwhile: both wait for the same read and open)
// finds them ready. A failure is left for that SignerFor to meet: the
// cache keeps no failed open. It does not look at revoked kids: SignerFor
// still refuses a revoked key and reads the records again.
func (k *Keyring) Warm(ctx context.Context, t tenant.ID, alg string) {
	r, err := k.load(ctx, t, k.ttl())
	if err != nil {
		return
	}
	r.mu.Lock()
	cur, ok := r.current[alg]
	r.mu.Unlock()
	if ok {
		_, _ = k.Cache.Open(ctx, t, cur)
	}
}

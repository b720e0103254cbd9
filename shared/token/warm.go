package token

import (
	"context"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// warmSigner starts reading tenant t's signing keys and opening its current
// ES256 key (the default algorithm; in envelope mode a KMS Decrypt) while
// the request authenticates its client, when the instance has not read
// them within the keyring's TTL: on a cold start the key's round trips
// overlap the client's read instead of following it. The returned func
// cancels what is still running and waits for it, so nothing outlives the
// request; a cancelled open is not cached, and SignerFor opens the key
// itself when the warm-up did not.
//
// An unauthenticated request can make an instance read the keys early:
// at most once per TTL per tenant, as the first token would anyway; the
// Decrypt happens once per key and instance.
func (h *Handler) warmSigner(ctx context.Context, t tenant.Tenant) (stop func()) {
	if !h.ring.Cold(t.ID) {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ring.Warm(ctx, t.ID, store.AlgES256)
	}()
	return func() {
		cancel()
		<-done
	}
}

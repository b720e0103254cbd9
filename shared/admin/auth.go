package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// bearer extracts a bearer key with the expected prefix, with the errors of
// WIRE §2: missing → "missing API key", wrong prefix → "invalid API key format".
func bearer(r *http.Request, prefix string) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", httpx.Unauthorized("missing API key")
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", httpx.Unauthorized("missing API key")
	}
	key = strings.TrimSpace(key)
	if !strings.HasPrefix(key, prefix) || len(key) <= len(prefix) || len(key) > 128 {
		return "", httpx.Unauthorized("invalid API key format")
	}
	return key, nil
}

type platformKeyCtx struct{}

// requirePlatformKey authenticates an operator by platform key. Keys are looked
// up by their SHA-256 and the digest is compared again in constant time.
func requirePlatformKey(s *store.Store, next httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		key, err := bearer(r, ids.PlatformKeyPrefix)
		if err != nil {
			return err
		}
		pk, err := s.PlatformKeyByHash(r.Context(), ids.Hash(key))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return httpx.Unauthorized("invalid API key")
		case err != nil:
			return httpx.Internal(err)
		case !ids.Matches(key, pk.Hash) || !pk.RevokedAt.IsZero():
			return httpx.Unauthorized("invalid API key")
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), platformKeyCtx{}, pk.ID)))
	}
}

func platformKeyID(ctx context.Context) string {
	id, _ := ctx.Value(platformKeyCtx{}).(string)
	return id
}

// authenticateAdmin authenticates a tenant admin (WIRE §2): an sk_live_ key
// of the request's tenant t, looked up by its SHA-256 within that tenant only
// (a key of another tenant is simply unknown here), compared again in
// constant time, unrevoked and unexpired, and carrying scope "*". It returns
// the key's id.
func authenticateAdmin(s *store.Store, r *http.Request, t tenant.ID) (string, error) {
	key, err := bearer(r, ids.AdminKeyPrefix)
	if err != nil {
		return "", err
	}
	k, err := s.APIKeyByHash(r.Context(), t, ids.Hash(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", httpx.Unauthorized("invalid API key")
	case err != nil:
		return "", httpx.Internal(err)
	}
	switch k.Check(key, s.Now()) {
	case store.KeyValid:
	case store.KeyRevoked:
		return "", httpx.Unauthorized("API key revoked")
	case store.KeyExpired:
		return "", httpx.Unauthorized("API key expired")
	case store.KeyNotAdmin:
		return "", httpx.Forbidden("this API key lacks scope *")
	default:
		return "", httpx.Unauthorized("invalid API key")
	}
	return k.ID, nil
}

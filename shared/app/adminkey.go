package app

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// adminKey authenticates a tenant admin key (WIRE §2) for the audit
// function and returns the key's id. The key is looked up by its SHA-256 in
// the request's tenant only (a key of another tenant is unknown here), the
// digest is compared again in constant time, revoked and expired keys are
// refused, and the key must carry scope "*". The admin function's own
// middleware may replace it; the errors are the same.
func (e *Env) adminKey(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, key, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", httpx.Unauthorized("missing API key")
	}
	key = strings.TrimSpace(key)
	if !strings.HasPrefix(key, ids.AdminKeyPrefix) || len(key) <= len(ids.AdminKeyPrefix) || len(key) > 128 {
		return "", httpx.Unauthorized("invalid API key format")
	}
	t, ok := tenant.From(r.Context())
	if !ok {
		return "", httpx.Internal(errors.New("admin key: request without a tenant"))
	}
	k, err := e.Store.APIKeyByHash(r.Context(), t.ID, ids.Hash(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", httpx.Unauthorized("invalid API key")
	case err != nil:
		return "", httpx.Internal(err)
	case !ids.Matches(key, k.Hash) || !k.ActiveAt(e.Store.Now()):
		return "", httpx.Unauthorized("invalid API key")
	case !k.IsAdmin():
		return "", httpx.Forbidden("this API key lacks scope *")
	}
	return k.ID, nil
}

package admin

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func (a *API) registerAPIKeys(mux *http.ServeMux, h handle) {
	mux.Handle("POST /api/v1/api-keys", h(a.createAPIKey))
	mux.Handle("GET /api/v1/api-keys", h(a.listAPIKeys))
	mux.Handle("GET /api/v1/api-keys/{id}", h(a.getAPIKey))
	mux.Handle("DELETE /api/v1/api-keys/{id}", h(a.revokeAPIKey))
	mux.Handle("POST /api/v1/api-keys/{id}/rotate", h(a.rotateAPIKey))
}

// apiKeyScopes is the allow-list of admin key scopes: "*" (the admin API
// and every token endpoint caller right) and "introspect" (introspection of
// any token of the tenant, nothing else).
var apiKeyScopes = []string{"*", store.ScopeIntrospect}

// errLastAdminKey answers the revocation of the last active "*" key.
var errLastAdminKey = &httpx.Error{Status: http.StatusConflict, Code: "last_admin_key", Message: "this is the tenant's last active admin key with scope *; create another first"}

type apiKeyJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	KeyPrefix string     `json:"key_prefix"`
	KeySuffix string     `json:"key_suffix"`
	Scopes    []string   `json:"scopes"`
	Active    bool       `json:"active"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	CreatedAt time.Time  `json:"created_at"`
	Key       string     `json:"key,omitempty"`
}

func apiKeyView(k store.APIKey, now time.Time) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, KeyPrefix: k.Prefix, KeySuffix: k.Suffix, Scopes: nonNil(k.Scopes),
		Active: k.ActiveAt(now), ExpiresAt: timeJSON(k.ExpiresAt), RevokedAt: timeJSON(k.RevokedAt), CreatedAt: k.CreatedAt.UTC()}
}

// newAPIKey makes a key and its secret (shown once): key_prefix is
// "sk_live_" and four characters, key_suffix the last four.
func newAPIKey(name string, scopes []string, expires, now time.Time) (store.APIKey, string) {
	secret := ids.NewKey(ids.AdminKeyPrefix)
	return store.APIKey{
		ID: ids.New("key_"), Name: name, Hash: ids.Hash(secret),
		Prefix: secret[:len(ids.AdminKeyPrefix)+4], Suffix: secret[len(secret)-4:],
		Scopes: scopes, ExpiresAt: expires, CreatedAt: now,
	}, secret
}

func (a *API) createAPIKey(w http.ResponseWriter, r *http.Request, c call) error {
	var in struct {
		Name      *string   `json:"name"`
		Scopes    *[]string `json:"scopes"`
		ExpiresAt *string   `json:"expires_at"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkName("name", in.Name, true); err != nil {
		return err
	}
	if err := checkScopes("scopes", in.Scopes); err != nil {
		return err
	}
	scopes := []string{"*"}
	if in.Scopes != nil {
		if len(*in.Scopes) == 0 {
			return invalid("scopes", "must not be empty")
		}
		for i, sc := range *in.Scopes {
			if !slices.Contains(apiKeyScopes, sc) {
				return invalid("scopes["+strconv.Itoa(i)+"]", "names the unknown scope "+strconv.Quote(sc)+": a key's scopes are * (the admin API) and introspect (POST /oauth/introspect only)")
			}
		}
		scopes = *in.Scopes
	}
	expires, err := parseFuture("expires_at", in.ExpiresAt, c.now)
	if err != nil {
		return err
	}
	k, secret := newAPIKey(*in.Name, scopes, expires, c.now)
	ev := c.event(audit.APIKeyCreated, "api_key", k.ID, map[string]any{"name": k.Name, "scopes": k.Scopes, "key_prefix": k.Prefix})
	if err := a.Store.CreateAPIKey(c.ctx, c.t, k, ev); err != nil {
		return storeErr(err, "")
	}
	v := apiKeyView(k, c.now)
	v.Key = secret
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) listAPIKeys(w http.ResponseWriter, r *http.Request, c call) error {
	keys, err := a.Store.ListAPIKeys(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "")
	}
	data := make([]apiKeyJSON, 0, len(keys))
	for _, k := range keys {
		data = append(data, apiKeyView(k, c.now))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(data)})
	return nil
}

func (a *API) keyID(c call) (string, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return "", httpx.NotFound("unknown API key")
	}
	return id, nil
}

func (a *API) getAPIKey(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := a.keyID(c)
	if err != nil {
		return err
	}
	k, err := a.Store.GetAPIKey(c.ctx, c.t, id)
	if err != nil {
		return storeErr(err, "unknown API key")
	}
	httpx.WriteJSON(w, http.StatusOK, apiKeyView(k, c.now))
	return nil
}

func (a *API) revokeAPIKey(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := a.keyID(c)
	if err != nil {
		return err
	}
	k, err := a.Store.RevokeAPIKey(c.ctx, c.t, id, c.event(audit.APIKeyRevoked, "api_key", id, nil))
	if errors.Is(err, store.ErrLastAdminKey) {
		return errLastAdminKey
	}
	if err != nil {
		return storeErr(err, "unknown API key")
	}
	httpx.WriteJSON(w, http.StatusOK, apiKeyView(k, c.now))
	return nil
}

func (a *API) rotateAPIKey(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := a.keyID(c)
	if err != nil {
		return err
	}
	old, err := a.Store.GetAPIKey(c.ctx, c.t, id)
	if err != nil {
		return storeErr(err, "unknown API key")
	}
	if err := noBody(r); err != nil {
		return err
	}
	if !old.ActiveAt(c.now) {
		return httpx.Conflict("API key " + id + " is revoked or expired")
	}
	next, secret := newAPIKey(old.Name, old.Scopes, old.ExpiresAt, c.now)
	ev := c.event(audit.APIKeyRotated, "api_key", id, map[string]any{"new_key_id": next.ID, "key_prefix": next.Prefix})
	if _, err := a.Store.RotateAPIKey(c.ctx, c.t, id, next, ev); err != nil {
		return storeErr(err, "unknown API key")
	}
	v := apiKeyView(next, c.now)
	v.Key = secret
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

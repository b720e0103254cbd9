package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/discovery"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func (a *API) registerSigningKeys(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/signing-keys", h(a.listSigningKeys))
	mux.Handle("POST /api/v1/admin/signing-keys/rotate", h(a.rotateSigningKey))
}

type signingKeyJSON struct {
	KID          string           `json:"kid"`
	State        string           `json:"state"`
	Algorithm    string           `json:"alg"`
	Mode         string           `json:"mode"`
	Published    bool             `json:"published"`
	PublicJWK    *jose.JSONWebKey `json:"public_jwk"`
	CreatedAt    time.Time        `json:"created_at"`
	ActivatedAt  *time.Time       `json:"activated_at"`
	RetiredAt    *time.Time       `json:"retired_at"`
	PublishUntil *time.Time       `json:"publish_until"`
	// CurrentAfter is when a next key may become current (it has then been
	// in the JWKS for the cache lifetime).
	CurrentAfter *time.Time `json:"current_after,omitempty"`
}

func signingKeyView(k store.SigningKey, now time.Time) signingKeyJSON {
	v := signingKeyJSON{KID: k.KID, State: k.State, Algorithm: k.Algorithm(), Mode: k.Mode, CreatedAt: k.CreatedAt.UTC(),
		ActivatedAt: timeJSON(k.ActivatedAt), RetiredAt: timeJSON(k.RetiredAt), PublishUntil: timeJSON(k.PublishUntil)}
	if jwk, err := keys.PublicJWK(k); err == nil {
		v.PublicJWK = &jwk
	}
	v.Published = v.PublicJWK != nil && (k.State == store.KeyCurrent || k.State == store.KeyNext || k.State == store.KeyRetired && k.PublishUntil.After(now))
	if k.State == store.KeyNext {
		v.CurrentAfter = timeJSON(k.CreatedAt.Add(discovery.JWKSMaxAge))
	}
	return v
}

// promoteDue makes a next key that has been published for the JWKS cache
// lifetime current (promotion is lazy: whoever looks at the keys first does
// it). The retired key stays published for the tenant's longest token
// lifetime plus a cache lifetime.
func (a *API) promoteDue(c call) error {
	ks, err := a.Store.SigningKeys(c.ctx, c.t)
	if err != nil {
		return err
	}
	next, due := store.DueNext(ks, c.now, discovery.JWKSMaxAge)
	if !due {
		return nil
	}
	tn, err := a.Store.GetTenant(c.ctx, c.t)
	if err != nil {
		return err
	}
	lifetime := time.Duration(max(tn.MaxTokenLifetime, store.DefaultMaxTokenLifetime)) * time.Second
	// One promotion per algorithm at most (ES256 and RS256 keys rotate apart).
	for range 2 {
		ev := audit.New(c.r, c.now, audit.SigningKeyRotated, audit.Actor{Type: "system", ID: "promotion"}, audit.Target{Type: "signing_key", ID: next.KID},
			map[string]any{"mode": "promotion", "new_kid": next.KID, "alg": next.Algorithm()})
		promoted, err := a.Store.PromoteSigningKey(c.ctx, c.t, discovery.JWKSMaxAge, lifetime+discovery.JWKSMaxAge, ev)
		if err != nil || !promoted {
			return err
		}
		if ks, err = a.Store.SigningKeys(c.ctx, c.t); err != nil {
			return err
		}
		if next, due = store.DueNext(ks, c.now, discovery.JWKSMaxAge); !due {
			return nil
		}
	}
	return nil
}

// checkAccessTokenAlg validates a client's access_token_alg.
func checkAccessTokenAlg(v *string) error {
	if v != nil && *v != store.AlgES256 && *v != store.AlgRS256 {
		return invalid("access_token_alg", "must be ES256 or RS256")
	}
	return nil
}

// applyAccessTokenAlg sets a client's access token algorithm (ES256 is
// stored as empty, the default).
func applyAccessTokenAlg(c *store.Client, v *string) {
	if v == nil {
		return
	}
	c.AccessTokenAlg = ""
	if *v != store.AlgES256 {
		c.AccessTokenAlg = *v
	}
}

// accessTokenAlg is the algorithm a client's access tokens are signed with.
func accessTokenAlg(c store.Client) string {
	if c.AccessTokenAlg == "" {
		return store.AlgES256
	}
	return c.AccessTokenAlg
}

// algKeyMaker is a KeyMaker that makes keys of other algorithms than ES256
// (every keys.Sealer is one).
type algKeyMaker interface {
	NewKey(ctx context.Context, t tenant.ID, alg string) (store.SigningKey, error)
}

// newKey makes a fresh key of algorithm alg in the configured key mode.
func (a *API) newKey(c call, alg string) (store.SigningKey, error) {
	if alg == store.AlgES256 {
		return a.Keys.New(c.ctx, c.t)
	}
	m, ok := a.Keys.(algKeyMaker)
	if !ok {
		return store.SigningKey{}, fmt.Errorf("admin: the key maker makes no %s keys", alg)
	}
	return m.NewKey(c.ctx, c.t, alg)
}

// ensureSigningKey gives the tenant a current key of algorithm *alg when it
// has none, before a client is set to receive tokens of that algorithm: RSA
// key generation (and in kms mode a KMS CreateKey) happens here, on the admin
// path, never on the token path or at tenant creation. Racing callers store
// one key; the loser's is discarded.
func (a *API) ensureSigningKey(c call, alg *string) error {
	if alg == nil || *alg == store.AlgES256 {
		return nil
	}
	ks, err := a.Store.SigningKeys(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "")
	}
	if _, err := keys.CurrentFor(ks, *alg); err == nil {
		return nil
	}
	fresh, err := a.newKey(c, *alg)
	if err != nil {
		return httpx.Internal(err)
	}
	ev := c.event(audit.SigningKeyRotated, "signing_key", fresh.KID, map[string]any{"mode": "created", "new_kid": fresh.KID, "alg": *alg})
	_, created, err := a.Store.EnsureSigningKey(c.ctx, c.t, fresh, ev)
	if err != nil || !created {
		err = errors.Join(err, a.Keys.Discard(context.WithoutCancel(c.ctx), fresh))
	}
	if err != nil {
		return storeErr(err, "unknown tenant")
	}
	return nil
}

func (a *API) listSigningKeys(w http.ResponseWriter, r *http.Request, c call) error {
	if err := a.promoteDue(c); err != nil {
		return storeErr(err, "")
	}
	ks, err := a.Store.SigningKeys(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "")
	}
	data := make([]signingKeyJSON, 0, len(ks))
	for _, k := range ks {
		data = append(data, signingKeyView(k, c.now))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}

func (a *API) rotateSigningKey(w http.ResponseWriter, r *http.Request, c call) error {
	var in struct {
		Mode *string `json:"mode"`
		Alg  *string `json:"alg"`
	}
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	mode := store.RotateScheduled
	if in.Mode != nil && *in.Mode != "" {
		mode = *in.Mode
	}
	if mode != store.RotateScheduled && mode != store.RotateEmergency {
		return invalid("mode", "must be scheduled or emergency")
	}
	alg := store.AlgES256
	if in.Alg != nil && *in.Alg != "" {
		alg = *in.Alg
	}
	if alg != store.AlgES256 && alg != store.AlgRS256 {
		return invalid("alg", "must be ES256 or RS256")
	}
	// A due next key becomes current first, so a new rotation never
	// discards a key that caches already hold.
	if err := a.promoteDue(c); err != nil {
		return storeErr(err, "")
	}
	before, err := a.Store.SigningKeys(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "")
	}
	fresh, err := a.newKey(c, alg)
	if err != nil {
		return httpx.Internal(err)
	}
	var old []string
	for _, k := range before {
		if k.Algorithm() == alg && (k.State == store.KeyCurrent || k.State == store.KeyNext) {
			old = append(old, k.KID)
		}
	}
	ev := c.event(audit.SigningKeyRotated, "signing_key", fresh.KID, map[string]any{"mode": mode, "new_kid": fresh.KID, "previous_kids": old, "alg": alg})
	k, err := a.Store.RotateSigningKey(c.ctx, c.t, fresh, mode, ev)
	if err != nil {
		return storeErr(errors.Join(err, a.Keys.Discard(context.WithoutCancel(c.ctx), fresh)), "unknown tenant")
	}
	if mode == store.RotateEmergency && a.Tenants != nil {
		a.Tenants.Forget()
	}
	v := signingKeyView(k, c.now)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"kid": v.KID, "state": v.State, "rotation_mode": mode, "public_jwk": v.PublicJWK, "signing_key": v, "audit_event_id": ev.ID,
	})
	return nil
}

package admin

import (
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/discovery"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/store"
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
	v := signingKeyJSON{KID: k.KID, State: k.State, Algorithm: "ES256", Mode: k.Mode, CreatedAt: k.CreatedAt.UTC(),
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
	ev := audit.New(c.r, c.now, audit.SigningKeyRotated, audit.Actor{Type: "system", ID: "promotion"}, audit.Target{Type: "signing_key", ID: next.KID},
		map[string]any{"mode": "promotion", "new_kid": next.KID})
	_, err = a.Store.PromoteSigningKey(c.ctx, c.t, discovery.JWKSMaxAge, lifetime+discovery.JWKSMaxAge, ev)
	return err
}

func (a *API) listSigningKeys(w http.ResponseWriter, r *http.Request) error {
	c, err := a.call(r)
	if err != nil {
		return err
	}
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

func (a *API) rotateSigningKey(w http.ResponseWriter, r *http.Request) error {
	c, err := a.call(r)
	if err != nil {
		return err
	}
	var in struct {
		Mode *string `json:"mode"`
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
	// A due next key becomes current first, so a new rotation never
	// discards a key that caches already hold.
	if err := a.promoteDue(c); err != nil {
		return storeErr(err, "")
	}
	before, err := a.Store.SigningKeys(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "")
	}
	fresh, err := a.Keys.New(c.ctx, c.t)
	if err != nil {
		return httpx.Internal(err)
	}
	var old []string
	for _, k := range before {
		if k.State == store.KeyCurrent || k.State == store.KeyNext {
			old = append(old, k.KID)
		}
	}
	ev := c.event(audit.SigningKeyRotated, "signing_key", fresh.KID, map[string]any{"mode": mode, "new_kid": fresh.KID, "previous_kids": old})
	k, err := a.Store.RotateSigningKey(c.ctx, c.t, fresh, mode, ev)
	if err != nil {
		return storeErr(err, "unknown tenant")
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

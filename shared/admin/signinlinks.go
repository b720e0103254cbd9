package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// SignInLinkPrefix starts a sign-in link's secret.
const SignInLinkPrefix = "signin_"

// SignInLinkLifetime is how long a printed sign-in link can be used.
const SignInLinkLifetime = store.MaxSignInLinkLifetime

// SignInKeyLifetime is the life of the admin key a sign-in link mints for
// the browser: a working day, then the dashboard asks to sign in again.
const SignInKeyLifetime = 12 * time.Hour

// NewSignInLink makes a sign-in link valid from now for SignInLinkLifetime;
// the secret goes in the printed URL's fragment, only its hash is stored.
func NewSignInLink(now time.Time) (store.SignInLink, string) {
	secret := ids.NewKey(SignInLinkPrefix)
	return store.SignInLink{ID: ids.New("sil_"), Hash: ids.Hash(secret), CreatedAt: now, ExpiresAt: now.Add(SignInLinkLifetime)}, secret
}

// registerSignInLinks adds POST /api/v1/admin/sign-in-links/redeem: the
// dashboard trades a one-time sign-in link for a short-lived admin key
// (scope *, SignInKeyLifetime). The link is the credential, so the route
// takes no API key; the admin key never appears in a URL.
func (a *API) registerSignInLinks(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/admin/sign-in-links/redeem", httpx.Handle(tenant.Handle(a.redeemSignInLink)))
}

func (a *API) redeemSignInLink(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	var body struct {
		Link *string `json:"link"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.Link == nil || *body.Link == "" {
		return required("link")
	}
	secret := strings.TrimSpace(*body.Link)
	if !strings.HasPrefix(secret, SignInLinkPrefix) || len(secret) > 128 {
		return httpx.Unauthorized("unknown sign-in link: ask for a new one (shark recover-key --link)")
	}
	now := a.Store.Now()
	k, key := NewAdminKey("dashboard sign-in", []string{"*"}, now)
	k.ExpiresAt = now.Add(SignInKeyLifetime)
	ev := func(l store.SignInLink) store.AuditEvent {
		return audit.New(r, now, audit.APIKeyCreated, audit.Actor{Type: "signin_link", ID: l.ID},
			audit.Target{Type: "api_key", ID: k.ID}, map[string]any{"scopes": k.Scopes, "key_prefix": k.Prefix,
				"expires_at": k.ExpiresAt.UTC().Format(time.RFC3339), "via": "signin_link"})
	}
	_, err := a.Store.RedeemSignInLink(r.Context(), t.ID, ids.Hash(secret), k, ev)
	switch {
	case errors.Is(err, store.ErrSignInLinkUsed):
		return httpx.Unauthorized("this sign-in link was already used: ask for a new one (shark recover-key --link)")
	case errors.Is(err, store.ErrSignInLinkExpired):
		return httpx.Unauthorized("this sign-in link expired (links last 15 minutes): ask for a new one (shark recover-key --link)")
	case errors.Is(err, store.ErrNotFound):
		return httpx.Unauthorized("unknown sign-in link: ask for a new one (shark recover-key --link)")
	case err != nil:
		return storeErr(err, "unknown sign-in link")
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{
		"admin_key": key, "key_id": k.ID, "expires_at": k.ExpiresAt.UTC().Format(time.RFC3339), "tenant": t.ID.String(),
	})
	return nil
}

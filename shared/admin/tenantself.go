package admin

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/httpx"
)

// registerOwnTenant adds GET /api/v1/admin/tenant: an admin key reads its
// own tenant's settings (the platform API's tenant object), so the
// dashboard and CLI can show what tokens get (default_audience, scopes, DCR
// policy) without a platform key. Changing them stays a platform-key call
// (PATCH /platform/v1/tenants/{id}): a tenant's admin does not set its own
// registration policy or audience allow-list.
func (a *API) registerOwnTenant(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/admin/tenant", h(a.ownTenant))
}

func (a *API) ownTenant(w http.ResponseWriter, r *http.Request, c call) error {
	if len(c.q) > 0 {
		return httpx.BadRequest("this route takes no query parameters")
	}
	t, err := a.Store.GetTenant(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "unknown tenant")
	}
	httpx.WriteJSON(w, http.StatusOK, (&Platform{Tenants: a.Tenants}).view(r, t))
	return nil
}

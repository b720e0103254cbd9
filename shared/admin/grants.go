package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func (a *API) registerGrants(mux *http.ServeMux, h handle) {
	mux.Handle("POST /api/v1/admin/may-act", h(a.createGrant))
	mux.Handle("GET /api/v1/admin/may-act", h(a.findGrants))
	mux.Handle("GET /api/v1/admin/may-act/{id}", h(a.getGrant))
	mux.Handle("DELETE /api/v1/admin/may-act/{id}", h(a.revokeGrant))
}

type grantJSON struct {
	ID        string     `json:"id"`
	FromID    string     `json:"from_id"`
	ToID      string     `json:"to_id"`
	MaxHops   int        `json:"max_hops"`
	Scopes    []string   `json:"scopes"`
	Active    bool       `json:"active"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	CreatedAt time.Time  `json:"created_at"`
}

func grantView(g store.MayActGrant, now time.Time) grantJSON {
	return grantJSON{ID: g.ID, FromID: g.FromID, ToID: g.ToID, MaxHops: g.MaxHops, Scopes: nonNil(g.Scopes), Active: g.ActiveAt(now),
		ExpiresAt: timeJSON(g.ExpiresAt), RevokedAt: timeJSON(g.RevokedAt), CreatedAt: g.CreatedAt.UTC()}
}

// maxHops bounds a grant's delegation depth.
const maxHops = 10

func (a *API) createGrant(w http.ResponseWriter, r *http.Request, c call) error {
	var in struct {
		FromID    *string   `json:"from_id"`
		ToID      *string   `json:"to_id"`
		MaxHops   *int      `json:"max_hops"`
		Scopes    *[]string `json:"scopes"`
		ExpiresAt *string   `json:"expires_at"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"from_id", in.FromID}, {"to_id", in.ToID}} {
		if f.v == nil || *f.v == "" {
			return required(f.name)
		}
		if !idPattern.MatchString(*f.v) {
			return invalid(f.name, "is not an id")
		}
	}
	hops := 1
	if in.MaxHops != nil {
		hops = *in.MaxHops
	}
	if hops < 1 || hops > maxHops {
		return invalid("max_hops", "must be from 1 to "+strconv.Itoa(maxHops))
	}
	if err := checkScopes("scopes", in.Scopes); err != nil {
		return err
	}
	expires, err := parseFuture("expires_at", in.ExpiresAt, c.now)
	if err != nil {
		return err
	}
	g := store.MayActGrant{ID: ids.New("mag_"), FromID: *in.FromID, ToID: *in.ToID, MaxHops: hops, Scopes: []string{}, ExpiresAt: expires, CreatedAt: c.now}
	if in.Scopes != nil {
		g.Scopes = *in.Scopes
	}
	ev := c.event(audit.MayActGranted, "may_act", g.ID, map[string]any{"from_id": g.FromID, "to_id": g.ToID, "max_hops": g.MaxHops, "scopes": g.Scopes})
	if err := a.Store.CreateGrant(c.ctx, c.t, g, ev); err != nil {
		return storeErr(err, "")
	}
	httpx.WriteJSON(w, http.StatusCreated, grantView(g, c.now))
	return nil
}

func (a *API) findGrants(w http.ResponseWriter, r *http.Request, c call) error {
	q := c.q
	include := false
	if v := q.Get("include_revoked"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("include_revoked", "must be true or false")
		}
		include = b
	}
	grants, err := a.Store.FindGrants(c.ctx, c.t, q.Get("from_id"), q.Get("to_id"), include)
	if err != nil {
		return storeErr(err, "")
	}
	out := make([]grantJSON, 0, len(grants))
	for _, g := range grants {
		out = append(out, grantView(g, c.now))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"grants": out})
	return nil
}

func (a *API) grantID(c call) (string, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return "", httpx.NotFound("unknown grant")
	}
	return id, nil
}

func (a *API) getGrant(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := a.grantID(c)
	if err != nil {
		return err
	}
	g, err := a.Store.GetGrant(c.ctx, c.t, id)
	if err != nil {
		return storeErr(err, "unknown grant")
	}
	httpx.WriteJSON(w, http.StatusOK, grantView(g, c.now))
	return nil
}

func (a *API) revokeGrant(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := a.grantID(c)
	if err != nil {
		return err
	}
	g, err := a.Store.RevokeGrant(c.ctx, c.t, id, c.event(audit.MayActRevoked, "may_act", id, nil))
	if err != nil {
		return storeErr(err, "unknown grant")
	}
	httpx.WriteJSON(w, http.StatusOK, grantView(g, c.now))
	return nil
}

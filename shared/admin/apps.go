package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

func (a *API) registerApps(mux *http.ServeMux, h handle) {
	mux.Handle("POST /api/v1/admin/apps", h(a.createApp))
	mux.Handle("GET /api/v1/admin/apps", h(a.listApps))
	mux.Handle("GET /api/v1/admin/apps/{id}", h(a.getApp))
	mux.Handle("PATCH /api/v1/admin/apps/{id}", h(a.updateApp))
	mux.Handle("DELETE /api/v1/admin/apps/{id}", h(a.deleteApp))
	mux.Handle("POST /api/v1/admin/apps/{id}/rotate-secret", h(a.rotateAppSecret))
}

// modePattern bounds integration_mode (the SDK sends "custom" by default;
// WIRE fixes no list, so any short lower-case token is kept as given).
var modePattern = lazy(`^[a-z][a-z0-9_-]{0,39}$`)

type appJSON struct {
	ID              string         `json:"id"`
	ClientID        string         `json:"client_id"`
	Name            string         `json:"name"`
	Slug            string         `json:"slug"`
	Description     string         `json:"description"`
	IntegrationMode string         `json:"integration_mode"`
	RedirectURIs    []string       `json:"redirect_uris"`
	GrantTypes      []string       `json:"grant_types"`
	Scopes          []string       `json:"scopes"`
	AuthMethod      string         `json:"token_endpoint_auth_method"`
	Metadata        map[string]any `json:"metadata"`
	Active          bool           `json:"active"`
	AccessTokenAlg  string         `json:"access_token_alg"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	ClientSecret    string         `json:"client_secret,omitempty"`
}

func appView(c store.Client) appJSON {
	meta := c.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return appJSON{ID: c.ID, ClientID: c.ClientID, Name: c.Name, Slug: c.Extra["slug"], Description: c.Description,
		IntegrationMode: c.Extra["integration_mode"], RedirectURIs: nonNil(c.RedirectURIs), GrantTypes: nonNil(c.GrantTypes),
		Scopes: nonNil(c.Scopes), AuthMethod: c.AuthMethod, Metadata: meta, Active: c.Active,
		AccessTokenAlg: accessTokenAlg(c), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

type appInput struct {
	Name            *string         `json:"name"`
	Description     *string         `json:"description"`
	IntegrationMode *string         `json:"integration_mode"`
	RedirectURIs    *[]string       `json:"redirect_uris"`
	Scopes          *[]string       `json:"scopes"`
	Metadata        *map[string]any `json:"metadata"`
	AccessTokenAlg  *string         `json:"access_token_alg"`
}

func (in appInput) validate(creating bool) error {
	if err := checkName("name", in.Name, creating); err != nil {
		return err
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return required("name")
	}
	if err := checkText("description", in.Description, 2000, false); err != nil {
		return err
	}
	if in.IntegrationMode != nil && *in.IntegrationMode != "" && !modePattern.MatchString(*in.IntegrationMode) {
		return invalid("integration_mode", "must be a lower-case token of at most 40 characters")
	}
	if err := checkRedirectURIs(in.RedirectURIs); err != nil {
		return err
	}
	if err := checkScopes("scopes", in.Scopes); err != nil {
		return err
	}
	if in.Metadata != nil && len(marshalLen(*in.Metadata)) > 16<<10 {
		return invalid("metadata", "must be at most 16 KiB")
	}
	return checkAccessTokenAlg(in.AccessTokenAlg)
}

// checkRedirectURIs validates redirect URIs: absolute, no fragment, at most 20.
func checkRedirectURIs(v *[]string) error {
	if v == nil {
		return nil
	}
	if len(*v) > 20 {
		return invalid("redirect_uris", "may hold at most 20 URIs")
	}
	for i, u := range *v {
		p, err := url.Parse(u)
		if err != nil || p.Scheme == "" || p.Fragment != "" || len(u) > 2000 || (p.Scheme == "http" || p.Scheme == "https") && p.Host == "" {
			return invalid("redirect_uris["+strconv.Itoa(i)+"]", "must be an absolute URI without a fragment")
		}
	}
	return nil
}

var nonSlug = lazy(`[^a-z0-9]+`)

func slug(name string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		s = "app"
	}
	return s
}

func applyAppInput(c *store.Client, in appInput) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.IntegrationMode != nil && *in.IntegrationMode != "" {
		c.Extra["integration_mode"] = *in.IntegrationMode
	}
	if in.RedirectURIs != nil {
		c.RedirectURIs = slices.Clone(*in.RedirectURIs)
	}
	if in.Scopes != nil {
		c.Scopes = slices.Clone(*in.Scopes)
	}
	if in.Metadata != nil {
		c.Metadata = *in.Metadata
	}
	applyAccessTokenAlg(c, in.AccessTokenAlg)
}

func (a *API) createApp(w http.ResponseWriter, r *http.Request, c call) error {
	var in appInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.validate(true); err != nil {
		return err
	}
	if err := a.ensureSigningKey(c, in.AccessTokenAlg); err != nil {
		return err
	}
	secret := ids.NewSecret()
	app := store.Client{
		ID: ids.New("app_"), ClientID: "shark_app_" + ids.NanoID(), Kind: store.KindApp, Name: *in.Name,
		SecretHash: ids.Hash(secret), AuthMethod: string(oauth.SecretBasic), GrantTypes: []string{string(oauth.GrantClientCredentials)},
		Scopes: []string{}, Active: true, Extra: map[string]string{"slug": slug(*in.Name), "integration_mode": "custom"},
		CreatedAt: c.now, UpdatedAt: c.now,
	}
	applyAppInput(&app, in)
	ev := c.event(audit.AppCreated, "app", app.ID, map[string]any{"client_id": app.ClientID, "name": app.Name})
	if err := a.Store.CreateClient(c.ctx, c.t, app, ev); err != nil {
		return storeErr(err, "")
	}
	v := appView(app)
	v.ClientSecret = secret
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) listApps(w http.ResponseWriter, r *http.Request, c call) error {
	limit, offset, err := offsetPage(c)
	if err != nil {
		return err
	}
	apps, total, err := a.Store.ListAgents(c.ctx, c.t, store.AgentFilter{Kinds: []store.ClientKind{store.KindApp}, Search: c.q.Get("search"), Limit: limit, Offset: offset})
	if err != nil {
		return storeErr(err, "")
	}
	data := make([]appJSON, 0, len(apps))
	for _, x := range apps {
		data = append(data, appView(x))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": total})
	return nil
}

func (a *API) app(c call) (store.Client, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return store.Client{}, httpx.NotFound("unknown application")
	}
	x, err := a.Store.GetClientByID(c.ctx, c.t, id)
	if err != nil {
		x, err = a.Store.GetClient(c.ctx, c.t, id)
	}
	if err == nil && x.Kind != store.KindApp {
		err = store.ErrNotFound
	}
	if x.Extra == nil {
		x.Extra = map[string]string{}
	}
	return x, storeErr(err, "unknown application")
}

func (a *API) getApp(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.app(c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, appView(x))
	return nil
}

func (a *API) updateApp(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.app(c)
	if err != nil {
		return err
	}
	var in appInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.validate(false); err != nil {
		return err
	}
	if err := a.ensureSigningKey(c, in.AccessTokenAlg); err != nil {
		return err
	}
	updated, err := a.Store.ChangeClient(c.ctx, c.t, x.ClientID, func(cl *store.Client) error {
		if cl.Extra == nil {
			cl.Extra = map[string]string{}
		}
		applyAppInput(cl, in)
		cl.UpdatedAt = c.now
		return nil
	}, func(cl store.Client) store.AuditEvent {
		return c.event(audit.AppUpdated, "app", cl.ID, map[string]any{"client_id": cl.ClientID})
	})
	if err != nil {
		return storeErr(err, "unknown application")
	}
	httpx.WriteJSON(w, http.StatusOK, appView(updated))
	return nil
}

// deleteApp removes the application; its tokens become inactive (their
// client no longer exists).
func (a *API) deleteApp(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.app(c)
	if err != nil {
		return err
	}
	ev := c.event(audit.AppDeleted, "app", x.ID, map[string]any{"client_id": x.ClientID})
	if err := a.Store.DeleteClient(c.ctx, c.t, x.ClientID, ev); err != nil {
		return storeErr(err, "unknown application")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotateAppSecret(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.app(c)
	if err != nil {
		return err
	}
	if err := noBody(r); err != nil {
		return err
	}
	updated, secret, ev, err := c.newSecret(func(m clientMutation, e clientEvent) (store.Client, error) {
		return a.Store.ChangeClient(c.ctx, c.t, x.ClientID, m, e)
	}, audit.AppSecretRotated, "app")
	if err != nil {
		return storeErr(err, "unknown application")
	}
	v := appView(updated)
	v.ClientSecret = secret
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": v.ID, "client_id": v.ClientID, "client_secret": secret, "rotated_at": c.now.UTC(), "app": v, "audit_event_id": ev.ID})
	return nil
}

// clientMutation and clientEvent are the two halves of a store change of
// a client: what changes, and the audit event written in its transaction.
type (
	clientMutation = func(*store.Client) error
	clientEvent    = func(store.Client) store.AuditEvent
)

// newSecret gives a client a new secret (shown once, stored as its hash)
// through change, the store call of the client's kind, with the event
// named event on a target of targetType in the same transaction: the body
// of the applications' and resource servers' rotate-secret routes.
func (c call) newSecret(change func(clientMutation, clientEvent) (store.Client, error), event, targetType string) (store.Client, string, store.AuditEvent, error) {
	secret := ids.NewSecret()
	var ev store.AuditEvent
	updated, err := change(func(cl *store.Client) error {
		cl.SecretHash, cl.UpdatedAt = ids.Hash(secret), c.now
		return nil
	}, func(cl store.Client) store.AuditEvent {
		ev = c.event(event, targetType, cl.ID, map[string]any{"client_id": cl.ClientID})
		return ev
	})
	return updated, secret, ev, err
}

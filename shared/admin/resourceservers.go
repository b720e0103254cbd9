package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// registerResourceServers adds the resource server routes. A
// resource server (an MCP server, an API) gets a credential of its own that
// may introspect the tokens whose aud names one of its resources, and
// nothing else: it is never issued a token and calls no admin route.
func (a *API) registerResourceServers(mux *http.ServeMux, h handle) {
	mux.Handle("POST /api/v1/resource-servers", h(a.createResourceServer))
	mux.Handle("GET /api/v1/resource-servers", h(a.listResourceServers))
	mux.Handle("GET /api/v1/resource-servers/{id}", h(a.getResourceServer))
	mux.Handle("PATCH /api/v1/resource-servers/{id}", h(a.updateResourceServer))
	mux.Handle("DELETE /api/v1/resource-servers/{id}", h(a.deleteResourceServer))
	mux.Handle("POST /api/v1/resource-servers/{id}/rotate-secret", h(a.rotateResourceServerSecret))
}

// maxResources bounds a resource server's resource URLs.
const maxResources = 20

type resourceServerJSON struct {
	ID           string          `json:"id"`
	ClientID     string          `json:"client_id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Resources    []string        `json:"resources"`
	AuthMethod   string          `json:"token_endpoint_auth_method"`
	JWKS         json.RawMessage `json:"jwks,omitempty"`
	JWKSURI      *string         `json:"jwks_uri"`
	Active       bool            `json:"active"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	ClientSecret string          `json:"client_secret,omitempty"`
}

func resourceServerView(c store.Client) resourceServerJSON {
	return resourceServerJSON{ID: c.ID, ClientID: c.ClientID, Name: c.Name, Description: c.Description,
		Resources: nonNil(c.Audiences), AuthMethod: c.AuthMethod, JWKS: c.JWKS, JWKSURI: strOrNull(c.JWKSURI),
		Active: c.Active, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

type resourceServerInput struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Resources   *[]string       `json:"resources"`
	AuthMethod  *string         `json:"token_endpoint_auth_method"`
	JWKS        json.RawMessage `json:"jwks"`
	JWKSURI     *string         `json:"jwks_uri"`
	Active      *bool           `json:"active"`
}

func (in resourceServerInput) hasJWKS() bool { return len(in.JWKS) > 0 && string(in.JWKS) != "null" }

// validate checks the input's form; allowed is the tenant's audience
// allow-list (empty: any audience).
func (in resourceServerInput) validate(creating bool, allowed []string) error {
	if err := checkName("name", in.Name, creating); err != nil {
		return err
	}
	if err := checkText("description", in.Description, 2000, false); err != nil {
		return err
	}
	if creating && in.Resources == nil {
		return required("resources")
	}
	if in.Resources != nil {
		if len(*in.Resources) == 0 || len(*in.Resources) > maxResources {
			return invalid("resources", "must hold 1 to "+strconv.Itoa(maxResources)+" resource URLs")
		}
		for i, res := range *in.Resources {
			field := "resources[" + strconv.Itoa(i) + "]"
			switch {
			case !audiencePattern(res):
				return invalid(field, "must be an absolute http(s) URL")
			case len(allowed) > 0 && !slices.Contains(allowed, res):
				return invalid(field, "is not one of the tenant's audiences")
			}
		}
	}
	if in.AuthMethod != nil && !slices.Contains([]oauth.AuthMethod{oauth.SecretBasic, oauth.SecretPost, oauth.PrivateKeyJWT}, oauth.AuthMethod(*in.AuthMethod)) {
		return invalid("token_endpoint_auth_method", "must be one of client_secret_basic, client_secret_post, private_key_jwt")
	}
	if in.hasJWKS() {
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal(in.JWKS, &set) != nil || len(set.Keys) == 0 {
			return invalid("jwks", "must be a JWK set with at least one key")
		}
		for _, k := range set.Keys {
			if _, err := publicJWKOf("jwks", k); err != nil {
				return err
			}
		}
	}
	if in.JWKSURI != nil && *in.JWKSURI != "" {
		u, err := url.Parse(*in.JWKSURI)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || len(*in.JWKSURI) > 2000 {
			return invalid("jwks_uri", "must be an https URL")
		}
	}
	if in.hasJWKS() && in.JWKSURI != nil && *in.JWKSURI != "" {
		return invalid("jwks", "and jwks_uri are exclusive")
	}
	return nil
}

// tenantAudiences is the tenant's audience allow-list.
func (a *API) tenantAudiences(c call) ([]string, error) {
	tn, err := a.Store.GetTenant(c.ctx, c.t)
	if err != nil {
		return nil, storeErr(err, "unknown tenant")
	}
	return tn.Audiences, nil
}

func (a *API) createResourceServer(w http.ResponseWriter, r *http.Request, c call) error {
	var in resourceServerInput
	if err := decode(r, &in); err != nil {
		return err
	}
	allowed, err := a.tenantAudiences(c)
	if err != nil {
		return err
	}
	if err := in.validate(true, allowed); err != nil {
		return err
	}
	keys := in.hasJWKS() || in.JWKSURI != nil && *in.JWKSURI != ""
	method := oauth.SecretBasic
	if keys {
		method = oauth.PrivateKeyJWT
	}
	if in.AuthMethod != nil {
		method = oauth.AuthMethod(*in.AuthMethod)
	}
	switch {
	case method == oauth.PrivateKeyJWT && !keys:
		return required("jwks or jwks_uri")
	case method != oauth.PrivateKeyJWT && keys:
		return invalid("jwks", "is only for token_endpoint_auth_method private_key_jwt")
	}
	rs := store.Client{
		ID: ids.New("rs_"), ClientID: "shark_rs_" + ids.NanoID(), Kind: store.KindResourceServer, Name: *in.Name,
		AuthMethod: string(method), Audiences: slices.Clone(*in.Resources), GrantTypes: nil, Scopes: []string{},
		Active: true, CreatedAt: c.now, UpdatedAt: c.now,
	}
	if in.Description != nil {
		rs.Description = *in.Description
	}
	if in.Active != nil {
		rs.Active = *in.Active
	}
	secret := ""
	if method == oauth.PrivateKeyJWT {
		if in.hasJWKS() {
			rs.JWKS = slices.Clone(in.JWKS)
		} else {
			rs.JWKSURI = *in.JWKSURI
		}
	} else {
		secret = ids.NewSecret()
		rs.SecretHash = ids.Hash(secret)
	}
	ev := c.event(audit.ResourceServerCreated, "resource_server", rs.ID,
		map[string]any{"client_id": rs.ClientID, "name": rs.Name, "resources": rs.Audiences, "auth_method": rs.AuthMethod})
	if err := a.Store.CreateResourceServer(c.ctx, c.t, rs, ev); err != nil {
		return storeErr(err, "")
	}
	v := resourceServerView(rs)
	v.ClientSecret = secret
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) listResourceServers(w http.ResponseWriter, r *http.Request, c call) error {
	limit, offset, err := offsetPage(c)
	if err != nil {
		return err
	}
	all, err := a.Store.ListResourceServers(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "")
	}
	start := min(offset, len(all))
	page := all[start:min(start+limit, len(all))]
	data := make([]resourceServerJSON, 0, len(page))
	for _, x := range page {
		data = append(data, resourceServerView(x))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(all), "limit": limit, "offset": offset})
	return nil
}

// resourceServer finds the resource server named by the path's id (its id or client_id).
func (a *API) resourceServer(c call) (store.Client, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return store.Client{}, httpx.NotFound("unknown resource server")
	}
	x, err := a.Store.GetResourceServer(c.ctx, c.t, id)
	return x, storeErr(err, "unknown resource server")
}

func (a *API) getResourceServer(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.resourceServer(c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, resourceServerView(x))
	return nil
}

func (a *API) updateResourceServer(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.resourceServer(c)
	if err != nil {
		return err
	}
	var in resourceServerInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.AuthMethod != nil {
		return invalid("token_endpoint_auth_method", "cannot change: create another resource server")
	}
	allowed, err := a.tenantAudiences(c)
	if err != nil {
		return err
	}
	if err := in.validate(false, allowed); err != nil {
		return err
	}
	keys := in.hasJWKS() || in.JWKSURI != nil && *in.JWKSURI != ""
	if keys && oauth.AuthMethod(x.AuthMethod) != oauth.PrivateKeyJWT {
		return invalid("jwks", "is only for token_endpoint_auth_method private_key_jwt")
	}
	if in.JWKSURI != nil && *in.JWKSURI == "" && oauth.AuthMethod(x.AuthMethod) == oauth.PrivateKeyJWT && len(x.JWKS) == 0 && !in.hasJWKS() {
		return invalid("jwks_uri", "cannot be removed without jwks")
	}
	updated, err := a.Store.ChangeResourceServer(c.ctx, c.t, x.ID, func(cl *store.Client) error {
		if in.Name != nil {
			cl.Name = *in.Name
		}
		if in.Description != nil {
			cl.Description = *in.Description
		}
		if in.Resources != nil {
			cl.Audiences = slices.Clone(*in.Resources)
		}
		if in.Active != nil {
			cl.Active = *in.Active
		}
		if in.hasJWKS() {
			cl.JWKS, cl.JWKSURI = slices.Clone(in.JWKS), ""
		} else if in.JWKSURI != nil && *in.JWKSURI != "" {
			cl.JWKS, cl.JWKSURI = nil, *in.JWKSURI
		}
		cl.UpdatedAt = c.now
		return nil
	}, func(cl store.Client) store.AuditEvent {
		return c.event(audit.ResourceServerUpdated, "resource_server", cl.ID, map[string]any{"client_id": cl.ClientID,
			"changed": map[string]bool{"name": in.Name != nil, "description": in.Description != nil, "resources": in.Resources != nil,
				"active": in.Active != nil, "jwks": in.hasJWKS(), "jwks_uri": in.JWKSURI != nil}})
	})
	if err != nil {
		return storeErr(err, "unknown resource server")
	}
	httpx.WriteJSON(w, http.StatusOK, resourceServerView(updated))
	return nil
}

func (a *API) deleteResourceServer(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.resourceServer(c)
	if err != nil {
		return err
	}
	ev := c.event(audit.ResourceServerDeleted, "resource_server", x.ID, map[string]any{"client_id": x.ClientID})
	if err := a.Store.DeleteResourceServer(c.ctx, c.t, x.ID, ev); err != nil {
		return storeErr(err, "unknown resource server")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotateResourceServerSecret(w http.ResponseWriter, r *http.Request, c call) error {
	x, err := a.resourceServer(c)
	if err != nil {
		return err
	}
	if err := noBody(r); err != nil {
		return err
	}
	if oauth.AuthMethod(x.AuthMethod) == oauth.PrivateKeyJWT {
		return httpx.BadRequest("a private_key_jwt resource server has no secret: change its jwks or jwks_uri")
	}
	updated, secret, ev, err := c.newSecret(func(m clientMutation, e clientEvent) (store.Client, error) {
		return a.Store.ChangeResourceServer(c.ctx, c.t, x.ID, m, e)
	}, audit.ResourceServerSecretRotated, "resource_server")
	if err != nil {
		return storeErr(err, "unknown resource server")
	}
	v := resourceServerView(updated)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"id": v.ID, "client_id": v.ClientID, "client_secret": secret,
		"rotated_at": c.now.UTC(), "resource_server": v, "audit_event_id": ev.ID})
	return nil
}

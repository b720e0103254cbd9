package admin

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// Grant types and client authentication methods an agent may have.
var (
	defaultGrantTypes = []oauth.GrantType{oauth.GrantClientCredentials, oauth.GrantTokenExchange}
	// agentGrantTypes are the grant types an agent may register: those the token
	// endpoint serves and other OAuth 2.1 grants it refuses with
	// unauthorized_client until served (as for registered clients, WIRE §9).
	agentGrantTypes = []oauth.GrantType{oauth.GrantClientCredentials, oauth.GrantTokenExchange, oauth.GrantAuthorizationCode,
		oauth.GrantRefreshToken, oauth.GrantJWTBearer, oauth.GrantDeviceCode}
	agentAuthMethods = []oauth.AuthMethod{oauth.SecretBasic, oauth.SecretPost, oauth.PrivateKeyJWT}
)

// maxTokenLifetime bounds an agent's token_lifetime, in seconds (the tenant's
// own bound applies at issuance).
const maxTokenLifetime = 86400

func (a *API) registerAgents(mux *http.ServeMux, h handle) {
	mux.Handle("POST /api/v1/agents", h(a.createAgent))
	mux.Handle("GET /api/v1/agents", h(a.listAgents))
	mux.Handle("GET /api/v1/agents/{id}", h(a.getAgent))
	mux.Handle("PATCH /api/v1/agents/{id}", h(a.updateAgent))
	mux.Handle("DELETE /api/v1/agents/{id}", h(a.deleteAgent))
	mux.Handle("GET /api/v1/agents/{id}/tokens", h(a.agentTokens))
	mux.Handle("POST /api/v1/agents/{id}/tokens/revoke-all", h(a.revokeAllTokens))
	mux.Handle("POST /api/v1/agents/{id}/rotate-secret", h(a.rotateAgentSecret))
	mux.Handle("POST /api/v1/agents/{id}/rotate-dpop-key", h(a.rotateDPoPKey))
	mux.Handle("GET /api/v1/agents/{id}/audit", h(a.agentAudit))
	mux.Handle("GET /api/v1/agents/{id}/policies", h(a.getPolicies))
	mux.Handle("POST /api/v1/agents/{id}/policies", h(a.setPolicies))
}

type agentJSON struct {
	ID                      string         `json:"id"`
	ClientID                string         `json:"client_id"`
	Name                    string         `json:"name"`
	Description             string         `json:"description"`
	Kind                    string         `json:"kind"`
	ClientType              string         `json:"client_type"`
	AuthMethod              string         `json:"auth_method"`
	TokenEndpointAuthMethod string         `json:"token_endpoint_auth_method"`
	GrantTypes              []string       `json:"grant_types"`
	Scopes                  []string       `json:"scopes"`
	Audiences               []string       `json:"audiences"`
	RedirectURIs            []string       `json:"redirect_uris"`
	TokenLifetime           int64          `json:"token_lifetime"`
	Metadata                map[string]any `json:"metadata"`
	CreatedBy               *string        `json:"created_by"`
	Active                  bool           `json:"active"`
	DPoPBound               bool           `json:"dpop_bound_access_tokens"`
	DPoPJKT                 *string        `json:"dpop_jkt"`
	AccessTokenAlg          string         `json:"access_token_alg"`
	CreatedAt               time.Time      `json:"created_at"`
	UpdatedAt               time.Time      `json:"updated_at"`
	ClientSecret            string         `json:"client_secret,omitempty"`
}

func agentView(c store.Client) agentJSON {
	meta := c.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return agentJSON{
		ID: c.ID, ClientID: c.ClientID, Name: c.Name, Description: c.Description, Kind: string(c.Kind),
		ClientType: "confidential", AuthMethod: c.AuthMethod, TokenEndpointAuthMethod: c.AuthMethod,
		GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes), Audiences: nonNil(c.Audiences),
		RedirectURIs: nonNil(c.RedirectURIs), TokenLifetime: c.TokenLifetime, Metadata: meta,
		CreatedBy: strOrNull(c.CreatedBy), Active: c.Active, DPoPBound: c.DPoPBound, DPoPJKT: strOrNull(c.DPoPJKT),
		AccessTokenAlg: accessTokenAlg(c), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
}

type agentInput struct {
	Name          *string         `json:"name"`
	Description   *string         `json:"description"`
	Scopes        *[]string       `json:"scopes"`
	GrantTypes    *[]string       `json:"grant_types"`
	AuthMethod    *string         `json:"token_endpoint_auth_method"`
	TokenLifetime *int64          `json:"token_lifetime"`
	DPoPBound     *bool           `json:"dpop_bound_access_tokens"`
	Audiences     *[]string       `json:"audiences"`
	Metadata      *map[string]any `json:"metadata"`
	CreatedBy     *string         `json:"created_by"`
	UserID        *string         `json:"user_id"`
	Active        *bool           `json:"active"`
	RedirectURIs  *[]string       `json:"redirect_uris"`
	JWKS          json.RawMessage `json:"jwks"`
	// AccessTokenAlg is ES256 (the default) or RS256.
	AccessTokenAlg *string `json:"access_token_alg"`
}

func (in agentInput) validate(creating bool) error {
	if err := checkName("name", in.Name, creating); err != nil {
		return err
	}
	if in.Name != nil && len(*in.Name) == 0 {
		return required("name")
	}
	if err := checkText("description", in.Description, 2000, false); err != nil {
		return err
	}
	if err := checkScopes("scopes", in.Scopes); err != nil {
		return err
	}
	if in.GrantTypes != nil {
		if len(*in.GrantTypes) == 0 {
			return invalid("grant_types", "must not be empty")
		}
		for i, g := range *in.GrantTypes {
			if !slices.Contains(agentGrantTypes, oauth.GrantType(g)) {
				return invalid("grant_types["+strconv.Itoa(i)+"]", "is not supported for agents")
			}
		}
	}
	if in.AuthMethod != nil && !slices.Contains(agentAuthMethods, oauth.AuthMethod(*in.AuthMethod)) {
		return invalid("token_endpoint_auth_method", "must be one of client_secret_basic, client_secret_post, private_key_jwt")
	}
	if in.TokenLifetime != nil && (*in.TokenLifetime < 1 || *in.TokenLifetime > maxTokenLifetime) {
		return invalid("token_lifetime", "must be from 1 to "+strconv.Itoa(maxTokenLifetime)+" seconds")
	}
	if err := checkAccessTokenAlg(in.AccessTokenAlg); err != nil {
		return err
	}
	if in.Audiences != nil {
		if len(*in.Audiences) > 50 {
			return invalid("audiences", "may hold at most 50 entries")
		}
		for i, aud := range *in.Audiences {
			if aud == "" || len(aud) > 2000 {
				return invalid("audiences["+strconv.Itoa(i)+"]", "must be 1 to 2000 characters")
			}
		}
	}
	if in.Metadata != nil && len(marshalLen(*in.Metadata)) > 16<<10 {
		return invalid("metadata", "must be at most 16 KiB")
	}
	if err := checkRedirectURIs(in.RedirectURIs); err != nil {
		return err
	}
	if len(in.JWKS) > 0 && string(in.JWKS) != "null" {
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal(in.JWKS, &set) != nil || len(set.Keys) == 0 {
			return invalid("jwks", "must be a JWK set with at least one key")
		}
		for _, k := range set.Keys {
			if _, err := publicJWK(k); err != nil {
				return invalid("jwks", "holds a key that is not a public EC, RSA or OKP key")
			}
		}
	}
	return nil
}

func marshalLen(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func (a *API) createAgent(w http.ResponseWriter, r *http.Request, c call) error {
	var in agentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.validate(true); err != nil {
		return err
	}
	if err := a.ensureSigningKey(c, in.AccessTokenAlg); err != nil {
		return err
	}
	creator := in.CreatedBy
	if creator == nil || *creator == "" {
		creator = in.UserID
	}
	agent := store.Client{
		ID: ids.New("agent_"), ClientID: "shark_agent_" + ids.NanoID(), Kind: store.KindAgent, Name: *in.Name,
		AuthMethod: string(oauth.SecretBasic), GrantTypes: oauth.Strings(defaultGrantTypes), Scopes: []string{},
		Active: true, CreatedAt: c.now, UpdatedAt: c.now,
	}
	if in.Active != nil {
		agent.Active = *in.Active
	}
	applyAgentInput(&agent, in)
	if oauth.AuthMethod(agent.AuthMethod) == oauth.PrivateKeyJWT && len(agent.JWKS) == 0 {
		return required("jwks")
	}
	// A key registered in metadata is the agent's DPoP key: its tokens must
	// be bound to it, and it is the old key of the first rotation.
	var err error
	if agent.DPoPJKT, err = registeredJWK(agent.Metadata); err != nil {
		return err
	}
	if creator != nil && *creator != "" {
		if !idPattern.MatchString(*creator) {
			return invalid("created_by", "names no user of this tenant")
		}
		agent.CreatedBy = *creator
	}
	secret := ""
	if oauth.AuthMethod(agent.AuthMethod) != oauth.PrivateKeyJWT {
		secret = ids.NewSecret()
		agent.SecretHash = ids.Hash(secret)
	}
	ev := c.event(audit.AgentCreated, "agent", agent.ClientID, map[string]any{
		"agent_id": agent.ID, "name": agent.Name, "scopes": agent.Scopes, "app_id": agent.Metadata["app_id"], "created_by": agent.CreatedBy,
		"admin_key_id": c.keyID,
	})
	// The customer-agents guide shows agent.created caused by the application
	// the agent was created under (metadata.app_id); the admin key that made
	// the call stays in the metadata.
	if app, ok := agent.Metadata["app_id"].(string); ok && idPattern.MatchString(app) {
		ev.ActorType, ev.ActorID = "app", app
	}
	err = a.Store.CreateClient(c.ctx, c.t, agent, ev)
	if errors.Is(err, store.ErrUnknownUser) {
		return invalid("created_by", "names no user of this tenant")
	}
	if err != nil {
		return storeErr(err, "")
	}
	v := agentView(agent)
	v.ClientSecret = secret
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

// applyAgentInput copies the fields an input sets onto an agent.
func applyAgentInput(c *store.Client, in agentInput) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.Scopes != nil {
		c.Scopes = slices.Clone(*in.Scopes)
	}
	if in.GrantTypes != nil {
		c.GrantTypes = slices.Clone(*in.GrantTypes)
	}
	if in.AuthMethod != nil {
		c.AuthMethod = *in.AuthMethod
	}
	if in.TokenLifetime != nil {
		c.TokenLifetime = *in.TokenLifetime
	}
	if in.DPoPBound != nil {
		c.DPoPBound = *in.DPoPBound
	}
	if in.Audiences != nil {
		c.Audiences = slices.Clone(*in.Audiences)
	}
	if in.Metadata != nil {
		c.Metadata = *in.Metadata
	}
	if in.RedirectURIs != nil {
		c.RedirectURIs = slices.Clone(*in.RedirectURIs)
	}
	if len(in.JWKS) > 0 && string(in.JWKS) != "null" {
		c.JWKS = slices.Clone(in.JWKS)
	}
	applyAccessTokenAlg(c, in.AccessTokenAlg)
}

func (a *API) listAgents(w http.ResponseWriter, r *http.Request, c call) error {
	limit, offset, err := offsetPage(c)
	if err != nil {
		return err
	}
	q := c.q
	f := store.AgentFilter{Search: q.Get("search"), CreatedBy: q.Get("created_by_user_id"), AppID: q.Get("app_id"), Limit: limit, Offset: offset}
	if v := q.Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("active", "must be true or false")
		}
		f.Active = &b
	}
	agents, total, err := a.Store.ListAgents(c.ctx, c.t, f)
	if err != nil {
		return storeErr(err, "")
	}
	data := make([]agentJSON, 0, len(agents))
	for _, ag := range agents {
		data = append(data, agentView(ag))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": total, "limit": limit, "offset": offset})
	return nil
}

// agent finds the agent named by the path's id (its id or its client_id).
func (a *API) agent(c call) (store.Client, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return store.Client{}, httpx.NotFound("unknown agent")
	}
	ag, err := a.Store.GetClientByID(c.ctx, c.t, id)
	if errors.Is(err, store.ErrNotFound) {
		ag, err = a.Store.GetClient(c.ctx, c.t, id)
	}
	if err == nil && !ag.Kind.IsAgent() { // an application or a resource server
		err = store.ErrNotFound
	}
	return ag, storeErr(err, "unknown agent")
}

func (a *API) getAgent(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, agentView(ag))
	return nil
}

func (a *API) updateAgent(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	var in agentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.CreatedBy != nil || in.UserID != nil {
		return invalid("created_by", "cannot change")
	}
	if err := in.validate(false); err != nil {
		return err
	}
	if err := a.ensureSigningKey(c, in.AccessTokenAlg); err != nil {
		return err
	}
	var metaJKT string
	if in.Metadata != nil {
		if metaJKT, err = registeredJWK(*in.Metadata); err != nil {
			return err
		}
	}
	changed := in.fields()
	updated, err := a.Store.ChangeClient(c.ctx, c.t, ag.ClientID, func(x *store.Client) error {
		if metaJKT != "" && metaJKT != x.DPoPJKT {
			// Changing the key is a rotation: it revokes what the old key holds.
			return invalid("metadata."+metadataJWK, "is not the agent's registered DPoP key: change it with POST /api/v1/agents/{id}/rotate-dpop-key")
		}
		applyAgentInput(x, in)
		if x.Kind == store.KindDCR {
			x.AdminLimits = adminLimits(x.AdminLimits, in)
		}
		if in.Active != nil {
			if x.Active && !*in.Active {
				// Deactivation revokes every token so far, and a registered
				// client's registration access token (RFC 7592): re-activating
				// later must not revive them.
				x.RevokedBefore = c.now
				x.RATHash = nil
			}
			x.Active = *in.Active
		}
		if oauth.AuthMethod(x.AuthMethod) == oauth.PrivateKeyJWT && len(x.JWKS) == 0 {
			return required("jwks")
		}
		if oauth.AuthMethod(x.AuthMethod) != oauth.PrivateKeyJWT && len(x.SecretHash) == 0 {
			return invalid("token_endpoint_auth_method", "needs a secret: rotate the secret first")
		}
		x.UpdatedAt = c.now
		return nil
	}, func(x store.Client) store.AuditEvent {
		return c.event(audit.AgentUpdated, "agent", x.ClientID, map[string]any{"agent_id": x.ID, "fields": changed})
	})
	if err != nil {
		return storeErr(err, "unknown agent")
	}
	httpx.WriteJSON(w, http.StatusOK, agentView(updated))
	return nil
}

// adminLimits records what an admin sets on a registered client: the
// ceiling of its RFC 7592 updates (register.ceiling), which may narrow
// the admin's scopes and grant types, never widen them, and cannot drop an
// admin's DPoP requirement.
func adminLimits(cur *store.ClientLimits, in agentInput) *store.ClientLimits {
	if in.Scopes == nil && in.GrantTypes == nil && in.DPoPBound == nil {
		return cur
	}
	var l store.ClientLimits
	if cur != nil {
		l = *cur
	}
	if in.Scopes != nil {
		s := slices.Clone(*in.Scopes)
		l.Scopes = &s
	}
	if in.GrantTypes != nil {
		g := slices.Clone(*in.GrantTypes)
		l.GrantTypes = &g
	}
	if in.DPoPBound != nil {
		l.DPoPBound = *in.DPoPBound
	}
	return &l
}

// fields names the members an update sets (for its audit event).
func (in agentInput) fields() []string {
	var out []string
	for name, set := range map[string]bool{
		"name": in.Name != nil, "description": in.Description != nil, "scopes": in.Scopes != nil,
		"grant_types": in.GrantTypes != nil, "token_endpoint_auth_method": in.AuthMethod != nil,
		"token_lifetime": in.TokenLifetime != nil, "dpop_bound_access_tokens": in.DPoPBound != nil,
		"audiences": in.Audiences != nil, "metadata": in.Metadata != nil, "active": in.Active != nil,
		"jwks": len(in.JWKS) > 0, "redirect_uris": in.RedirectURIs != nil, "access_token_alg": in.AccessTokenAlg != nil,
	} {
		if set {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (a *API) deleteAgent(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	meta := map[string]any{"agent_id": ag.ID}
	if err := readReason(r, meta); err != nil {
		return err
	}
	ev := c.event(audit.AgentDeactivated, "agent", ag.ClientID, meta)
	if err := a.Store.DeactivateClients(c.ctx, c.t, []store.Client{ag}, ev); err != nil {
		return storeErr(err, "unknown agent")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type tokenJSON struct {
	ID        string          `json:"id"`
	TokenID   string          `json:"token_id"`
	JTI       string          `json:"jti"`
	ClientID  string          `json:"client_id"`
	AgentID   string          `json:"agent_id"`
	Subject   string          `json:"sub"`
	Scope     string          `json:"scope"`
	Audience  []string        `json:"audience"`
	JKT       *string         `json:"jkt"`
	GrantType string          `json:"grant_type"`
	TokenType oauth.TokenType `json:"token_type"`
	Active    bool            `json:"active"`
	ExpiresAt time.Time       `json:"expires_at"`
	CreatedAt time.Time       `json:"created_at"`
	RevokedAt *time.Time      `json:"revoked_at"`
	// RevokedReason is why a revoked token is inactive (store.Reason*: the
	// layer of the five-layer decision), null while active or once merely
	// expired.
	RevokedReason *string `json:"revoked_reason"`
}

func (a *API) agentTokens(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r)
	if err != nil {
		return httpx.BadRequest("limit must be an integer from 1 to " + strconv.Itoa(store.MaxPageLimit))
	}
	page, err := a.Store.ListClientTokens(c.ctx, c.t, ag.ClientID, pr)
	if err != nil {
		return storeErr(err, "")
	}
	// The state of each token is the five-layer decision, as introspection
	// sees it (delegated tokens included), not revoked_at alone.
	acts, err := a.Store.TokenActivities(c.ctx, c.t, page.Items)
	if err != nil {
		return storeErr(err, "")
	}
	data := make([]tokenJSON, 0, len(page.Items))
	for i, t := range page.Items {
		typ := oauth.TokenBearer
		if t.JKT != "" {
			typ = oauth.TokenDPoP
		}
		agentID := t.AgentID
		if agentID == "" {
			agentID = ag.ID
		}
		data = append(data, tokenJSON{
			ID: t.JTI, TokenID: t.JTI, JTI: t.JTI, ClientID: t.ClientID, AgentID: agentID, Subject: t.Subject,
			Scope: t.Scope, Audience: nonNil(t.Audience), JKT: strOrNull(t.JKT), GrantType: t.GrantType, TokenType: typ,
			Active: acts[i].Active, ExpiresAt: t.ExpiresAt.UTC(), CreatedAt: t.IssuedAt.UTC(), RevokedAt: timeJSON(t.RevokedAt),
			RevokedReason: revokedReason(acts[i]),
		})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": strOrNull(page.Next), "has_more": page.Next != ""})
	return nil
}

// revokedReason is the reason a token is revoked, nil while it is active
// or when it has merely expired.
func revokedReason(act store.Activity) *string {
	if act.Active || act.Reason == store.ReasonExpired {
		return nil
	}
	return &act.Reason
}

// activeTokens counts the agent's tokens that are active now (for the counts
// the revocation answers report).
func (a *API) activeTokens(c call, ag store.Client) (int, error) {
	recs, err := a.Store.ClientTokens(c.ctx, c.t, ag.ClientID)
	if err != nil {
		return 0, err
	}
	acts, err := a.Store.TokenActivities(c.ctx, c.t, recs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, act := range acts {
		if act.Active {
			n++
		}
	}
	return n, nil
}

func (a *API) revokeAllTokens(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	reason := map[string]any{}
	if err := readReason(r, reason); err != nil {
		return err
	}
	n, err := a.activeTokens(c, ag)
	if err != nil {
		return storeErr(err, "")
	}
	var ev store.AuditEvent
	_, err = a.Store.ChangeClient(c.ctx, c.t, ag.ClientID, func(x *store.Client) error {
		x.RevokedBefore, x.UpdatedAt = c.now, c.now
		return nil
	}, func(x store.Client) store.AuditEvent {
		ev = c.event(audit.AgentTokensRevoked, "agent", x.ClientID, withReason(map[string]any{"agent_id": x.ID, "revoked_count": n}, reason))
		return ev
	})
	if err != nil {
		return storeErr(err, "unknown agent")
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"agent_id": ag.ID, "revoked_count": n, "audit_event_id": ev.ID})
	return nil
}

func (a *API) rotateAgentSecret(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	if err := noBody(r); err != nil {
		return err
	}
	secret := ids.NewSecret()
	var ev store.AuditEvent
	_, err = a.Store.ChangeClient(c.ctx, c.t, ag.ClientID, func(x *store.Client) error {
		x.SecretHash, x.UpdatedAt = ids.Hash(secret), c.now
		if oauth.AuthMethod(x.AuthMethod) == oauth.PrivateKeyJWT {
			x.AuthMethod = string(oauth.SecretBasic)
		}
		return nil
	}, func(x store.Client) store.AuditEvent {
		ev = c.event(audit.AgentSecretRotated, "agent", x.ClientID, map[string]any{"agent_id": x.ID})
		return ev
	})
	if err != nil {
		return storeErr(err, "unknown agent")
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"agent_id": ag.ID, "client_id": ag.ClientID, "client_secret": secret, "rotated_at": c.now.UTC(), "audit_event_id": ev.ID,
	})
	return nil
}

func (a *API) rotateDPoPKey(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	var in struct {
		JWK    json.RawMessage `json:"new_public_jwk"`
		Reason *string         `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if len(in.JWK) == 0 || string(in.JWK) == "null" {
		return required("new_public_jwk")
	}
	if err := checkText("reason", in.Reason, 500, false); err != nil {
		return err
	}
	jkt, err := thumbprint(in.JWK)
	if err != nil {
		return err
	}
	old := ag.DPoPJKT
	if old == "" {
		// An agent whose metadata names a key it never had registered.
		old, _ = registeredJWK(ag.Metadata)
	}
	var newJWK map[string]any
	if err := json.Unmarshal(in.JWK, &newJWK); err != nil {
		return errBadJWK("new_public_jwk must be a JWK object")
	}
	// A key change revokes every token issued so far, bound to any key or
	// to none (the store records the rotation: store.ChangeClient).
	n, err := a.activeTokens(c, ag)
	if err != nil {
		return storeErr(err, "")
	}
	reason := ""
	if in.Reason != nil {
		reason = *in.Reason
	}
	var ev store.AuditEvent
	_, err = a.Store.ChangeClient(c.ctx, c.t, ag.ClientID, func(x *store.Client) error {
		// Even a rotation to the registered key revokes what was issued.
		x.DPoPKeyRotatedAt = c.now
		x.DPoPJKT, x.DPoPBound, x.UpdatedAt = jkt, true, c.now
		if _, ok := x.Metadata[metadataJWK]; ok {
			// Keep the registered key where the agent's owner reads it.
			meta := maps.Clone(x.Metadata)
			meta[metadataJWK] = newJWK
			x.Metadata = meta
		}
		return nil
	}, func(x store.Client) store.AuditEvent {
		ev = c.event(audit.AgentDPoPKeyRotated, "agent", x.ClientID, map[string]any{
			"agent_id": x.ID, "old_jkt": old, "new_jkt": jkt, "revoked_token_count": n, "reason": reason,
		})
		return ev
	})
	if err != nil {
		return storeErr(err, "unknown agent")
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"agent_id": ag.ID, "old_jkt": strOrNull(old), "new_jkt": jkt, "revoked_token_count": n, "audit_event_id": ev.ID,
	})
	return nil
}

// agentAudit lists the audit events the agent caused or is the target of
// (under its id or its client_id), newest first, paged with the sealed cursor
// of WIRE §8 (limit 1..200, default 50).
func (a *API) agentAudit(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r)
	if err != nil {
		return adminCode(err)
	}
	page, err := a.Store.ListAuditEvents(c.ctx, c.t, store.AuditFilter{Involving: ag.ID}, pr)
	if err != nil {
		return storeErr(err, "")
	}
	data := make([]audit.EventJSON, len(page.Items))
	for i, ev := range page.Items {
		data[i] = audit.View(ev)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": strOrNull(page.Next), "has_more": page.Next != ""})
	return nil
}

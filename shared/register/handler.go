package register

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/fetch"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Store is what the register function uses of the domain store; *store.Store satisfies it.
type Store interface {
	GetTenant(ctx context.Context, id tenant.ID) (store.Tenant, error)
	GetClient(ctx context.Context, t tenant.ID, clientID string) (store.Client, error)
	RegisterClient(ctx context.Context, t tenant.ID, c store.Client, iat *store.InitialAccessToken, ev store.AuditEvent) error
	ChangeClient(ctx context.Context, t tenant.ID, clientID string, mutate func(*store.Client) error, ev func(store.Client) store.AuditEvent) (store.Client, error)
	InitialAccessTokenByHash(ctx context.Context, t tenant.ID, hash []byte) (store.InitialAccessToken, error)
	HitEach(ctx context.Context, t tenant.ID, window time.Duration, counters []store.RateCounter) (store.RateDecision, error)
}

// Registration policies of a tenant (store.Tenant.DCRPolicy; "" is open).
const (
	PolicyOpen               = "open"
	PolicyInitialAccessToken = "initial_access_token"
	PolicySoftwareStatement  = "software_statement"
	PolicyClosed             = "closed"
)

// Policies are the valid DCRPolicy values.
var Policies = []string{PolicyOpen, PolicyInitialAccessToken, PolicySoftwareStatement, PolicyClosed}

// Limits bound registrations per tenant and per source address within a
// window; the counters live in the table, so they hold across instances.
type Limits struct {
	PerTenant  int
	PerAddress int
	Window     time.Duration
}

// DefaultLimits are generous for people and tight for floods.
var DefaultLimits = Limits{PerTenant: 600, PerAddress: 60, Window: time.Minute}

// RateLimited is the code of a 429 (WIRE §3).
const RateLimited oauth.Code = "slow_down"

// Handler serves /oauth/register (RFC 7591) and /oauth/register/{client_id}
// (RFC 7592) for the request's tenant.
type Handler struct {
	Store Store
	Now   func() time.Time
	// Fetcher fetches jwks_uri documents; nil refuses jwks_uri.
	Fetcher *fetch.Fetcher
	// Limits default to DefaultLimits.
	Limits Limits
}

// Register adds the routes to mux (tenant-free paths).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("POST /oauth/register", oauth.Handle(tenant.Handle(h.register)))
	mux.Handle("GET /oauth/register/{client_id}", oauth.Handle(tenant.Handle(h.read)))
	mux.Handle("PUT /oauth/register/{client_id}", oauth.Handle(tenant.Handle(h.update)))
	mux.Handle("DELETE /oauth/register/{client_id}", oauth.Handle(tenant.Handle(h.delete)))
	mux.Handle("POST /oauth/register/{client_id}/secret", oauth.Handle(tenant.Handle(h.rotateSecret)))
	mux.Handle("DELETE /oauth/register/{client_id}/registration-token", oauth.Handle(tenant.Handle(h.rotateRAT)))
}

func (h *Handler) now() time.Time {
	if h.Now == nil {
		return time.Now().UTC()
	}
	return h.Now().UTC()
}

func (h *Handler) limits() Limits {
	l := h.Limits
	if l.Window <= 0 {
		l.Window = DefaultLimits.Window
	}
	if l.PerTenant <= 0 {
		l.PerTenant = DefaultLimits.PerTenant
	}
	if l.PerAddress <= 0 {
		l.PerAddress = DefaultLimits.PerAddress
	}
	return l
}

// current returns the record of the request's tenant t.
func (h *Handler) current(r *http.Request, t tenant.Tenant) (store.Tenant, error) {
	if rec, ok := store.TenantOf(r.Context()); ok && rec.ID == t.ID.String() {
		return rec, nil
	}
	rec, err := h.Store.GetTenant(r.Context(), t.ID)
	if err != nil {
		return rec, oauth.Internal(err)
	}
	return rec, nil
}

// rateLimit counts this registration per source address, then per tenant:
// both counters are read at once, and a registration refused by either
// (or by the address after a concurrent hit filled it) spends nothing of
// the tenant's budget (store.HitEach).
func (h *Handler) rateLimit(r *http.Request, t tenant.Tenant) error {
	l := h.limits()
	d, err := h.Store.HitEach(r.Context(), t.ID, l.Window, []store.RateCounter{
		{Name: "dcr|addr|" + httpx.AddressKey(httpx.ClientAddress(r)), Limit: l.PerAddress},
		{Name: "dcr|tenant", Limit: l.PerTenant},
	})
	if err != nil {
		return oauth.Internal(err)
	}
	if !d.Allowed {
		secs := int64((d.RetryAfter + time.Second - 1) / time.Second)
		return (&oauth.Error{Code: RateLimited, Status: http.StatusTooManyRequests, Description: "too many registrations; retry later"}).
			WithHeader("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	}
	return nil
}

// readBody reads a JSON registration body: another content type is 400,
// more than 1 MiB is 413.
func readBody(r *http.Request) (map[string]json.RawMessage, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, oauth.New(oauth.InvalidRequest, "the body must be application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, httpx.MaxBody+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(body) > httpx.MaxBody {
		return nil, &oauth.Error{Code: oauth.InvalidRequest, Status: http.StatusRequestEntityTooLarge, Description: "request body too large"}
	}
	if err != nil {
		return nil, oauth.New(oauth.InvalidRequest, "the body could not be read").WithCause(err)
	}
	return DecodeFields(body)
}

// bearer returns the request's Bearer token ("" when none was sent).
func bearer(r *http.Request) (string, bool) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return "", len(vals) > 1
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// invalidToken is the 401 of a missing or wrong registration access token
// or initial access token (RFC 6750 §3).
func invalidToken(t tenant.Tenant, desc string) *oauth.Error {
	return oauth.New(oauth.InvalidToken, desc).WithHeader("WWW-Authenticate",
		`Bearer realm="`+strings.NewReplacer(`"`, "", `\`, "").Replace(t.Issuer)+`", error="invalid_token"`)
}

// register is POST /oauth/register.
func (h *Handler) register(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	ctx := r.Context()
	rec, err := h.current(r, t)
	if err != nil {
		return err
	}
	policy := rec.DCRPolicy
	if policy == "" {
		policy = PolicyOpen
	}
	if policy == PolicyClosed || !slices.Contains(Policies, policy) {
		return oauth.New(oauth.AccessDenied, "registration is closed on this tenant")
	}
	if err := h.rateLimit(r, t); err != nil {
		return err
	}
	var iat *store.InitialAccessToken
	if policy == PolicyInitialAccessToken {
		tok, sent := bearer(r)
		if tok == "" {
			if sent {
				return invalidToken(t, "the initial access token is invalid")
			}
			return invalidToken(t, "an initial access token is required")
		}
		k, err := h.Store.InitialAccessTokenByHash(ctx, t.ID, ids.Hash(tok))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return invalidToken(t, "the initial access token is invalid")
		case err != nil:
			return oauth.Internal(err)
		case !k.UsableAt(h.now()):
			return invalidToken(t, "the initial access token is invalid")
		}
		iat = &k
	}
	fields, err := readBody(r)
	if err != nil {
		return err
	}
	m, signedScope, err := h.metadata(ctx, t, rec, fields, policy == PolicySoftwareStatement)
	if err != nil {
		return err
	}
	// What the registrant asks for itself is bounded by the tenant's
	// registrable scopes; a scope vouched for by the tenant's admin (an
	// initial access token) or signed by a trusted publisher (a software
	// statement's scope claim) only by the scopes the tenant offers.
	var dropped []string
	if iat == nil && !signedScope {
		m.Scope, dropped = within(m.Scope, rec.RegistrableScopes())
	}
	now := h.now().Truncate(time.Microsecond)
	c := store.Client{
		ID: ids.New("agent_"), ClientID: ids.New("shark_dcr_"), Kind: store.KindDCR,
		Active: true, CreatedAt: now,
	}
	apply(&c, m, now)
	secret, rat := "", ids.NewSecret()
	if m.HasSecret() {
		secret = ids.NewSecret()
		c.SecretHash = ids.Hash(secret)
	}
	c.RATHash = ids.Hash(rat)
	md := eventMetadata(m)
	md["policy"] = policy
	if len(dropped) > 0 {
		md["scope_dropped"] = dropped
	}
	if iat != nil {
		md["initial_access_token_id"] = iat.ID
	}
	ev := audit.New(r, now, audit.ClientRegistered, audit.Actor{Type: "client", ID: c.ClientID}, audit.Target{Type: "agent", ID: c.ID}, md)
	if err := h.Store.RegisterClient(ctx, t.ID, c, iat, ev); err != nil {
		if errors.Is(err, store.ErrTokenUnusable) {
			return invalidToken(t, "the initial access token is invalid")
		}
		return oauth.Internal(err)
	}
	oauth.WriteJSON(w, http.StatusCreated, document(t, c, m, secret, rat))
	return nil
}

// metadata validates a registration (POST or PUT): the software statement
// first (its claims override the request's), then the fields, the tenant's
// offered scopes (a scope it does not offer is refused) and the client's
// remote keys. signedScope reports that the scope is a verified software
// statement's claim.
func (h *Handler) metadata(ctx context.Context, t tenant.Tenant, rec store.Tenant, fields map[string]json.RawMessage, statementRequired bool) (m Metadata, signedScope bool, err error) {
	raw, err := stringField(fields, "software_statement", maxStatement)
	if err != nil {
		return Metadata{}, false, err
	}
	switch {
	case raw != "":
		claims, err := VerifyStatement(raw, rec.SoftwarePublishers, h.now())
		if err != nil {
			return Metadata{}, false, err
		}
		_, signedScope = present(claims, "scope")
		maps.Copy(fields, claims)
	case statementRequired:
		return Metadata{}, false, oauth.New(InvalidSoftwareStatement, "a software statement is required on this tenant")
	}
	m, err = Parse(fields)
	if err != nil {
		return Metadata{}, false, err
	}
	if len(rec.Scopes) > 0 {
		for _, s := range strings.Fields(m.Scope) {
			if !slices.Contains(rec.Scopes, s) {
				return Metadata{}, false, metaErr("scope " + safe(s) + " is not offered by this tenant")
			}
		}
	}
	if m.JWKSURI != "" {
		if _, err := RemoteKeySet(ctx, h.Fetcher, m.JWKSURI); err != nil {
			return Metadata{}, false, err
		}
	}
	return m, signedScope, nil
}

// within keeps the scopes of scope that allowed lists, compared as whole
// scope tokens (never prefixes, and "*" is only the token "*"), and
// returns the others as dropped. A registrant asking for more than it may
// have gets the rest (RFC 7591 §2 lets the server replace requested
// metadata, and the response states what was registered) rather than a
// refusal: an MCP client registers the scopes a resource advertises, and
// must still be able to register with the subset it may hold.
func within(scope string, allowed []string) (granted string, dropped []string) {
	var kept []string
	for _, s := range strings.Fields(scope) {
		if slices.Contains(allowed, s) {
			kept = append(kept, s)
		} else {
			dropped = append(dropped, s)
		}
	}
	return strings.Join(kept, " "), dropped
}

// ceiling bounds an RFC 7592 update of cur by what the client may hold:
//   - an admin's setting through the admin API (store.ClientLimits) is the
//     ceiling: scopes beyond the admin's are dropped, a grant type beyond
//     the admin's is refused, an admin's DPoP requirement stays;
//   - otherwise a scope signed in a software statement is kept (the tenant's
//     offered scopes bound it), and any other scope must be one the client
//     holds now or one the tenant lets a registrant assign itself.
//
// It returns the bounded metadata and the scopes it dropped.
func ceiling(m Metadata, cur store.Client, rec store.Tenant, signedScope bool) (Metadata, []string, error) {
	l := cur.AdminLimits
	var dropped []string
	switch {
	case l != nil && l.Scopes != nil:
		m.Scope, dropped = within(m.Scope, *l.Scopes)
	case !signedScope:
		m.Scope, dropped = within(m.Scope, append(rec.RegistrableScopes(), cur.Scopes...))
	}
	if l != nil && l.GrantTypes != nil {
		for _, g := range m.GrantTypes {
			if !slices.Contains(*l.GrantTypes, g) {
				return Metadata{}, nil, metaErr("grant type " + safe(g) + " is beyond what an administrator allowed this client")
			}
		}
	}
	if l != nil && l.DPoPBound {
		m.DPoPBound = true
	}
	return m, dropped, nil
}

// apply writes the registered metadata onto the stored client.
func apply(c *store.Client, m Metadata, now time.Time) {
	c.Name = m.ClientName
	c.AuthMethod = m.TokenEndpointAuthMethod
	c.GrantTypes = slices.Clone(m.GrantTypes)
	c.Scopes = strings.Fields(m.Scope)
	if c.Scopes == nil {
		c.Scopes = []string{}
	}
	c.RedirectURIs = slices.Clone(m.RedirectURIs)
	c.DPoPBound = m.DPoPBound
	c.JWKS = m.JWKS
	c.JWKSURI = m.JWKSURI
	c.Registration, _ = json.Marshal(m) // Metadata always marshals
	c.UpdatedAt = now
	if !m.HasSecret() {
		c.SecretHash = nil
	}
}

// eventMetadata is what an audit event says about a registration: never a
// secret, token or key.
func eventMetadata(m Metadata) map[string]any {
	md := map[string]any{
		"client_name": m.ClientName, "grant_types": m.GrantTypes,
		"token_endpoint_auth_method": m.TokenEndpointAuthMethod, "scope": m.Scope,
		"redirect_uris": m.RedirectURIs, "application_type": m.ApplicationType,
	}
	if m.SoftwareID != "" {
		md["software_id"] = m.SoftwareID
	}
	if m.SoftwareStatement != "" {
		md["software_statement"] = true
	}
	return md
}

// document is the client information response (RFC 7591 §3.2.1): the
// registered metadata, the current values of what an admin may change,
// and the credentials issued by this request (secret, rat).
func document(t tenant.Tenant, c store.Client, m Metadata, secret, rat string) map[string]any {
	doc := map[string]any{}
	raw, _ := json.Marshal(m)
	_ = json.Unmarshal(raw, &doc)
	doc["client_name"] = c.Name
	doc["grant_types"] = c.GrantTypes
	if len(c.Scopes) > 0 {
		doc["scope"] = strings.Join(c.Scopes, " ")
	} else {
		delete(doc, "scope")
	}
	doc["client_id"] = c.ClientID
	doc["client_id_issued_at"] = c.CreatedAt.Unix()
	doc["client_secret_expires_at"] = 0
	doc["registration_client_uri"] = t.Issuer + "/oauth/register/" + c.ClientID
	if secret != "" {
		doc["client_secret"] = secret
	}
	if rat != "" {
		doc["registration_access_token"] = rat
	}
	return doc
}

// registered reads the metadata a client was registered with.
func registered(c store.Client) Metadata {
	var m Metadata
	_ = json.Unmarshal(c.Registration, &m)
	return m
}

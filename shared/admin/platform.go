package admin

import (
	"context"
	"errors"
	"log/slog"
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
	"github.com/sharkauth/serverless/shared/tenant"
)

// KeyMaker creates a tenant's signing key (the configured key mode).
type KeyMaker interface {
	New(ctx context.Context, t tenant.ID) (store.SigningKey, error)
	// Discard releases a key New made whose record was never stored.
	Discard(ctx context.Context, k store.SigningKey) error
}

// Platform serves /platform/v1: tenant lifecycle for platform operators.
type Platform struct {
	Store   *store.Store
	Keys    KeyMaker
	Tenants *tenant.Resolver
	// DefaultAuditRetentionDays is the audit retention of a tenant created
	// without audit_retention_days (the deployment's AUDIT_RETENTION_DAYS);
	// 0 leaves the store's default.
	DefaultAuditRetentionDays int
}

// DCR policies a tenant may choose (WIRE §9).
var dcrPolicies = []string{"open", "initial_access_token", "software_statement", "closed"}

// Register adds the platform routes to mux.
func (p *Platform) Register(mux *http.ServeMux) {
	auth := func(h httpx.HandlerFunc) http.Handler { return httpx.Handle(requirePlatformKey(p.Store, h)) }
	mux.Handle("POST /platform/v1/tenants", auth(p.create))
	mux.Handle("GET /platform/v1/tenants", auth(p.list))
	mux.Handle("GET /platform/v1/tenants/{id}", auth(p.get))
	mux.Handle("PATCH /platform/v1/tenants/{id}", auth(p.update))
	mux.Handle("POST /platform/v1/tenants/{id}/disable", auth(p.disable))
}

type tenantJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Issuer string `json:"issuer"`
	// Issuers lists the tenant's issuer on every URL it is reached on: its
	// path (or root) issuer, then one per custom host.
	Issuers   []string `json:"issuers"`
	Hosts     []string `json:"hosts"`
	Scopes    []string `json:"scopes"`
	DCRPolicy string   `json:"dcr_policy"`
	// DCRScopes are the scopes a registrant may assign itself (the
	// effective value: the default for a tenant that never set them).
	DCRScopes []string `json:"dcr_scopes"`
	// DefaultAudience is the aud of tokens that request none (WIRE §5.1).
	DefaultAudience string `json:"default_audience"`
	// Audiences is the tenant's audience allow-list ([] allows any), and
	// DPoPNonce whether DPoP proofs must carry a server nonce (RFC 9449 §8).
	Audiences  []string   `json:"audiences"`
	DPoPNonce  bool       `json:"dpop_nonce"`
	Disabled   bool       `json:"disabled"`
	DisabledAt *time.Time `json:"disabled_at"`
	// AuditShards and AuditRetentionDays shape the audit trail (effective values).
	AuditShards        int `json:"audit_shards"`
	AuditRetentionDays int `json:"audit_retention_days"`
	// SoftwarePublishers are the software-statement issuers the tenant
	// trusts (dcr_policy software_statement), with their public keys.
	SoftwarePublishers []store.SoftwarePublisher `json:"software_publishers"`
	// CIMD says whether the tenant accepts Client ID Metadata Document
	// client ids (effective value: on unless turned off); CIMDHosts, when
	// not empty, are the only hosts accepted, CIMDDenyHosts hosts never
	// accepted.
	CIMD          bool      `json:"cimd"`
	CIMDHosts     []string  `json:"cimd_hosts"`
	CIMDDenyHosts []string  `json:"cimd_deny_hosts"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func (p *Platform) view(r *http.Request, t store.Tenant) tenantJSON {
	v := tenantJSON{SoftwarePublishers: t.SoftwarePublishers, ID: t.ID, Name: t.Name, Hosts: nonNil(t.Hosts), Scopes: nonNil(t.Scopes), DCRPolicy: t.DCRPolicy, DCRScopes: t.RegistrableScopes(), DefaultAudience: t.DefaultAudience, Audiences: nonNil(t.Audiences), DPoPNonce: t.DPoPNonce, Disabled: t.Disabled, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		AuditShards: t.AuditShardCount(), AuditRetentionDays: int(t.AuditRetention() / (24 * time.Hour)),
		CIMD: t.CIMDEnabled(), CIMDHosts: nonNil(t.CIMDHosts), CIMDDenyHosts: nonNil(t.CIMDDenyHosts)}
	if !t.DisabledAt.IsZero() {
		v.DisabledAt = &t.DisabledAt
	}
	// issuer is the canonical one: the first custom host's, else the path's.
	v.Issuers = p.Tenants.Issuers(r, tenant.MustID(t.ID), t.Hosts)
	v.Issuer = v.Issuers[0]
	if len(t.Hosts) > 0 {
		v.Issuer = v.Issuers[1]
	}
	return v
}

func (p *Platform) actor(r *http.Request) audit.Actor {
	return audit.Actor{Type: "platform", ID: platformKeyID(r.Context())}
}

type tenantInput struct {
	ID        *string   `json:"id"`
	Name      *string   `json:"name"`
	DCRPolicy *string   `json:"dcr_policy"`
	Hosts     *[]string `json:"hosts"`
	Scopes    *[]string `json:"scopes"`
	// DCRScopes: what an RFC 7591/7592 registrant may assign itself
	// without an initial access token or a signed scope; [] for nothing.
	DCRScopes *[]string `json:"dcr_scopes"`
	// DefaultAudience: "" clears it.
	DefaultAudience *string `json:"default_audience"`
	// Audiences replaces the audience allow-list ([] allows any audience).
	Audiences *[]string `json:"audiences"`
	// DPoPNonce requires a server nonce in every DPoP proof.
	DPoPNonce *bool `json:"dpop_nonce"`
	Disabled  *bool `json:"disabled"` // update only: false re-enables
	// AuditShards: 8..64, may be raised, never lowered (readers merge that many shards).
	AuditShards *int `json:"audit_shards"`
	// AuditRetentionDays: 1..3650; applies to new events, and at once to reads.
	AuditRetentionDays *int `json:"audit_retention_days"`
	// SoftwarePublishers replaces the trusted software-statement issuers.
	SoftwarePublishers *[]store.SoftwarePublisher `json:"software_publishers"`
	// CIMD turns Client ID Metadata Document client ids on or off;
	// CIMDHosts and CIMDDenyHosts replace the allow and deny lists ([]
	// clears one). An entry is a lower-case host name or "*." and a domain.
	CIMD          *bool     `json:"cimd"`
	CIMDHosts     *[]string `json:"cimd_hosts"`
	CIMDDenyHosts *[]string `json:"cimd_deny_hosts"`
}

// maxCIMDHosts bounds each of a tenant's CIMD host lists.
const maxCIMDHosts = 100

// checkCIMDHosts validates a CIMD allow or deny list: each entry a bare
// lower-case DNS name, or "*." and one (its subdomains); none twice.
func checkCIMDHosts(name string, hosts []string) error {
	if len(hosts) > maxCIMDHosts {
		return httpx.InvalidParameter("at most " + strconv.Itoa(maxCIMDHosts) + " " + name)
	}
	for i, h := range hosts {
		domain := strings.TrimPrefix(h, "*.")
		if !hostPattern.MatchString(domain) || len(domain) > 253 || tenant.NormalizeHost(domain) != domain {
			return httpx.InvalidParameter(name + "[" + strconv.Itoa(i) + "] is not a lower-case DNS name or *. and one (no scheme, port, path or trailing dot)")
		}
		if slices.Contains(hosts[:i], h) {
			return httpx.InvalidParameter(name + " lists " + h + " twice")
		}
	}
	return nil
}

var hostPattern = lazy(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// checkPublishers validates trusted software-statement issuers: at most 20,
// each with an issuer and a JWKS of public signing keys that pass
// oauth.CheckPublicKey.
func checkPublishers(pubs []store.SoftwarePublisher) error {
	if len(pubs) > 20 {
		return httpx.InvalidParameter("at most 20 software_publishers")
	}
	for i, pub := range pubs {
		field := "software_publishers[" + strconv.Itoa(i) + "]"
		if pub.Issuer == "" || len(pub.Issuer) > 2048 {
			return httpx.InvalidParameter(field + ".iss must be 1 to 2048 characters")
		}
		if slices.ContainsFunc(pubs[:i], func(o store.SoftwarePublisher) bool { return o.Issuer == pub.Issuer }) {
			return httpx.InvalidParameter(field + ".iss is listed twice")
		}
		// The same key check as a client's registered keys (RSA of 2048
		// bits or more, public members only).
		if _, err := oauth.ParseKeySet(pub.JWKS); err != nil {
			return httpx.InvalidParameter(field + ".jwks must be a JWKS of valid public keys: " + err.Error())
		}
	}
	return nil
}

// validate checks the optional fields of a create or update.
func (p *Platform) validate(r *http.Request, in tenantInput) error {
	if in.SoftwarePublishers != nil {
		if err := checkPublishers(*in.SoftwarePublishers); err != nil {
			return err
		}
	}
	if in.Name != nil {
		if err := httpx.CheckName("name", *in.Name, 200); err != nil {
			return err
		}
	}
	if in.DCRPolicy != nil && !slices.Contains(dcrPolicies, *in.DCRPolicy) {
		return httpx.InvalidParameter("dcr_policy must be one of " + strings.Join(dcrPolicies, ", "))
	}
	if in.Hosts != nil {
		if len(*in.Hosts) > 10 {
			return httpx.InvalidParameter("at most 10 hosts")
		}
		for i, h := range *in.Hosts {
			if !hostPattern.MatchString(h) || len(h) > 253 || tenant.NormalizeHost(h) != h {
				return httpx.InvalidParameter("hosts[" + strconv.Itoa(i) + "] is not a bare lower-case DNS name (no scheme, port, path or trailing dot)")
			}
			if slices.Contains((*in.Hosts)[:i], h) {
				return httpx.InvalidParameter("hosts lists " + h + " twice")
			}
			if p.Tenants.OwnHost(r, h) {
				return httpx.InvalidParameter("hosts[" + strconv.Itoa(i) + "] is the deployment's own host")
			}
		}
	}
	for name, list := range map[string]*[]string{"cimd_hosts": in.CIMDHosts, "cimd_deny_hosts": in.CIMDDenyHosts} {
		if list != nil {
			if err := checkCIMDHosts(name, *list); err != nil {
				return err
			}
		}
	}
	if in.DefaultAudience != nil && *in.DefaultAudience != "" && !audiencePattern(*in.DefaultAudience) {
		return httpx.InvalidParameter("default_audience must be an absolute http(s) URI without a fragment (RFC 8707), at most 2048 characters")
	}
	if in.Audiences != nil {
		if err := checkAudiences(*in.Audiences); err != nil {
			return err
		}
	}
	if in.AuditShards != nil && (*in.AuditShards < store.DefaultAuditShards || *in.AuditShards > store.MaxAuditShards) {
		return httpx.InvalidParameter("audit_shards must be an integer from " + strconv.Itoa(store.DefaultAuditShards) + " to " + strconv.Itoa(store.MaxAuditShards))
	}
	if in.AuditRetentionDays != nil && (*in.AuditRetentionDays < 1 || *in.AuditRetentionDays > store.MaxAuditRetentionDays) {
		return httpx.InvalidParameter("audit_retention_days must be an integer from 1 to " + strconv.Itoa(store.MaxAuditRetentionDays))
	}
	for name, list := range map[string]*[]string{"scopes": in.Scopes, "dcr_scopes": in.DCRScopes} {
		if list == nil {
			continue
		}
		if len(*list) > 100 {
			return httpx.InvalidParameter("at most 100 " + name)
		}
		for i, sc := range *list {
			if !scopePattern.MatchString(sc) {
				return httpx.InvalidParameter(name + "[" + strconv.Itoa(i) + "] is not a scope token (RFC 6749 §3.3)")
			}
		}
	}
	return nil
}

// maxTenantAudiences bounds a tenant's audience allow-list.
const maxTenantAudiences = 50

// checkAudiences validates an audience allow-list: each entry obeys the
// default audience's rule (audiencePattern), none twice, at most 50.
func checkAudiences(auds []string) error {
	if len(auds) > maxTenantAudiences {
		return httpx.InvalidParameter("audiences may hold at most " + strconv.Itoa(maxTenantAudiences) + " entries")
	}
	for i, a := range auds {
		if !audiencePattern(a) {
			return httpx.InvalidParameter("audiences[" + strconv.Itoa(i) + "] must be an absolute http(s) URI without a fragment (RFC 8707), at most 2048 characters")
		}
		if slices.Contains(auds[:i], a) {
			return httpx.InvalidParameter("audiences lists " + a + " twice")
		}
	}
	return nil
}

// checkDefaultAudience refuses a default audience the tenant's own
// allow-list would refuse (the settings as they will be stored).
func checkDefaultAudience(t store.Tenant) error {
	if t.DefaultAudience != "" && len(t.Audiences) > 0 && !slices.Contains(t.Audiences, t.DefaultAudience) {
		return httpx.InvalidParameter("default_audience must be one of audiences")
	}
	return nil
}

// audiencePattern reports whether s is an RFC 8707 resource indicator we
// accept as a default audience: an absolute http(s) URI with a host, no
// fragment, no user info, printable ASCII.
func audiencePattern(s string) bool {
	if len(s) > 2048 || strings.ContainsAny(s, "# ") {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// scopePattern is an RFC 6749 §3.3 scope token, bounded in length.
var scopePattern = lazy(`^[\x21\x23-\x5B\x5D-\x7E]{1,128}$`)

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (p *Platform) create(w http.ResponseWriter, r *http.Request) error {
	var in tenantInput
	if err := readBody(r, &in, false); err != nil {
		return err
	}
	if in.ID == nil {
		return httpx.BadRequest("id is required")
	}
	if in.Disabled != nil {
		return httpx.InvalidParameter("a tenant is created enabled; disable it with POST /platform/v1/tenants/{id}/disable")
	}
	id, err := tenant.ParseID(*in.ID)
	if err != nil {
		return httpx.InvalidParameter("id must match [a-z0-9][a-z0-9-]{1,38}[a-z0-9]")
	}
	if err := p.validate(r, in); err != nil {
		return err
	}
	ctx := r.Context()
	// A cheap check first, so a duplicate does not create a signing key in vain.
	if _, err := p.Store.GetTenant(ctx, id); err == nil {
		return httpx.Conflict("tenant " + id.String() + " exists")
	} else if !errors.Is(err, store.ErrNotFound) {
		return httpx.Internal(err)
	}
	now := p.Store.Now()
	t := store.Tenant{ID: id.String(), Name: id.String(), DCRPolicy: "open", CreatedAt: now, UpdatedAt: now}
	if in.Name != nil {
		t.Name = *in.Name
	}
	if in.DCRPolicy != nil {
		t.DCRPolicy = *in.DCRPolicy
	}
	if in.Hosts != nil {
		t.Hosts = *in.Hosts
	}
	if in.Scopes != nil {
		t.Scopes = *in.Scopes
	}
	// Stored explicitly, so that a later change of the default does not
	// change what an existing tenant lets registrants assign themselves.
	dcr := t.RegistrableScopes()
	if in.DCRScopes != nil {
		dcr = slices.Clone(*in.DCRScopes)
	}
	t.DCRScopes = &dcr
	if in.DefaultAudience != nil {
		t.DefaultAudience = *in.DefaultAudience
	}
	if in.Audiences != nil {
		t.Audiences = slices.Clone(*in.Audiences)
	}
	if in.DPoPNonce != nil {
		t.DPoPNonce = *in.DPoPNonce
	}
	if in.CIMD != nil {
		on := *in.CIMD
		t.CIMD = &on
	}
	if in.CIMDHosts != nil {
		t.CIMDHosts = slices.Clone(*in.CIMDHosts)
	}
	if in.CIMDDenyHosts != nil {
		t.CIMDDenyHosts = slices.Clone(*in.CIMDDenyHosts)
	}
	if err := checkDefaultAudience(t); err != nil {
		return err
	}
	if in.SoftwarePublishers != nil {
		t.SoftwarePublishers = *in.SoftwarePublishers
	}
	if in.AuditShards != nil {
		t.AuditShards = *in.AuditShards
	}
	if in.AuditRetentionDays != nil {
		t.AuditRetentionDays = *in.AuditRetentionDays
	} else if p.DefaultAuditRetentionDays > 0 {
		t.AuditRetentionDays = p.DefaultAuditRetentionDays
	}
	n, adminKey, err := Bootstrap(ctx, p.Keys, t, now, r, p.actor(r))
	if err != nil {
		return httpx.Internal(err)
	}
	if err := p.Store.CreateTenant(ctx, n); err != nil {
		if derr := p.Keys.Discard(ctx, n.SigningKey); derr != nil {
			slog.ErrorContext(ctx, "tenant create failed; its signing key was not released", "tenant", id.String(), "kid", n.SigningKey.KID, "cause", derr)
		}
		if errors.Is(err, store.ErrConflict) {
			return httpx.Conflict(strings.TrimPrefix(err.Error(), store.ErrConflict.Error()+": "))
		}
		return httpx.Internal(err)
	}
	p.Tenants.Forget() // the new tenant and its hosts answer at once
	v := p.view(r, t)
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"tenant": v, "issuer": v.Issuer, "admin_key": adminKey})
	return nil
}

// Bootstrap prepares everything a new tenant starts with: its current signing
// key and its first admin key (returned in the clear, to be shown once), and
// the audit events of both. The caller writes it with store.CreateTenant.
func Bootstrap(ctx context.Context, km KeyMaker, t store.Tenant, now time.Time, r *http.Request, actor audit.Actor) (store.NewTenant, string, error) {
	id := tenant.MustID(t.ID)
	sk, err := km.New(ctx, id)
	if err != nil {
		return store.NewTenant{}, "", err
	}
	sk.State, sk.ActivatedAt = store.KeyCurrent, now
	ak, secret := NewAdminKey("first admin key", []string{"*"}, now)
	target := audit.Target{Type: "tenant", ID: t.ID}
	return store.NewTenant{
		Tenant:     t,
		SigningKey: sk,
		AdminKey:   ak,
		Events: []store.AuditEvent{
			audit.New(r, now, audit.TenantCreated, actor, target, map[string]any{"name": t.Name, "hosts": t.Hosts}),
			audit.New(r, now, audit.SigningKeyRotated, actor, audit.Target{Type: "signing_key", ID: sk.KID}, map[string]any{"state": sk.State, "mode": sk.Mode}),
			audit.New(r, now, audit.APIKeyCreated, actor, audit.Target{Type: "api_key", ID: ak.ID}, map[string]any{"scopes": ak.Scopes, "key_prefix": ak.Prefix}),
		},
	}, secret, nil
}

// NewAdminKey makes an admin key record and its secret (shown once; the
// record keeps only its SHA-256, "sk_live_" plus 4 characters as prefix and
// the last 4 as suffix).
func NewAdminKey(name string, scopes []string, now time.Time) (store.APIKey, string) {
	secret := ids.NewKey(ids.AdminKeyPrefix)
	return store.APIKey{
		ID: ids.New("key_"), Name: name, Hash: ids.Hash(secret),
		Prefix: secret[:len(ids.AdminKeyPrefix)+4], Suffix: secret[len(secret)-4:],
		Scopes: scopes, CreatedAt: now,
	}, secret
}

func (p *Platform) list(w http.ResponseWriter, r *http.Request) error {
	pr, err := pageRequest(r)
	if err != nil {
		return err
	}
	page, err := p.Store.ListTenants(r.Context(), pr)
	if errors.Is(err, store.ErrBadCursor) {
		return httpx.InvalidParameter("cursor is invalid")
	}
	if err != nil {
		return httpx.Internal(err)
	}
	data := make([]tenantJSON, 0, len(page.Items))
	for _, t := range page.Items {
		data = append(data, p.view(r, t))
	}
	var next *string
	if page.Next != "" {
		next = &page.Next
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": next, "has_more": next != nil})
	return nil
}

// pageRequest reads limit and cursor query parameters.
func pageRequest(r *http.Request) (store.PageRequest, error) {
	var pr store.PageRequest
	q, err := httpx.Query(r)
	if err != nil {
		return pr, err
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return pr, httpx.InvalidParameter("limit must be an integer from 1 to " + strconv.Itoa(store.MaxPageLimit))
		}
		pr.Limit = n
	}
	pr.Cursor = q.Get("cursor")
	return pr, nil
}

func (p *Platform) lookup(r *http.Request) (tenant.ID, store.Tenant, error) {
	id, err := tenant.ParseID(r.PathValue("id"))
	if err != nil {
		return id, store.Tenant{}, httpx.NotFound("unknown tenant")
	}
	t, err := p.Store.GetTenant(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return id, t, httpx.NotFound("unknown tenant")
	}
	if err != nil {
		return id, t, httpx.Internal(err)
	}
	return id, t, nil
}

func (p *Platform) get(w http.ResponseWriter, r *http.Request) error {
	_, t, err := p.lookup(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p.view(r, t))
	return nil
}

func (p *Platform) update(w http.ResponseWriter, r *http.Request) error {
	id, _, err := p.lookup(r)
	if err != nil {
		return err
	}
	var in tenantInput
	if err := readBody(r, &in, false); err != nil {
		return err
	}
	if in.ID != nil && *in.ID != id.String() {
		return httpx.InvalidParameter("id cannot change")
	}
	if err := p.validate(r, in); err != nil {
		return err
	}
	changed := map[string]any{}
	return p.change(w, r, id, func(t *store.Tenant) error {
		if in.Name != nil {
			t.Name, changed["name"] = *in.Name, *in.Name
		}
		if in.DCRPolicy != nil {
			t.DCRPolicy, changed["dcr_policy"] = *in.DCRPolicy, *in.DCRPolicy
		}
		if in.Hosts != nil {
			t.Hosts, changed["hosts"] = *in.Hosts, *in.Hosts
		}
		if in.Scopes != nil {
			t.Scopes, changed["scopes"] = *in.Scopes, *in.Scopes
		}
		if in.DCRScopes != nil {
			dcr := slices.Clone(*in.DCRScopes)
			t.DCRScopes, changed["dcr_scopes"] = &dcr, dcr
		}
		if in.DefaultAudience != nil {
			t.DefaultAudience, changed["default_audience"] = *in.DefaultAudience, *in.DefaultAudience
		}
		if in.Audiences != nil {
			t.Audiences, changed["audiences"] = slices.Clone(*in.Audiences), nonNil(*in.Audiences)
		}
		if in.DPoPNonce != nil {
			t.DPoPNonce, changed["dpop_nonce"] = *in.DPoPNonce, *in.DPoPNonce
		}
		if in.CIMD != nil {
			on := *in.CIMD
			t.CIMD, changed["cimd"] = &on, on
		}
		if in.CIMDHosts != nil {
			t.CIMDHosts, changed["cimd_hosts"] = slices.Clone(*in.CIMDHosts), nonNil(*in.CIMDHosts)
		}
		if in.CIMDDenyHosts != nil {
			t.CIMDDenyHosts, changed["cimd_deny_hosts"] = slices.Clone(*in.CIMDDenyHosts), nonNil(*in.CIMDDenyHosts)
		}
		if err := checkDefaultAudience(*t); err != nil {
			return err
		}
		if in.SoftwarePublishers != nil {
			issuers := []string{}
			for _, pub := range *in.SoftwarePublishers {
				issuers = append(issuers, pub.Issuer)
			}
			t.SoftwarePublishers, changed["software_publishers"] = *in.SoftwarePublishers, issuers
		}
		if in.AuditShards != nil {
			if *in.AuditShards < t.AuditShardCount() {
				return httpx.InvalidParameter("audit_shards cannot be lowered (now " + strconv.Itoa(t.AuditShardCount()) + ")")
			}
			t.AuditShards, changed["audit_shards"] = *in.AuditShards, *in.AuditShards
		}
		if in.AuditRetentionDays != nil {
			t.AuditRetentionDays, changed["audit_retention_days"] = *in.AuditRetentionDays, *in.AuditRetentionDays
		}
		if in.Disabled != nil && *in.Disabled != t.Disabled {
			t.Disabled, changed["disabled"] = *in.Disabled, *in.Disabled
			t.DisabledAt = time.Time{}
			if t.Disabled {
				t.DisabledAt = p.Store.Now()
			}
		}
		if len(changed) == 0 {
			return errUnchanged
		}
		return nil
	}, changed)
}

// errUnchanged is what a change's mutate returns when the request changes
// nothing: the tenant is answered as it is, and no tenant.updated is written.
var errUnchanged = errors.New("unchanged")

func (p *Platform) disable(w http.ResponseWriter, r *http.Request) error {
	id, _, err := p.lookup(r)
	if err != nil {
		return err
	}
	var none struct{}
	if err := readBody(r, &none, true); err != nil {
		return err
	}
	return p.change(w, r, id, func(t *store.Tenant) error {
		if t.Disabled {
			return errUnchanged
		}
		t.Disabled, t.DisabledAt = true, p.Store.Now()
		return nil
	}, map[string]any{"disabled": true})
}

// change applies mutate with a tenant.updated event and answers the result.
func (p *Platform) change(w http.ResponseWriter, r *http.Request, id tenant.ID, mutate func(*store.Tenant) error, meta map[string]any) error {
	now := p.Store.Now()
	ev := audit.New(r, now, audit.TenantUpdated, p.actor(r), audit.Target{Type: "tenant", ID: id.String()}, meta)
	var cur store.Tenant
	t, err := p.Store.UpdateTenant(r.Context(), id, func(t *store.Tenant) error {
		cur = *t
		if err := mutate(t); err != nil {
			return err
		}
		t.UpdatedAt = now
		return nil
	}, ev)
	var refused *httpx.Error
	switch {
	case errors.Is(err, errUnchanged): // nothing to change, nothing to audit
		httpx.WriteJSON(w, http.StatusOK, p.view(r, cur))
		return nil
	case errors.As(err, &refused): // mutate refused the change
		return refused
	case errors.Is(err, store.ErrNotFound):
		return httpx.NotFound("unknown tenant")
	case errors.Is(err, store.ErrConflict):
		return httpx.Conflict(strings.TrimPrefix(err.Error(), store.ErrConflict.Error()+": "))
	case err != nil:
		return httpx.Internal(err)
	}
	p.Tenants.Forget()
	httpx.WriteJSON(w, http.StatusOK, p.view(r, t))
	return nil
}

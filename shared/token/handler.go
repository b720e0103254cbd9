package token

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sharkauth/serverless/shared/accesstoken"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/keys"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Handler serves the token function's endpoints for the request's tenant.
type Handler struct {
	Store Store
	// Keys opens signing key records (once per process and key).
	Keys *keys.Cache
	Now  func() time.Time
	// DPoPWindow is the ±iat window of proofs (default 60 s).
	DPoPWindow time.Duration
	// Nonces issues server DPoP nonces for tenants that turn them on. When
	// nil, the first tenant that needs one builds it with the deployment's
	// shared key (Store.DPoPNonceSecret, one table read per process), so
	// every container accepts every container's nonces.
	Nonces *dpop.Nonces
	// RemoteKeys fetches the keys of private_key_jwt clients registered
	// with a jwks_uri (register.KeySource over the SSRF-safe fetcher).
	RemoteKeys func(ctx context.Context, uri, kid string) (json.RawMessage, error)
	// CIMD resolves clients whose client_id is a metadata document URL
	// (the authorize function issued their codes through the same
	// resolution): *cimd.Resolver; nil: such clients are unknown here.
	CIMD CIMD

	nonceMu sync.Mutex
	once    sync.Once
	auth    *oauth.Authenticator
	ring    *accesstoken.Keyring
	proofs  dpop.Validator
}

func (h *Handler) init() {
	h.once.Do(func() {
		if h.Now == nil {
			h.Now = time.Now
		}
		h.auth = &oauth.Authenticator{Clients: h.Store, Now: h.Now, RemoteKeys: h.RemoteKeys, Described: h.described}
		h.ring = &accesstoken.Keyring{Source: h.Store, Cache: h.Keys, Now: h.Now}
		h.proofs = dpop.Validator{Now: h.Now, Window: h.DPoPWindow}
	})
}

// Register adds the routes to mux (tenant-free paths).
func (h *Handler) Register(mux *http.ServeMux) {
	h.init()
	mux.Handle("POST /oauth/token", oauth.Handle(tenant.Handle(h.token)))
	mux.Handle("POST /oauth/revoke", oauth.Handle(tenant.Handle(h.revoke)))
	mux.Handle("POST /oauth/introspect", oauth.Handle(tenant.Handle(h.introspect)))
	mux.Handle("GET /oauth/revocations", oauth.Handle(tenant.Handle(h.revocations)))
}

// request is one token request after the shared phases that precede the grant.
type request struct {
	r      *http.Request
	tenant tenant.Tenant
	form   oauth.Form
	client oauth.Authenticated
	policy policy
	proof  *dpop.Proof // nil: not bound
	now    time.Time
	// marks are the replay marks of the request's verified assertion and
	// proof: written with the token, or spent on a refusal.
	marks []store.ReplayMark
	// listed: the client is registered for the grant type. Only a grant
	// declared unlisted (token exchange) serves a client that is not, and
	// only as the actor of a live may-act grant (the grant is the
	// authorization).
	listed bool
}

// decision is what a grant decides; the dispatcher applies it.
type decision struct {
	subject string
	// scopes is the ceiling the requested scope must fit in (and the
	// scope granted when none is requested).
	scopes []string
	// defaultAudience is the aud when none is requested; it passes the
	// allow-lists like a requested one.
	defaultAudience []string
	// substitute lets the audience phase choose the one audience the
	// allow-lists leave when defaultAudience is outside them.
	substitute bool
	// audienceCeiling, when non-nil, bounds the requested audiences too.
	audienceCeiling []string
	act             *accesstoken.Actor
	// limit caps the lifetime (a subject token's remaining life); 0 = none.
	limit    time.Duration
	event    string
	metadata map[string]any
	// exchange answers with issued_token_type (RFC 8693).
	exchange bool
	// delegation is the token record's Delegation: the clients besides the
	// acting one whose revocation revokes the token (exchange).
	delegation []string
	// refresh, when set, asks for a refresh token with the access token
	// (the authorization_code and refresh_token grants; none served yet).
	refresh *refreshPart
	// steps are the grant's own writes that join the token's one
	// transaction (store.Issuance.Steps): a code's single use, the
	// rotation of the refresh token presented. When one's condition fails,
	// refused turns the store's error into the answer (invalid_grant);
	// nil, or nil from it, leaves the error to the dispatcher.
	steps   []store.IssueStep
	refused func(error) error
	// user and family, for a user's grant: the token record's User and
	// Family (every revocation layer of the user and the family applies).
	user, family string
}

// refreshPart is what a grant decides about the refresh token it issues
// with the access token: the family it joins (a rotation's predecessor's;
// "" starts one, with the first grant of a code) and its lifetime. The
// dispatcher mints it and stores only its hash, in the issue's transaction.
type refreshPart struct {
	family   string
	user     string
	authTime time.Time
	// userMark is the user's cascade marker version when the grant was
	// authorized (nil: a token stored before it was kept).
	userMark *int64
	// scope and resources are the grant's whole (a narrowed access token
	// leaves its refresh token's scope as it was, RFC 6749 §6).
	scope     string
	resources []string
	// rotate is the refresh token presented (as read), presented its
	// value: it is rotated into the new one in the issue's transaction.
	rotate    *store.RefreshToken
	presented string
	// again, within the grace of a rotation, is the successor already
	// made: answered again, nothing written.
	again string
}

// token is POST /oauth/token: parse, authenticate the client, validate
// its DPoP proof, dispatch the grant, then the shared phases (scope,
// audience, issuability) and issue.
//
// A client assertion or DPoP proof whose signature verified is spent
// whatever the outcome (RFC 7523 §3, RFC 9449 §11.1): a success writes its
// marks in the issue's one transaction; a refusal after verification
// writes them in one call before answering (spend). A request refused
// before that (no client authentication, a public client) verified
// nothing and spends nothing, so unauthenticated callers cause no write.
func (h *Handler) token(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	h.init()
	ctx := r.Context()
	f, err := oauth.ParseForm(r)
	if err != nil {
		return err
	}
	gt := oauth.GrantType(f.Get("grant_type"))
	if gt == "" {
		return oauth.New(oauth.InvalidRequest, "grant_type is required")
	}
	defer h.warmSigner(ctx, t)()
	// Phase 1: client authentication. Its Marks are set even on failure
	// when an assertion's signature verified.
	client, err := h.auth.Authenticate(ctx, r, f, t, oauth.Options{Assertions: true, Public: true})
	if err != nil {
		return h.spend(ctx, t, client.Marks, err)
	}
	if client.Client.Kind == store.KindResourceServer {
		return h.spend(ctx, t, client.Marks, oauth.New(oauth.UnauthorizedClient, "a resource server is never issued tokens"))
	}
	g, known := grantOf(gt)
	switch {
	case known:
		// The grant's client-authentication rule, before anything else is
		// verified: a public client is identified, never authenticated, and
		// only a grant that proves it otherwise admits it.
		if err := g.admits(client); err != nil {
			return h.spend(ctx, t, client.Marks, err)
		}
	case client.Method == oauth.AuthNone:
		return grantAllowed(client, g, gt, known)
	}
	pol, err := h.policy(ctx, t)
	if err != nil {
		return h.spend(ctx, t, client.Marks, oauth.Internal(err))
	}
	q := &request{r: r, tenant: t, form: f, client: client, policy: pol, now: h.Now().UTC(),
		listed: allowsGrant(client.Client, gt), marks: client.Marks}
	// Phase 2: DPoP. A proof refused after its signature verified is
	// returned too, to be spent.
	proof, err := h.checkProof(r, t, pol, client.Client)
	if proof != nil {
		q.marks = append(slices.Clone(q.marks), h.proofMark(proof))
	}
	if err == nil {
		q.proof = proof
		err = h.grantAndIssue(w, q, g, gt, known)
	}
	if err != nil {
		return h.spend(ctx, t, q.marks, err)
	}
	return nil
}

// grantAndIssue runs the phases after DPoP and issues the token.
func (h *Handler) grantAndIssue(w http.ResponseWriter, q *request, g grant, gt oauth.GrantType, known bool) error {
	ctx := q.r.Context()
	// Phase 3: the grant type, known and allowed for this client. A client
	// not registered for an unlisted grant (token exchange) is left to the
	// grant (q.listed).
	if err := grantAllowed(q.client, g, gt, known); err != nil {
		return err
	}
	// Phase 4: the grant's own rules.
	d, err := g.decide(h, ctx, q)
	if err != nil {
		return err
	}
	// Phase 5: scope, within the grant's ceiling.
	scope, err := grantScope(q.form.Get("scope"), d.scopes)
	if err != nil {
		return err
	}
	// Phase 6: audience/resource, within the client's and the tenant's allow-lists.
	aud, err := h.audience(q.form, q.client.Client, q.policy, d)
	if err != nil {
		return err
	}
	// Phase 7: the client may be issued tokens now (user cascade, deactivation).
	if err := h.Store.CheckIssuable(ctx, q.tenant.ID, q.client.Client); err != nil {
		if errors.Is(err, store.ErrClientInactive) {
			return oauth.New(oauth.InvalidClient, "client authentication failed")
		}
		return oauth.Internal(err)
	}
	return h.issue(w, q, gt, d, scope, aud)
}

// grantAllowed is the grant type check: known to this server (g is its
// grant) and allowed for the client (a grant declared unlisted decides
// itself, see q.listed). The grant's own client-authentication rule ran
// before (grant.admits).
func grantAllowed(client oauth.Authenticated, g grant, gt oauth.GrantType, known bool) error {
	switch {
	case !known && slices.Contains(client.Client.GrantTypes, string(gt)):
		return oauth.New(oauth.UnauthorizedClient, "grant type "+string(gt)+" is not available at this server")
	case !known:
		return oauth.New(oauth.UnsupportedGrantType, "unsupported grant_type")
	case !allowsGrant(client.Client, gt) && !g.unlisted:
		return oauth.New(oauth.UnauthorizedClient, "the client may not use grant type "+string(gt))
	}
	return nil
}

// spend records the replay marks of a refused request, those that have
// not expired, in one store call, then answers with the refusal. If they
// cannot be recorded the answer is 503 temporarily_unavailable (the client
// retries with a new proof or assertion), never 500. A success never comes
// here: its marks are written with the token.
func (h *Handler) spend(ctx context.Context, t tenant.Tenant, marks []store.ReplayMark, refusal error) error {
	now := h.Now()
	live := slices.DeleteFunc(slices.Clone(marks), func(m store.ReplayMark) bool { return !m.Until.After(now) })
	if len(live) == 0 {
		return refusal
	}
	if err := h.Store.SpendMarks(ctx, t.ID, live); err != nil {
		return oauth.New(oauth.TemporarilyUnavailable, "the service is temporarily unavailable; retry after the Retry-After delay").
			WithCause(errors.Join(err, refusal))
	}
	return refusal
}

// allowsGrant: a client lists its grants; none listed means client_credentials.
func allowsGrant(c store.Client, gt oauth.GrantType) bool {
	if len(c.GrantTypes) == 0 {
		return gt == oauth.GrantClientCredentials
	}
	return slices.Contains(c.GrantTypes, string(gt))
}

// checkProof validates the request's DPoP proof, if any, and enforces it for
// clients that must present one (dpop_bound_access_tokens, or a registered
// key, whose thumbprint the proof's key must have). With an error it still
// returns a proof whose signature verified, for the caller to spend.
func (h *Handler) checkProof(r *http.Request, t tenant.Tenant, pol policy, c store.Client) (*dpop.Proof, error) {
	vals := r.Header.Values("DPoP")
	required := c.DPoPBound || c.DPoPJKT != ""
	switch {
	case len(vals) > 1:
		return nil, oauth.New(oauth.InvalidDPoPProof, "exactly one DPoP header is allowed")
	case len(vals) == 0 && required:
		return nil, oauth.New(oauth.InvalidDPoPProof, "this client must present a DPoP proof")
	case len(vals) == 0:
		return nil, nil
	}
	req := dpop.Request{Method: http.MethodPost, URL: t.Issuer + "/oauth/token"}
	var nonces *dpop.Nonces
	if pol.dpopNonce {
		var err error
		if nonces, err = h.nonces(r.Context()); err != nil {
			return nil, oauth.Internal(err)
		}
		req.Nonce = func(n string) bool { return nonces.Valid(t.ID.String(), n) }
	}
	proof, err := h.proofs.Validate(vals[0], req)
	var verified *dpop.Proof // the key holder's own proof, to spend even when refused
	if proof.JTI != "" {
		verified = &proof
	}
	if err != nil {
		var de *dpop.Error
		if errors.As(err, &de) && de.UseNonce {
			return verified, oauth.New(oauth.UseDPoPNonce, "a DPoP nonce is required").WithHeader("DPoP-Nonce", nonces.Issue(t.ID.String()))
		}
		if errors.As(err, &de) {
			return verified, oauth.New(oauth.InvalidDPoPProof, de.Rule)
		}
		return verified, oauth.New(oauth.InvalidDPoPProof, "invalid DPoP proof")
	}
	if c.DPoPJKT != "" && proof.JKT != c.DPoPJKT {
		return verified, oauth.New(oauth.InvalidDPoPProof, "the proof's key is not the client's registered DPoP key")
	}
	return verified, nil
}

// audience is the shared audience phase. Every audience of the token, the
// requested ones and the one the grant chooses when none is requested,
// passes the client's allow-list, the tenant's and the grant's ceiling.
// When the grant's default does not and d.substitute allows it, the one
// audience the allow-lists leave (if exactly one) is chosen instead: it is
// the only value the client could name, so the token is no wider than a
// request for it.
func (h *Handler) audience(f oauth.Form, c store.Client, pol policy, d decision) ([]string, error) {
	want, err := requestedTargets(f)
	if err != nil {
		return nil, err
	}
	if len(want) > 0 {
		return want, allowedTargets(want, c, pol, d)
	}
	err = allowedTargets(d.defaultAudience, c, pol, d)
	if err == nil || !d.substitute {
		return d.defaultAudience, err
	}
	only := c.Audiences
	if len(only) == 0 {
		only = pol.audiences
	}
	if len(only) == 1 && allowedTargets(only, c, pol, d) == nil {
		return slices.Clone(only), nil
	}
	return nil, err
}

// allowedTargets checks audiences against the client's and the tenant's
// allow-lists and the grant's ceiling.
func allowedTargets(aud []string, c store.Client, pol policy, d decision) error {
	if v, ok := within(aud, c.Audiences); !ok {
		return oauth.New(oauth.InvalidTarget, "audience "+v+" is not allowed for this client")
	}
	if v, ok := within(aud, pol.audiences); !ok {
		return oauth.New(oauth.InvalidTarget, "audience "+v+" is not allowed on this tenant")
	}
	if d.audienceCeiling != nil {
		if v, ok := within(aud, d.audienceCeiling); !ok {
			return oauth.New(oauth.InvalidTarget, "audience "+v+" is not an audience of the subject token")
		}
	}
	return nil
}

// tokenResponse is the body of a successful token response.
type tokenResponse struct {
	AccessToken     string            `json:"access_token"`
	IssuedTokenType oauth.TokenTypeID `json:"issued_token_type,omitempty"`
	TokenType       oauth.TokenType   `json:"token_type"`
	ExpiresIn       int64             `json:"expires_in"`
	// RefreshToken is set when the grant decided one (decision.refresh).
	RefreshToken string                    `json:"refresh_token,omitempty"`
	Scope        string                    `json:"scope,omitempty"`
	Cnf          *accesstoken.Confirmation `json:"cnf,omitempty"`
}

// issue signs the token and writes its record, the replay marks of this
// request (DPoP proof, client assertion) and its audit event in ONE store
// transaction, then answers.
func (h *Handler) issue(w http.ResponseWriter, q *request, gt oauth.GrantType, d decision, scope string, aud []string) error {
	ctx := q.r.Context()
	c := q.client.Client
	lt := lifetime(c, q.policy, d.limit)
	if lt < time.Second {
		return oauth.New(oauth.InvalidGrant, "the subject token expires too soon")
	}
	now := q.now.Truncate(time.Second)
	exp := now.Add(lt)
	// The jti and the issue event's id are twins: the event needs no copy
	// under its target, the token (store.NewTokenIDs).
	shards := store.DefaultAuditShards
	if t, ok := store.TenantOf(ctx); ok {
		shards = t.AuditShardCount()
	}
	jti, eventID, eventAt := store.NewTokenIDs(q.now, shards)
	if q.proof != nil {
		// The token item's key derives from the proof: it is the proof's
		// replay mark (store.NewDPoPTokenIDs).
		jti, eventID, eventAt = store.NewDPoPTokenIDs(q.now, shards, h.proofMark(q.proof))
	}
	claims := accesstoken.Claims{
		Issuer: q.tenant.Issuer, Subject: d.subject, Audience: aud,
		IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: exp.Unix(),
		ID: jti, ClientID: c.ClientID, Scope: scope, Act: d.act,
		Family: d.family,
	}
	if c.Kind.IsAgent() {
		claims.AgentID = c.ID
	}
	jkt := ""
	if q.proof != nil {
		jkt = q.proof.JKT
		claims.Cnf = &accesstoken.Confirmation{JKT: jkt}
	}
	// The client's algorithm (ES256 unless the admin set RS256; the admin
	// API made the tenant's RS256 key when it did).
	alg := store.AlgES256
	if c.AccessTokenAlg != "" {
		alg = c.AccessTokenAlg
	}
	key, err := h.ring.SignerFor(ctx, q.tenant.ID, q.policy.revokedKIDs, alg)
	if err != nil {
		return oauth.Internal(err)
	}
	signed, err := accesstoken.Issue(ctx, key, claims)
	if err != nil {
		return oauth.Internal(err)
	}
	rec := store.TokenRecord{
		JTI: claims.ID, ClientID: c.ClientID, AgentID: claims.AgentID, Subject: d.subject,
		Scope: scope, Audience: aud, JKT: jkt, KID: key.KID(), GrantType: string(gt),
		IssuedAt: q.now.Truncate(time.Microsecond), ExpiresAt: exp, Delegation: d.delegation,
		User: d.user, Family: d.family,
	}
	steps := d.steps
	var refresh string
	if d.refresh != nil {
		var step store.IssueStep
		if refresh, step, err = mintRefresh(d.refresh, c, jkt, rec.IssuedAt); err != nil {
			return oauth.Internal(err)
		}
		if step != nil {
			steps = append(slices.Clone(steps), step)
		}
	}
	md := map[string]any{"scope": scope, "jkt": jkt, "aud": aud, "grant_type": string(gt), "jti": claims.ID}
	for k, v := range d.metadata {
		md[k] = v
	}
	ev := audit.New(q.r, eventAt, d.event, audit.Actor{Type: "client", ID: c.ClientID}, audit.Target{Type: "token", ID: claims.ID}, md)
	ev.ID = eventID
	is := store.Issuance{Token: rec, Marks: q.marks, Event: ev, Steps: steps}
	if err := h.Store.IssueToken(ctx, q.tenant.ID, is); err != nil {
		if d.refused != nil {
			if refusal := d.refused(err); refusal != nil {
				return refusal
			}
		}
		if errors.Is(err, store.ErrReplay) {
			if q.proof != nil {
				return oauth.New(oauth.InvalidDPoPProof, "the DPoP proof (or client assertion) was already used")
			}
			return oauth.New(oauth.InvalidClient, "the client assertion was already used")
		}
		return oauth.Internal(err)
	}
	resp := tokenResponse{AccessToken: signed, TokenType: oauth.TokenBearer, ExpiresIn: int64(lt / time.Second), Scope: scope, RefreshToken: refresh}
	if q.proof != nil {
		resp.TokenType = oauth.TokenDPoP
		resp.Cnf = &accesstoken.Confirmation{JKT: jkt}
	}
	if d.exchange {
		resp.IssuedTokenType = oauth.AccessTokenType
	}
	if q.policy.dpopNonce {
		if n, err := h.nonces(ctx); err == nil {
			w.Header().Set("DPoP-Nonce", n.Issue(q.tenant.ID.String()))
		}
	}
	httpx.TokenIssued(q.r.Context(), string(gt))
	oauth.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// proofMark is the replay mark of a DPoP proof whose signature verified:
// its key's thumbprint and its jti, remembered until its iat window ends.
func (h *Handler) proofMark(p *dpop.Proof) store.ReplayMark {
	return store.ReplayMark{Kind: "dpop", Value: p.JKT + "|" + p.JTI, Until: p.IssuedAt.Add(h.dpopWindow() + time.Second)}
}

// nonces returns the nonce issuer, keyed on first use with the deployment's
// shared secret.
func (h *Handler) nonces(ctx context.Context) (*dpop.Nonces, error) {
	h.nonceMu.Lock()
	defer h.nonceMu.Unlock()
	if h.Nonces == nil {
		key, err := h.Store.DPoPNonceSecret(ctx)
		if err != nil {
			return nil, err
		}
		h.Nonces = &dpop.Nonces{Key: key, Now: h.Now}
	}
	return h.Nonces, nil
}

// dpopWindow is the proofs' iat window: a proof's jti is remembered until
// its iat plus the window, after which the proof is refused as stale anyway.
func (h *Handler) dpopWindow() time.Duration {
	if h.DPoPWindow > 0 {
		return h.DPoPWindow
	}
	return dpop.DefaultWindow
}

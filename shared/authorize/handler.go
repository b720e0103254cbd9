package authorize

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/password"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Store is what the authorize function uses of the domain store;
// *store.Store satisfies it.
type Store interface {
	GetTenant(ctx context.Context, id tenant.ID) (store.Tenant, error)
	GetClient(ctx context.Context, t tenant.ID, clientID string) (store.Client, error)
	GetUser(ctx context.Context, t tenant.ID, id string) (store.User, error)
	UserByEmail(ctx context.Context, t tenant.ID, email string) (store.User, error)
	CreateSession(ctx context.Context, t tenant.ID, s store.Session, ev store.AuditEvent) error
	SessionByHash(ctx context.Context, t tenant.ID, hash []byte) (store.Session, error)
	DeleteSession(ctx context.Context, t tenant.ID, hash []byte, ev store.AuditEvent) error
	GrantConsent(ctx context.Context, t tenant.ID, c store.Consent, ev store.AuditEvent) error
	GetConsent(ctx context.Context, t tenant.ID, userID, clientID, redirectURI string) (store.Consent, error)
	RecordAuditEvents(ctx context.Context, t tenant.ID, evs ...store.AuditEvent) error
	Hit(ctx context.Context, t tenant.ID, name string, window time.Duration, limit int) (store.RateDecision, error)
}

// Codes stores authorization codes (the token function consumes them).
type Codes interface {
	CreateAuthCode(ctx context.Context, t tenant.ID, c AuthCode, ev store.AuditEvent) error
}

// Audit events of the authorize function.
const (
	EventSignedIn     = "user.signed_in"
	EventSignInFailed = "user.sign_in_failed"
	EventSignedOut    = "user.signed_out"
	EventConsent      = "consent.granted"
	EventCodeIssued   = "oauth.code_issued"
)

// Limits bound sign-in attempts per account and per source address within
// a window (the counters live in the table: they hold across instances).
type Limits struct {
	PerAccount int
	PerAddress int
	Window     time.Duration
}

// DefaultLimits let a person mistype and stop a password guesser.
var DefaultLimits = Limits{PerAccount: 10, PerAddress: 100, Window: 15 * time.Minute}

// Lifetimes.
const (
	DefaultSessionTTL = 8 * time.Hour
	CodeTTL           = 60 * time.Second
	preSessionTTL     = time.Hour
)

// checkNone spends a password check's time where there is no hash to check
// (a variable for the test that counts it).
var checkNone = password.CheckNone

// Handler serves the authorization endpoint, its pages and sign-out.
type Handler struct {
	Store Store
	// Codes stores the codes; nil answers a page saying the service cannot
	// issue codes (the token function's codes are not wired).
	Codes Codes
	// CIMD resolves metadata-document client_ids; nil refuses them.
	CIMD       CIMD
	Now        func() time.Time
	Limits     Limits
	SessionTTL time.Duration
}

// Register adds the routes to mux (tenant-free paths).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /oauth/authorize", h.serve(h.authorize))
	mux.Handle("POST /oauth/authorize", h.serve(h.submit))
	mux.Handle("POST /oauth/logout", h.serve(h.logout))
}

// call is one request to the function, its tenant resolved.
type call struct {
	w   http.ResponseWriter
	r   *http.Request
	ctx context.Context
	t   tenant.Tenant
	rec store.Tenant
	now time.Time
}

func (h *Handler) serve(f func(c *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, ok := tenant.From(r.Context())
		if !ok {
			render(w, 500, view{Kind: "message", Title: "Something went wrong", Message: "The service failed; try again."}, "")
			return
		}
		c := &call{w: w, r: r, ctx: r.Context(), t: t, now: h.now()}
		rec, ok := store.TenantOf(r.Context())
		if !ok || rec.ID != t.ID.String() {
			var err error
			if rec, err = h.Store.GetTenant(r.Context(), t.ID); err != nil {
				h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
				return
			}
		}
		c.rec = rec
		f(c)
	})
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
	if l.PerAccount <= 0 {
		l.PerAccount = DefaultLimits.PerAccount
	}
	if l.PerAddress <= 0 {
		l.PerAddress = DefaultLimits.PerAddress
	}
	return l
}

func (c *call) tenantName() string {
	if c.rec.Name != "" {
		return c.rec.Name
	}
	return c.t.ID.String()
}

// authorize is GET /oauth/authorize.
func (h *Handler) authorize(c *call) {
	req, err := h.parse(c.ctx, c.t, c.rec, c.r.URL.RawQuery)
	if err != nil {
		h.fail(c, err, req)
		return
	}
	user, secret, err := h.session(c)
	if err != nil {
		h.fail(c, err, req)
		return
	}
	if user.ID == "" || req.prompt["login"] {
		if req.prompt["none"] {
			h.redirectError(c, req, refuse("login_required", "the user is not signed in"))
			return
		}
		h.loginPage(c, req, http.StatusOK, "", req.loginHint)
		return
	}
	h.proceed(c, req, user, secret)
}

// submit is POST /oauth/authorize: the login and consent forms.
func (h *Handler) submit(c *call) {
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, 64<<10)
	if err := c.r.ParseForm(); err != nil {
		h.fail(c, &pageError{status: 400, msg: "The form is malformed."})
		return
	}
	form := c.r.PostForm
	req, err := h.parse(c.ctx, c.t, c.rec, form.Get("request"))
	if err != nil {
		h.fail(c, err, req)
		return
	}
	switch form.Get("step") {
	case "login":
		h.login(c, req)
	case "consent":
		h.consent(c, req)
	default:
		h.fail(c, &pageError{status: 400, msg: "The form is malformed."})
	}
}

// login checks the login form and signs the person in.
func (h *Handler) login(c *call, req request) {
	pre, _ := c.r.Cookie(h.cookieName(c, "pre"))
	if pre == nil || !checkCSRF(pre.Value, c.r.PostForm.Get("csrf")) {
		h.fail(c, &pageError{status: 403, msg: "The form expired or was not sent by this page. Go back to the application and start again (cookies must be enabled)."})
		return
	}
	email := strings.TrimSpace(c.r.PostForm.Get("email"))
	pw := c.r.PostForm.Get("password")
	if email == "" || pw == "" || len(email) > 254 || len(pw) > 1024 {
		h.loginPage(c, req, http.StatusBadRequest, "Enter your email and password.", email)
		return
	}
	l := h.limits()
	for _, name := range []string{"signin-account:" + strings.ToLower(email), "signin-address:" + httpx.AddressKey(httpx.ClientAddress(c.r))} {
		limit := l.PerAccount
		if strings.HasPrefix(name, "signin-address:") {
			limit = l.PerAddress
		}
		d, err := h.Store.Hit(c.ctx, c.t.ID, name, l.Window, limit)
		if err != nil {
			h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
			return
		}
		if !d.Allowed {
			h.loginPage(c, req, http.StatusTooManyRequests, "Too many sign-in attempts. Wait a few minutes and try again.", email)
			return
		}
	}
	user, err := h.Store.UserByEmail(c.ctx, c.t.ID, email)
	var ok bool
	switch {
	case err == nil && user.PasswordHash != "":
		ok = password.Check(pw, user.PasswordHash)
	case err == nil || errors.Is(err, store.ErrNotFound):
		ok = checkNone(pw) // the time of a check, for an unknown user too
	default:
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	if !ok {
		reason := "wrong_password"
		if user.ID == "" {
			reason = "unknown_user"
		}
		ev := audit.New(c.r, c.now, EventSignInFailed, audit.Actor{Type: "user", ID: user.ID},
			audit.Target{Type: "user", ID: user.ID}, map[string]any{"email": email, "client_id": req.client.ID, "reason": reason})
		ev.Status = "failure"
		if err := h.Store.RecordAuditEvents(c.ctx, c.t.ID, ev); err != nil {
			h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
			return
		}
		h.loginPage(c, req, http.StatusUnauthorized, "The email or password is wrong.", email)
		return
	}
	secret := newSecret()
	ses := store.Session{ID: ids.New("ses_"), Hash: ids.Hash(secret), UserID: user.ID, CreatedAt: c.now, ExpiresAt: c.now.Add(h.sessionTTL())}
	ev := audit.New(c.r, c.now, EventSignedIn, audit.Actor{Type: "user", ID: user.ID}, audit.Target{Type: "user", ID: user.ID},
		map[string]any{"session_id": ses.ID, "client_id": req.client.ID})
	if err := h.Store.CreateSession(c.ctx, c.t.ID, ses, ev); err != nil {
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	h.setCookie(c, "session", secret, h.sessionTTL())
	if err := h.endPrevious(c, ses.ID); err != nil {
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	h.proceed(c, req, user, secret)
}

// endPrevious ends the session the browser held before signing in again
// (prompt=login, or another account): one browser, one live session.
func (h *Handler) endPrevious(c *call, next string) error {
	old, _ := c.r.Cookie(h.cookieName(c, "session"))
	if old == nil || old.Value == "" || len(old.Value) > 128 {
		return nil
	}
	hash := ids.Hash(old.Value)
	ses, err := h.Store.SessionByHash(c.ctx, c.t.ID, hash)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	ev := audit.New(c.r, c.now, EventSignedOut, audit.Actor{Type: "user", ID: ses.UserID}, audit.Target{Type: "user", ID: ses.UserID},
		map[string]any{"session_id": ses.ID, "replaced_by": next})
	if err := h.Store.DeleteSession(c.ctx, c.t.ID, hash, ev); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// consent handles the consent form.
func (h *Handler) consent(c *call, req request) {
	user, secret, err := h.session(c)
	if err != nil {
		h.fail(c, err, req)
		return
	}
	if user.ID == "" {
		h.loginPage(c, req, http.StatusOK, "Your session ended; sign in again.", req.loginHint)
		return
	}
	if !checkCSRF(secret, c.r.PostForm.Get("csrf")) {
		h.fail(c, &pageError{status: 403, msg: "The form expired or was not sent by this page. Go back to the application and start again."})
		return
	}
	if c.r.PostForm.Get("decision") != "allow" {
		h.redirectError(c, req, refuse("access_denied", "the user denied the request"))
		return
	}
	prev, err := h.Store.GetConsent(c.ctx, c.t.ID, user.ID, req.client.ID, req.redirectURI)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	next := store.Consent{ID: prev.ID, UserID: user.ID, ClientID: req.client.ID, RedirectURI: req.redirectURI,
		Scopes: union(prev.Scopes, req.scopes), Resources: union(prev.Resources, req.resources), CreatedAt: prev.CreatedAt, UpdatedAt: c.now}
	if next.CreatedAt.IsZero() {
		next.CreatedAt = c.now
	}
	if next.ID == "" {
		next.ID = ids.New("cns_")
	}
	ev := audit.New(c.r, c.now, EventConsent, audit.Actor{Type: "user", ID: user.ID}, audit.Target{Type: "client", ID: req.client.ID},
		map[string]any{"redirect_uri": req.redirectURI, "scopes": req.scopes, "resources": req.resources})
	if err := h.Store.GrantConsent(c.ctx, c.t.ID, next, ev); err != nil {
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	h.issue(c, req, user)
}

// proceed continues a request with a signed-in user: the consent page when
// no remembered consent covers it (or prompt=consent), else the code.
func (h *Handler) proceed(c *call, req request, user store.User, secret string) {
	cons, err := h.Store.GetConsent(c.ctx, c.t.ID, user.ID, req.client.ID, req.redirectURI)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	if err != nil || req.prompt["consent"] || !cons.Covers(req.scopes, req.resources) {
		if req.prompt["none"] {
			h.redirectError(c, req, refuse("consent_required", "the user has not consented to this request"))
			return
		}
		render(c.w, http.StatusOK, view{Kind: "consent", Tenant: c.tenantName(), Title: "Allow access?", Request: req.raw,
			CSRF: csrfToken(secret), Email: user.Email, ClientName: clientName(req.client), RedirectHost: redirectHost(req.redirectURI),
			Scopes: req.scopes, Resources: req.resources}, cspSource(req.redirectURI))
		return
	}
	h.issue(c, req, user)
}

// issue stores a code for the request and redirects to the client with it.
func (h *Handler) issue(c *call, req request, user store.User) {
	if h.Codes == nil {
		h.fail(c, &pageError{status: 503, msg: "This service cannot issue authorization codes yet."})
		return
	}
	code := newSecret()
	ac := AuthCode{ID: "code_" + ids.NanoID(), Hash: ids.Hash(code), ClientID: req.client.ID, RedirectURI: req.redirectURI,
		Challenge: req.challenge, Scope: strings.Join(req.scopes, " "), Resources: req.resources, UserID: user.ID,
		DPoPJKT: req.dpopJKT, CreatedAt: c.now, ExpiresAt: c.now.Add(CodeTTL)}
	ev := audit.New(c.r, c.now, EventCodeIssued, audit.Actor{Type: "user", ID: user.ID}, audit.Target{Type: "client", ID: req.client.ID},
		map[string]any{"code_id": ac.ID, "scope": ac.Scope, "resources": req.resources})
	switch err := h.Codes.CreateAuthCode(c.ctx, c.t.ID, ac, ev); {
	case errors.Is(err, store.ErrConsentRevoked):
		// Revoked since its page (by the admin API, in that instant).
		h.redirectError(c, req, refuse("access_denied", "the consent was revoked"))
		return
	case err != nil:
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	h.redirect(c, req, url.Values{"code": {code}})
}

// logout is POST /oauth/logout: it ends the session (CSRF-checked).
func (h *Handler) logout(c *call) {
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, 64<<10)
	if err := c.r.ParseForm(); err != nil {
		h.fail(c, &pageError{status: 400, msg: "The form is malformed."})
		return
	}
	ck, _ := c.r.Cookie(h.cookieName(c, "session"))
	if ck == nil {
		h.message(c, http.StatusOK, "Signed out", "You are signed out.")
		return
	}
	if !checkCSRF(ck.Value, c.r.PostForm.Get("csrf")) {
		h.fail(c, &pageError{status: 403, msg: "The form expired or was not sent by this page."})
		return
	}
	hash := ids.Hash(ck.Value)
	ses, err := h.Store.SessionByHash(c.ctx, c.t.ID, hash)
	if err == nil {
		ev := audit.New(c.r, c.now, EventSignedOut, audit.Actor{Type: "user", ID: ses.UserID}, audit.Target{Type: "user", ID: ses.UserID},
			map[string]any{"session_id": ses.ID})
		err = h.Store.DeleteSession(c.ctx, c.t.ID, hash, ev)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(c, &pageError{status: 500, msg: "The service failed; try again.", cause: err})
		return
	}
	h.setCookie(c, "session", "", -1)
	h.message(c, http.StatusOK, "Signed out", "You are signed out.")
}

// session returns the signed-in user and the session cookie's value, or a
// zero user when there is no live session (or its user is gone).
func (h *Handler) session(c *call) (store.User, string, error) {
	ck, _ := c.r.Cookie(h.cookieName(c, "session"))
	if ck == nil || ck.Value == "" || len(ck.Value) > 128 {
		return store.User{}, "", nil
	}
	ses, err := h.Store.SessionByHash(c.ctx, c.t.ID, ids.Hash(ck.Value))
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, "", nil
	}
	if err != nil {
		return store.User{}, "", &pageError{status: 500, msg: "The service failed; try again.", cause: err}
	}
	u, err := h.Store.GetUser(c.ctx, c.t.ID, ses.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, "", nil
	}
	if err != nil {
		return store.User{}, "", &pageError{status: 500, msg: "The service failed; try again.", cause: err}
	}
	return u, ck.Value, nil
}

// loginPage renders the login form with a pre-session cookie for its CSRF
// token (a new one when the browser has none).
func (h *Handler) loginPage(c *call, req request, status int, msg, email string) {
	pre, _ := c.r.Cookie(h.cookieName(c, "pre"))
	value := ""
	if pre != nil && len(pre.Value) >= 32 && len(pre.Value) <= 128 {
		value = pre.Value
	} else {
		value = newSecret()
		h.setCookie(c, "pre", value, preSessionTTL)
	}
	render(c.w, status, view{Kind: "login", Tenant: c.tenantName(), Title: "Sign in", Error: msg, Request: req.raw,
		CSRF: csrfToken(value), Email: email, ClientName: clientName(req.client)}, cspSource(req.redirectURI))
}

func (h *Handler) message(c *call, status int, title, msg string) {
	render(c.w, status, view{Kind: "message", Tenant: c.tenantName(), Title: title, Message: msg}, "")
}

// fail answers err: a page for a *pageError (and any other error), a
// redirect to the client for a *redirectError (req then holds the
// validated client and redirect URI).
func (h *Handler) fail(c *call, err error, req ...request) {
	var re *redirectError
	if errors.As(err, &re) && len(req) > 0 && req[0].redirectURI != "" {
		h.redirectError(c, req[0], re)
		return
	}
	var pe *pageError
	if !errors.As(err, &pe) {
		pe = &pageError{status: 500, msg: "The service failed; try again.", cause: err}
	}
	if pe.cause != nil {
		if httpx.Unavailable(pe.cause) {
			pe.status, pe.msg = http.StatusServiceUnavailable, "The service is busy; try again in a moment."
			c.w.Header().Set("Retry-After", httpx.RetryAfter)
		}
		slog.ErrorContext(c.ctx, "authorize failed", "tenant", c.t.ID.String(), "err", pe.cause.Error())
	}
	title := "This request cannot continue"
	if pe.status >= 500 {
		title = "Something went wrong"
	}
	h.message(c, pe.status, title, pe.msg)
}

func (h *Handler) redirectError(c *call, req request, e *redirectError) {
	h.redirect(c, req, url.Values{"error": {e.code}, "error_description": {e.description}})
}

// redirect sends the browser to the client's redirect URI with params,
// state and iss (RFC 9207).
func (h *Handler) redirect(c *call, req request, params url.Values) {
	u, err := url.Parse(req.redirectURI)
	if err != nil {
		h.fail(c, &pageError{status: 400, msg: "The redirect_uri is malformed."})
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	q.Set("iss", c.t.Issuer)
	u.RawQuery = q.Encode()
	status := http.StatusFound
	if c.r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.Header().Set("Referrer-Policy", "no-referrer")
	c.w.Header().Set("Location", u.String())
	c.w.WriteHeader(status)
}

func (h *Handler) sessionTTL() time.Duration {
	if h.SessionTTL > 0 {
		return h.SessionTTL
	}
	return DefaultSessionTTL
}

// cookiePlace is where a tenant's cookies live: secure (https issuer) and
// the issuer's path.
func cookiePlace(t tenant.Tenant) (secure bool, path string) {
	u, err := url.Parse(t.Issuer)
	if err != nil {
		return true, "/"
	}
	path = strings.TrimRight(u.Path, "/")
	if path == "" {
		path = "/"
	}
	return u.Scheme != "http", path
}

// cookieName is the name of the tenant's session ("session") or
// pre-session ("pre") cookie. On https it carries the __Host- prefix when
// the tenant's path is "/" (the prefix requires it), else __Secure-; the
// tenant id in the name keeps tenants apart where their paths nest.
func (h *Handler) cookieName(c *call, kind string) string {
	secure, path := cookiePlace(c.t)
	name := "shark_" + kind + "_" + c.t.ID.String()
	switch {
	case secure && path == "/":
		return "__Host-" + name
	case secure:
		return "__Secure-" + name
	}
	return name
}

func (h *Handler) setCookie(c *call, kind, value string, ttl time.Duration) {
	secure, path := cookiePlace(c.t)
	ck := &http.Cookie{Name: h.cookieName(c, kind), Value: value, Path: path, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	if ttl < 0 {
		ck.MaxAge = -1
	} else {
		ck.MaxAge = int(ttl / time.Second)
	}
	http.SetCookie(c.w, ck)
}

// newSecret is 32 random bytes, base64url: a session, pre-session or code value.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// csrfToken is the CSRF token of the forms of a browser holding cookie
// value v: only a page the server rendered for that browser knows it.
func csrfToken(v string) string {
	h := sha256.Sum256([]byte("shark-authorize-csrf\x00" + v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// checkCSRF compares a form's token with the cookie's in constant time.
func checkCSRF(cookieValue, token string) bool {
	if cookieValue == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(csrfToken(cookieValue)), []byte(token)) == 1
}

func clientName(c client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

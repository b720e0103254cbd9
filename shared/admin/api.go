package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// API serves a tenant's admin API (/api/v1, WIRE §7) to its admin keys. It
// runs behind the tenant resolver: every handler reads the request's tenant
// from the context, and every store call is scoped to it.
type API struct {
	Store *store.Store
	// Keys makes the new key of a signing-key rotation.
	Keys KeyMaker
	// Tenants is told to forget cached tenant records after a change that
	// other requests read from them (pattern revocations, revoked kids). May be nil.
	Tenants *tenant.Resolver
}

// Register adds the /api/v1 routes to mux (tenant-free paths).
func (a *API) Register(mux *http.ServeMux) {
	h := a.mount
	a.registerAgents(mux, h)
	a.registerUsers(mux, h)
	a.registerApps(mux, h)
	a.registerAPIKeys(mux, h)
	a.registerGrants(mux, h)
	a.registerSigningKeys(mux, h)
	a.registerResourceServers(mux, h)
	a.registerOwnTenant(mux, h)
	a.registerTokenRevoke(mux, h)
	a.registerSignInLinks(mux)
	mux.Handle("POST /api/v1/admin/oauth/revoke-by-pattern", h(a.revokeByPattern))
}

// handle mounts an admin handler on a route (API.mount).
type handle func(callFunc) http.Handler

// callFunc is an admin handler: it receives its call context, built once
// for every route by mount, instead of building it.
type callFunc func(w http.ResponseWriter, r *http.Request, c call) error

// call is the per-request context of a handler: the tenant, the caller, the time.
type call struct {
	r     *http.Request
	ctx   context.Context
	t     tenant.ID
	now   time.Time
	q     url.Values // the query string, parsed strictly
	keyID string     // the admin key that authenticated the request
}

// mount is the one way to an admin handler: the tenant from the resolver
// (tenant.Handle: none is an internal error, answered there), then the
// tenant's admin key (WIRE §2), then the strictly parsed query; the handler
// gets them as its call.
func (a *API) mount(f callFunc) http.Handler {
	return httpx.Handle(tenant.Handle(func(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
		keyID, err := authenticateAdmin(a.Store, r, t.ID)
		if err != nil {
			return err
		}
		q, err := httpx.Query(r)
		if err != nil {
			return err
		}
		return f(w, r, call{r: r, ctx: r.Context(), t: t.ID, now: a.Store.Now(), q: q, keyID: keyID})
	}))
}

// event builds an audit event caused by the calling admin key.
func (c call) event(name, targetType, targetID string, meta map[string]any) store.AuditEvent {
	return audit.New(c.r, c.now, name, audit.Actor{Type: "admin_key", ID: c.keyID}, audit.Target{Type: targetType, ID: targetID}, meta)
}

// Every admin and platform write reads its body through readBody: a JSON
// object whose unknown members are refused (400 naming the member, WIRE §3),
// never ignored, so a misspelt or unsupported setting cannot pass for applied.
// Free-form members (metadata) are maps and keep any member.
func readBody(r *http.Request, v any, optional bool) error {
	if optional {
		return httpx.DecodeOptionalJSON(r, v, true)
	}
	return httpx.DecodeJSON(r, v, true)
}

// decode reads an admin route's JSON body; unknown members and wrong types
// are invalid_request naming the field.
func decode(r *http.Request, v any) error { return adminCode(readBody(r, v, false)) }

// decodeOptional is decode for a route whose body may be absent (the SDK
// sends none, the CLI and dashboard send {}): a body, when present, may only
// hold the members v knows.
func decodeOptional(r *http.Request, v any) error { return adminCode(readBody(r, v, true)) }

func adminCode(err error) error {
	var e *httpx.Error
	if errors.As(err, &e) && e.Code == "invalid_parameter" {
		return httpx.BadRequest(e.Message)
	}
	return err
}

// noBody refuses any member in the body of a route that takes none.
func noBody(r *http.Request) error {
	var none struct{}
	return decodeOptional(r, &none)
}

// storeErr maps a store error to the API's answer; notFound names the thing.
func storeErr(err error, notFound string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return httpx.NotFound(notFound)
	case errors.Is(err, store.ErrConflict):
		return httpx.Conflict(strings.TrimPrefix(err.Error(), store.ErrConflict.Error()+": "))
	case errors.Is(err, store.ErrBadCursor):
		return httpx.BadRequest("cursor is invalid")
	}
	var e *httpx.Error
	if errors.As(err, &e) {
		return e
	}
	return httpx.Internal(err)
}

func required(field string) error { return httpx.BadRequest(field + " is required") }

func invalid(field, why string) error { return httpx.BadRequest(field + " " + why) }

// checkText validates an optional free-text field.
func checkText(field string, v *string, max int, needed bool) error {
	if v == nil {
		if needed {
			return required(field)
		}
		return nil
	}
	if needed && strings.TrimSpace(*v) == "" {
		return required(field)
	}
	if len(*v) > max {
		return invalid(field, "must be at most "+strconv.Itoa(max)+" characters")
	}
	return nil
}

// checkName validates a name field: required when needed, and when present
// valid UTF-8, not blank, without control characters, at most 200 characters.
func checkName(field string, v *string, needed bool) error {
	if v == nil {
		if needed {
			return required(field)
		}
		return nil
	}
	if err := httpx.CheckName(field, *v, 200); err != nil {
		var e *httpx.Error
		if errors.As(err, &e) {
			return httpx.BadRequest(e.Message)
		}
		return err
	}
	return nil
}

// checkScopes validates a list of RFC 6749 scope tokens.
func checkScopes(field string, v *[]string) error {
	if v == nil {
		return nil
	}
	if len(*v) > 100 {
		return invalid(field, "may hold at most 100 scopes")
	}
	for i, sc := range *v {
		if !scopePattern.MatchString(sc) {
			return invalid(field+"["+strconv.Itoa(i)+"]", "is not a scope token (RFC 6749 §3.3)")
		}
	}
	return nil
}

// timeJSON renders an optional time as RFC 3339 or null.
func timeJSON(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func strOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// offsetPage reads limit (1..200, default 50; out of range is 400) and offset.
func offsetPage(c call) (limit, offset int, err error) {
	q := c.q
	limit = store.DefaultPageLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return 0, 0, httpx.BadRequest("limit must be an integer from 1 to " + strconv.Itoa(store.MaxPageLimit))
		}
		limit = n
	}
	if o := q.Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 {
			return 0, 0, httpx.BadRequest("offset must be a non-negative integer")
		}
		offset = n
	}
	return limit, offset, nil
}

// parseFuture reads an optional RFC 3339 time field that must lie after now.
func parseFuture(field string, v *string, now time.Time) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, *v)
	if err != nil {
		return time.Time{}, invalid(field, "must be an RFC 3339 time")
	}
	if !t.After(now) {
		return time.Time{}, invalid(field, "must be in the future")
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

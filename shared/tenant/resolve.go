package tenant

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Tenant is the resolved tenant of one request, carried in its context.
type Tenant struct {
	ID ID
	// Issuer is the tenant's issuer, exactly as it appears in `iss` (no
	// trailing slash); absolute URLs we emit for the tenant start with it.
	Issuer string
	// ByHost is true when the tenant was resolved from a custom host name.
	ByHost bool
}

type ctxKey struct{}

// With returns ctx carrying t.
func With(ctx context.Context, t Tenant) context.Context { return context.WithValue(ctx, ctxKey{}, t) }

// From returns the request's tenant. There is no default: ok is false outside
// the resolver, and callers must fail.
func From(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(ctxKey{}).(Tenant)
	return t, ok && !t.ID.IsZero()
}

// Info is what the resolver needs to know of a stored tenant.
type Info struct {
	Disabled bool
}

// ErrUnknown is returned by a Directory for a tenant or host it does not know.
var ErrUnknown = errors.New("tenant: unknown")

// Directory looks tenants up in storage.
type Directory interface {
	Lookup(ctx context.Context, id ID) (Info, error)
	LookupHost(ctx context.Context, host string) (ID, error)
}

// Resolver resolves a request's tenant, once, from its host and path (WIRE §1):
//
//   - a request whose host is a tenant's custom host belongs to that tenant
//     (issuer https://host);
//   - otherwise a path /t/{tenant}/... or the RFC 8414 path insertion
//     /.well-known/{doc}/t/{tenant} names the tenant (issuer PUBLIC_URL/t/{tenant});
//   - otherwise the root belongs to the root tenant, when one is configured
//     (issuer PUBLIC_URL).
//
// The tenant part of the path is removed, so handlers route on tenant-free
// paths. Unknown and disabled tenants get 404 before any handler runs.
type Resolver struct {
	public   *url.URL // scheme, host and optional base path, no trailing slash; nil: the request's
	root     ID       // zero: no root tenant
	dir      Directory
	cacheTTL time.Duration
	now      func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	id      ID
	info    Info
	err     error
	expires time.Time
}

// NewResolver builds a resolver. publicURL is the deployment's external base
// URL, or "" to take it from each request (scheme from X-Forwarded-Proto, host
// from the Host API Gateway saw); root may be the zero ID. cacheTTL bounds how
// long a lookup is reused (0 disables the cache).
func NewResolver(publicURL string, root ID, dir Directory, cacheTTL time.Duration, now func() time.Time) (*Resolver, error) {
	rs := &Resolver{root: root, dir: dir, cacheTTL: cacheTTL, now: now, cache: map[string]cached{}}
	if publicURL == "" {
		return rs, nil
	}
	u, err := url.Parse(strings.TrimRight(publicURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("tenant: public URL must be an absolute http(s) URL without query or fragment")
	}
	u.Host = strings.ToLower(u.Host)
	rs.public = u
	return rs, nil
}

// Base returns the external base URL (no trailing slash) for a request on the
// platform's own host: the configured public URL, or the request's scheme and host.
func (rs *Resolver) Base(r *http.Request) string {
	if rs.public != nil {
		return rs.public.String()
	}
	return Scheme(r) + "://" + strings.ToLower(r.Host)
}

// Scheme is the scheme the client used: API Gateway and the local runner say it
// in X-Forwarded-Proto.
func Scheme(r *http.Request) string {
	switch p := strings.ToLower(r.Header.Get("X-Forwarded-Proto")); {
	case p == "http" || p == "https":
		return p
	case r.TLS != nil || r.URL.Scheme == "https":
		return "https"
	case r.URL.Scheme == "http":
		return "http"
	}
	return "https"
}

// Issuer returns the issuer of a path tenant or the root tenant under base.
func (rs *Resolver) Issuer(base string, id ID) string {
	if id == rs.root {
		return base
	}
	return base + "/t/" + id.String()
}

// PublicHost returns the configured public host ("" when taken from requests).
func (rs *Resolver) PublicHost() string {
	if rs.public == nil {
		return ""
	}
	return rs.public.Host
}

// Forget drops cached lookups, e.g. after a tenant is disabled.
func (rs *Resolver) Forget() {
	rs.mu.Lock()
	clear(rs.cache)
	rs.mu.Unlock()
}

// Middleware resolves the tenant and calls next with it in the context, or
// answers unknown with 404 through fail.
func (rs *Resolver) Middleware(next http.Handler, fail func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, path, err := rs.Resolve(r)
		if err != nil {
			fail(w, r, err)
			return
		}
		r2 := r.WithContext(With(r.Context(), t))
		if path != r.URL.Path {
			u := *r.URL
			u.Path, u.RawPath = path, ""
			r2.URL = &u
		}
		next.ServeHTTP(w, r2)
	})
}

// Resolve finds the request's tenant and the tenant-free path. Errors are
// ErrUnknown (unknown or disabled tenant, or none given) or a lookup failure.
func (rs *Resolver) Resolve(r *http.Request) (Tenant, string, error) {
	ctx := r.Context()
	host := strings.ToLower(r.Host)
	if host != "" && host != rs.PublicHost() {
		id, err := rs.host(ctx, host)
		switch {
		case err == nil:
			if err := rs.active(ctx, id); err != nil {
				return Tenant{}, "", err
			}
			return Tenant{ID: id, Issuer: "https://" + host, ByHost: true}, r.URL.Path, nil
		case !errors.Is(err, ErrUnknown):
			return Tenant{}, "", err
		}
		// Not a tenant's host (e.g. 127.0.0.1 for localhost): resolve by path.
	}
	path := r.URL.Path
	if rs.public != nil && rs.public.Path != "" && host == rs.public.Host {
		base := rs.public.Path
		if !strings.HasPrefix(path, base+"/") {
			return Tenant{}, "", ErrUnknown
		}
		path = strings.TrimPrefix(path, base)
	}
	id, rest, named, err := splitTenantPath(path)
	if err != nil {
		return Tenant{}, "", err
	}
	if !named {
		if rs.root.IsZero() {
			return Tenant{}, "", ErrUnknown
		}
		id = rs.root
	}
	if err := rs.active(ctx, id); err != nil {
		return Tenant{}, "", err
	}
	return Tenant{ID: id, Issuer: rs.Issuer(rs.Base(r), id)}, rest, nil
}

// splitTenantPath finds a tenant named in a path: /t/{id}/rest, or the RFC 8414
// §3.1 insertion /.well-known/{doc}/t/{id}. named is false for a root path.
func splitTenantPath(path string) (id ID, rest string, named bool, err error) {
	var raw string
	switch {
	case strings.HasPrefix(path, "/t/"):
		raw, rest, _ = strings.Cut(path[len("/t/"):], "/")
		rest = "/" + rest
	case strings.HasPrefix(path, "/.well-known/"):
		doc, after, ok := strings.Cut(path[len("/.well-known/"):], "/t/")
		if !ok || strings.Contains(doc, "/") || strings.Contains(after, "/") {
			return ID{}, path, false, nil
		}
		raw, rest = after, "/.well-known/"+doc
	default:
		return ID{}, path, false, nil
	}
	id, err = ParseID(raw)
	if err != nil {
		return ID{}, "", false, ErrUnknown
	}
	return id, rest, true, nil
}

func (rs *Resolver) host(ctx context.Context, host string) (ID, error) {
	c, ok := rs.cached("h:" + host)
	if !ok {
		c.id, c.err = rs.dir.LookupHost(ctx, host)
		rs.store("h:"+host, c)
	}
	return c.id, c.err
}

func (rs *Resolver) active(ctx context.Context, id ID) error {
	key := "t:" + id.String()
	c, ok := rs.cached(key)
	if !ok {
		c.info, c.err = rs.dir.Lookup(ctx, id)
		rs.store(key, c)
	}
	if c.err != nil {
		return c.err
	}
	if c.info.Disabled {
		return ErrUnknown
	}
	return nil
}

func (rs *Resolver) cached(key string) (cached, bool) {
	if rs.cacheTTL <= 0 {
		return cached{}, false
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	c, ok := rs.cache[key]
	if !ok || !rs.now().Before(c.expires) {
		return cached{}, false
	}
	return c, true
}

// store caches answers, but not lookup failures other than "unknown".
func (rs *Resolver) store(key string, c cached) {
	if rs.cacheTTL <= 0 || (c.err != nil && !errors.Is(c.err, ErrUnknown)) {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.cache) > 10000 {
		clear(rs.cache)
	}
	c.expires = rs.now().Add(rs.cacheTTL)
	rs.cache[key] = c
}

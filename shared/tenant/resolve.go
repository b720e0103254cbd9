package tenant

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Tenant is the resolved tenant of one request, carried in its context.
type Tenant struct {
	ID ID
	// Issuer is the tenant's issuer on the URL the request came through,
	// exactly as it appears in `iss` (no trailing slash); absolute URLs we emit
	// for the tenant start with it.
	Issuer string
	// ByHost is true when the tenant was resolved from a custom host name.
	ByHost bool
	// Record is the directory's record of the tenant (the app puts its
	// store.Tenant here), as cached by the resolver: configuration read on hot
	// paths without a table call. It may be up to the cache TTL old.
	Record any
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
	// Record is handed to requests as Tenant.Record.
	Record any
}

// ErrUnknown is returned by a Directory for a tenant or host it does not know,
// and by the resolver for a request that names no live tenant.
var ErrUnknown = errors.New("tenant: unknown")

// Directory looks tenants up in storage.
type Directory interface {
	Lookup(ctx context.Context, id ID) (Info, error)
	LookupHost(ctx context.Context, host string) (ID, error)
}

// Options configure a Resolver.
type Options struct {
	// PublicURL is the deployment's external base URL (scheme, host, optional
	// base path). "" takes scheme and host from each request.
	PublicURL string
	// Root is the tenant served at the root (no /t/{id}); zero: none.
	Root ID
	// AnyHost, without PublicURL, makes every host that is not a tenant's
	// the deployment's own (the local runner: localhost, 127.0.0.1, a LAN
	// name). Without it and without PublicURL only API Gateway's own domain
	// names (*.execute-api.<region>.amazonaws.com) are the deployment's.
	AnyHost bool
	// CacheTTL bounds how long a lookup is reused (0 disables the cache).
	// Unknown names are cached for a quarter of it.
	CacheTTL time.Duration
	// CacheSize bounds the cache (default 4096 entries, least recently used
	// evicted first).
	CacheSize int
	Now       func() time.Time
}

// Resolver resolves a request's tenant, once, from its host and path (WIRE §1):
//
//   - a request on a tenant's custom host belongs to that tenant (issuer
//     https://host; locally scheme://host[:port] as the client used it);
//   - a request on the deployment's own host names its tenant in the path:
//     /t/{tenant}/... or, for the metadata documents only, the RFC 8414
//     insertion /.well-known/{doc}/t/{tenant} (issuer {base}/t/{tenant}); the
//     root belongs to the root tenant (issuer {base}), which is not also
//     served as /t/{root} (RFC 8414 §3.3: one issuer per URL);
//   - any other host is 404.
//
// The tenant part of the path is removed, so handlers route on tenant-free
// paths. Unknown and disabled tenants get 404 before any handler runs.
type Resolver struct {
	public  *url.URL // scheme, host and optional base path, no trailing slash; nil: the request's
	root    ID       // zero: no root tenant
	anyHost bool
	dir     Directory
	ttl     time.Duration
	negTTL  time.Duration
	now     func() time.Time
	cache   *lru.Cache[string, cached] // nil: no cache
}

type cached struct {
	id      ID
	info    Info
	err     error
	expires time.Time
}

// NewResolver builds a resolver over dir.
func NewResolver(dir Directory, o Options) (*Resolver, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	rs := &Resolver{root: o.Root, anyHost: o.AnyHost, dir: dir, ttl: o.CacheTTL, negTTL: o.CacheTTL / 4, now: o.Now}
	if o.CacheTTL > 0 {
		size := o.CacheSize
		if size <= 0 {
			size = 4096
		}
		c, err := lru.New[string, cached](size)
		if err != nil {
			return nil, err
		}
		rs.cache = c
	}
	if o.PublicURL == "" {
		return rs, nil
	}
	u, err := url.Parse(strings.TrimRight(o.PublicURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("tenant: public URL must be an absolute http(s) URL without user, query or fragment")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = hostPort(u.Scheme, u.Host)
	if u.Host == "" {
		return nil, errors.New("tenant: public URL has an invalid host")
	}
	rs.public = u
	return rs, nil
}

// NormalizeHost returns the bare DNS name of a Host value: lower-case, port
// and trailing dot removed. It returns "" for a value that is not a host name
// (empty, IP literal brackets left unbalanced, characters outside a name).
func NormalizeHost(h string) string {
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") { // IPv6 literal
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return ""
		}
		return h[:end+1]
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		if _, err := portNumber(h[i+1:]); err != nil {
			return ""
		}
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return ""
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return ""
		}
	}
	return h
}

func portNumber(p string) (int, error) {
	if p == "" || len(p) > 5 {
		return 0, errors.New("bad port")
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return 0, errors.New("bad port")
		}
		n = n*10 + int(p[i]-'0')
	}
	if n > 65535 {
		return 0, errors.New("bad port")
	}
	return n, nil
}

// hostPort returns the normalised host of h with its port, the scheme's
// default port dropped: "LocalHost:80" → "localhost" for http.
func hostPort(scheme, h string) string {
	name := NormalizeHost(h)
	if name == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(h)
	if err != nil || port == "" || (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		return name
	}
	return name + ":" + port
}

// Base returns the external base URL (no trailing slash) for a request on the
// deployment's own host: the configured public URL, or the scheme and host
// the client used (default port dropped).
func (rs *Resolver) Base(r *http.Request) string {
	if rs.public != nil {
		return rs.public.String()
	}
	scheme := Scheme(r)
	return scheme + "://" + hostPort(scheme, r.Host)
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

// Issuers returns every issuer of a tenant as seen from request r on the
// deployment's host: its path (or root) issuer, then https://host for each of
// its custom hosts.
func (rs *Resolver) Issuers(r *http.Request, id ID, hosts []string) []string {
	out := []string{rs.Issuer(rs.Base(r), id)}
	for _, h := range hosts {
		out = append(out, "https://"+h)
	}
	return out
}

// OwnHost reports whether host (normalised) is the deployment's own, as
// request r reached it: the public URL's host, API Gateway's domain names, or
// the host r came through when no public URL is configured.
func (rs *Resolver) OwnHost(r *http.Request, host string) bool {
	host = NormalizeHost(host)
	if host == "" {
		return false
	}
	if rs.public != nil && host == NormalizeHost(rs.public.Host) {
		return true
	}
	if isAPIGatewayHost(host) {
		return true
	}
	return rs.public == nil && r != nil && host == NormalizeHost(r.Host)
}

// isAPIGatewayHost matches the default domain names AWS gives an API, label
// by label: {api-id}.execute-api.{region}.amazonaws.com (and .amazonaws.com.cn
// in the China partitions). No tenant may claim them; nothing else matches
// (x.amazonaws.com.evil.test, evilamazonaws.com, a bucket's host).
func isAPIGatewayHost(host string) bool {
	labels := strings.Split(host, ".")
	switch {
	case len(labels) == 5 && labels[3] == "amazonaws" && labels[4] == "com":
	case len(labels) == 6 && labels[3] == "amazonaws" && labels[4] == "com" && labels[5] == "cn":
	default:
		return false
	}
	return labels[0] != "" && labels[1] == "execute-api" && labels[2] != ""
}

// claimable reports whether a tenant could own host: IP literals and
// single-label names (localhost) are never a tenant's, so they need no lookup.
func claimable(host string) bool {
	return strings.Contains(host, ".") && net.ParseIP(strings.Trim(host, "[]")) == nil
}

// Forget drops cached lookups, e.g. after a tenant is created, changed or
// disabled. Other containers keep theirs for at most the cache TTL.
func (rs *Resolver) Forget() {
	if rs.cache != nil {
		rs.cache.Purge()
	}
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
// ErrUnknown (unknown or disabled tenant, unknown host, or none given) or a
// lookup failure.
func (rs *Resolver) Resolve(r *http.Request) (Tenant, string, error) {
	ctx := r.Context()
	host := NormalizeHost(r.Host)
	if host == "" {
		return Tenant{}, "", ErrUnknown
	}
	local := rs.anyHost && rs.public == nil
	own := isAPIGatewayHost(host) || (rs.public != nil && host == NormalizeHost(rs.public.Host)) ||
		(local && !claimable(host))
	if !own {
		id, err := rs.host(ctx, host)
		switch {
		case err == nil:
			info, err := rs.active(ctx, id)
			if err != nil {
				return Tenant{}, "", err
			}
			return Tenant{ID: id, Issuer: rs.hostIssuer(r, host), ByHost: true, Record: info.Record}, r.URL.Path, nil
		case !errors.Is(err, ErrUnknown) || !local:
			return Tenant{}, "", err
		}
		// Locally, a host that is no tenant's (127.0.0.1, a LAN name) is ours.
	}
	path := r.URL.Path
	if rs.public != nil && rs.public.Path != "" {
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
	} else if id == rs.root {
		// The root tenant has one issuer: the root. /t/{root} is not it.
		return Tenant{}, "", ErrUnknown
	}
	info, err := rs.active(ctx, id)
	if err != nil {
		return Tenant{}, "", err
	}
	return Tenant{ID: id, Issuer: rs.Issuer(rs.Base(r), id), Record: info.Record}, rest, nil
}

// hostIssuer is a custom host's issuer: https://host on AWS; locally (any
// host, no public URL) the scheme and host[:port] the client used.
func (rs *Resolver) hostIssuer(r *http.Request, host string) string {
	if rs.anyHost && rs.public == nil {
		scheme := Scheme(r)
		return scheme + "://" + hostPort(scheme, r.Host)
	}
	return "https://" + host
}

// metadataDocs are the well-known documents RFC 8414 §3.1 path insertion
// applies to. The JWKS is not one of them: it lives under the issuer.
var metadataDocs = map[string]bool{"oauth-authorization-server": true, "openid-configuration": true}

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
		if !ok {
			return ID{}, path, false, nil
		}
		if !metadataDocs[doc] || strings.Contains(after, "/") {
			return ID{}, "", false, ErrUnknown
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

func (rs *Resolver) active(ctx context.Context, id ID) (Info, error) {
	key := "t:" + id.String()
	c, ok := rs.cached(key)
	if !ok {
		c.info, c.err = rs.dir.Lookup(ctx, id)
		rs.store(key, c)
	}
	if c.err != nil {
		return Info{}, c.err
	}
	if c.info.Disabled {
		return Info{}, ErrUnknown
	}
	return c.info, nil
}

func (rs *Resolver) cached(key string) (cached, bool) {
	if rs.cache == nil {
		return cached{}, false
	}
	c, ok := rs.cache.Get(key)
	if !ok || !rs.now().Before(c.expires) {
		return cached{}, false
	}
	return c, true
}

// store caches answers (unknown ones for a shorter time), but not lookup
// failures other than "unknown".
func (rs *Resolver) store(key string, c cached) {
	if rs.cache == nil {
		return
	}
	ttl := rs.ttl
	switch {
	case errors.Is(c.err, ErrUnknown):
		ttl = rs.negTTL
	case c.err != nil:
		return
	}
	c.expires = rs.now().Add(ttl)
	rs.cache.Add(key, c)
}

package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Errors a fetch returns; callers answer them as bad client metadata.
var (
	// ErrURL is a URL that is not an absolute https URL with a host.
	ErrURL = errors.New("fetch: URL must be https with a host and no credentials")
	// ErrBlocked is a host that resolves to an address we never connect to.
	ErrBlocked = errors.New("fetch: address not allowed")
	// ErrTooLarge is a response over the size limit.
	ErrTooLarge = errors.New("fetch: response too large")
	// ErrStatus is a response other than 200.
	ErrStatus = errors.New("fetch: unexpected status")
)

// Resolver resolves host names; *net.Resolver satisfies it. Tests inject a
// fake one so that no name is looked up and no request leaves the machine.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Fetcher fetches small documents from client-controlled https URLs.
// The zero value is usable; a Fetcher is safe for concurrent use.
type Fetcher struct {
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// AllowLoopback admits loopback addresses (and only them, of the
	// refused ranges): for a local deployment whose clients run on the
	// same machine.
	AllowLoopback bool
	// MaxBytes bounds a response body (default 64 KiB).
	MaxBytes int64
	// Timeout bounds a whole fetch, redirects included (default 5 s).
	Timeout time.Duration
	// MaxRedirects bounds redirects (default 3).
	MaxRedirects int
	// TLS is the client TLS configuration (tests add their CA); nil: system roots.
	TLS *tls.Config
	// Now is the clock of the cache (default time.Now).
	Now func() time.Time
	// MaxAge caps how long a response is cached (default 24 h), and
	// DefaultAge is the lifetime of a response without cache headers
	// (default 5 min).
	MaxAge, DefaultAge time.Duration

	once   sync.Once
	client *http.Client
	mu     sync.Mutex
	cache  map[string]entry
}

type entry struct {
	body    []byte
	fetched time.Time
	expires time.Time
}

func (f *Fetcher) init() {
	f.once.Do(func() {
		if f.Resolver == nil {
			f.Resolver = net.DefaultResolver
		}
		if f.MaxBytes <= 0 {
			f.MaxBytes = 64 << 10
		}
		if f.Timeout <= 0 {
			f.Timeout = 5 * time.Second
		}
		if f.MaxRedirects <= 0 {
			f.MaxRedirects = 3
		}
		if f.Now == nil {
			f.Now = time.Now
		}
		if f.MaxAge <= 0 {
			f.MaxAge = 24 * time.Hour
		}
		if f.DefaultAge <= 0 {
			f.DefaultAge = 5 * time.Minute
		}
		f.cache = map[string]entry{}
		tr := &http.Transport{
			Proxy:                 nil, // never through a proxy: it would resolve names itself
			DialContext:           f.dial,
			TLSClientConfig:       f.TLS,
			TLSHandshakeTimeout:   f.Timeout,
			ResponseHeaderTimeout: f.Timeout,
			MaxIdleConns:          16,
			IdleConnTimeout:       30 * time.Second,
			DisableCompression:    true, // the size limit applies to what we read
		}
		f.client = &http.Client{
			Transport: tr,
			Timeout:   f.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > f.MaxRedirects {
					return errors.New("fetch: too many redirects")
				}
				return CheckURL(req.URL)
			},
		}
	})
}

// CheckURL accepts absolute https URLs with a host and without userinfo.
func CheckURL(u *url.URL) error {
	if u == nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return ErrURL
	}
	return nil
}

// Allowed reports whether an address may be connected to: never
// unspecified, private (RFC 1918, fc00::/7), shared (100.64/10),
// link-local (169.254/16 with the cloud metadata endpoints, fe80::/10),
// multicast, reserved or documentation ranges, nor loopback unless
// allowLoopback. IPv4-mapped IPv6 addresses are judged as IPv4.
func Allowed(ip netip.Addr, allowLoopback bool) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return false
	case ip.IsLoopback():
		return allowLoopback
	case ip.IsUnspecified(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(), ip.IsMulticast():
		return false
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var refused = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// dial resolves the host through the Resolver, keeps only allowed
// addresses and connects to one of them; the dialer's Control checks the
// address actually dialled again.
func (f *Fetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		found, err := f.Resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("fetch: resolve %s: %w", host, err)
		}
		for _, a := range found {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				ips = append(ips, ip)
			}
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("fetch: %s has no address", host)
	}
	// Every address must be allowed: a name that resolves to one public
	// and one private address is refused, not raced.
	for _, ip := range ips {
		if !Allowed(ip, f.AllowLoopback) {
			return nil, fmt.Errorf("%w: %s resolves to %s", ErrBlocked, host, ip)
		}
	}
	d := net.Dialer{Timeout: f.Timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !Allowed(ap.Addr(), f.AllowLoopback) {
			return fmt.Errorf("%w: %s", ErrBlocked, address)
		}
		return nil
	}}
	var last error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// Get fetches raw (an https URL) and returns its body, from the cache while
// the last response is fresh.
func (f *Fetcher) Get(ctx context.Context, raw string) ([]byte, error) {
	f.init()
	key, err := cacheKey(raw)
	if err != nil {
		return nil, err
	}
	now := f.Now()
	f.mu.Lock()
	if e, ok := f.cache[key]; ok && now.Before(e.expires) {
		f.mu.Unlock()
		return e.body, nil
	}
	f.mu.Unlock()
	body, ttl, err := f.fetch(ctx, key, now)
	if err != nil {
		return nil, err
	}
	if ttl > 0 {
		f.mu.Lock()
		if len(f.cache) >= 1024 {
			clear(f.cache) // bounded: a flood of distinct URLs cannot grow memory
		}
		f.cache[key] = entry{body: body, fetched: now, expires: now.Add(ttl)}
		f.mu.Unlock()
	}
	return body, nil
}

// Document fetches raw (an https URL) with the same checks as Get but
// never from or into the cache, for a caller that caches what it made of
// the body: it returns the body and how long the response may be reused
// per its cache headers (0: not at all; at most MaxAge).
func (f *Fetcher) Document(ctx context.Context, raw string) ([]byte, time.Duration, error) {
	f.init()
	key, err := cacheKey(raw)
	if err != nil {
		return nil, 0, err
	}
	return f.fetch(ctx, key, f.Now())
}

// cacheKey checks raw and returns it without its fragment.
func cacheKey(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", ErrURL
	}
	if err := CheckURL(u); err != nil {
		return "", err
	}
	u.Fragment = ""
	return u.String(), nil
}

// fetch GETs key and returns the body and its cache lifetime.
func (f *Fetcher) fetch(ctx context.Context, key string, now time.Time) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, 0, ErrURL
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "sharkauth-fetch/1")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrBlocked) {
			return nil, 0, ErrBlocked
		}
		if errors.Is(err, ErrURL) {
			return nil, 0, ErrURL
		}
		return nil, 0, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%w %d", ErrStatus, resp.StatusCode)
	}
	if resp.ContentLength > f.MaxBytes {
		return nil, 0, ErrTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.MaxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("fetch: read: %w", err)
	}
	if int64(len(body)) > f.MaxBytes {
		return nil, 0, ErrTooLarge
	}
	return body, f.lifetime(resp.Header, now), nil
}

// Forget drops raw from the cache (a key set lacking a kid is refetched).
func (f *Fetcher) Forget(raw string) {
	f.init()
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	u.Fragment = ""
	f.mu.Lock()
	delete(f.cache, u.String())
	f.mu.Unlock()
}

// MinRefresh is how soon after a fetch Refresh may drop a cached response:
// a client cannot make us refetch its URL more than once a minute.
const MinRefresh = time.Minute

// Refresh drops raw's cached response when it was fetched at least
// MinRefresh ago (a key set lacks a kid a client now signs with), and
// reports whether it did; the next Get fetches again.
func (f *Fetcher) Refresh(raw string) bool {
	f.init()
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	u.Fragment = ""
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.cache[u.String()]
	if !ok {
		return true
	}
	if f.Now().Sub(e.fetched) < MinRefresh {
		return false
	}
	delete(f.cache, u.String())
	return true
}

// lifetime is how long a response may be reused (RFC 9111): no-store and
// no-cache mean not at all, max-age (or s-maxage) bounds it, else Expires,
// else DefaultAge; never more than MaxAge.
func (f *Fetcher) lifetime(h http.Header, now time.Time) time.Duration {
	ttl := f.DefaultAge
	explicit := false
	for _, d := range strings.Split(strings.ToLower(strings.Join(h.Values("Cache-Control"), ",")), ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch name {
		case "no-store", "no-cache", "private":
			return 0
		case "max-age", "s-maxage":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 && !explicit {
				ttl, explicit = time.Duration(min(n, int64(f.MaxAge/time.Second)))*time.Second, true
			}
		}
	}
	if !explicit {
		if exp := h.Get("Expires"); exp != "" {
			t, err := http.ParseTime(exp)
			if err != nil {
				return 0 // an invalid Expires means already expired
			}
			date := now
			if d, err := http.ParseTime(h.Get("Date")); err == nil {
				date = d
			}
			ttl = t.Sub(date)
		}
	}
	return min(max(ttl, 0), f.MaxAge)
}

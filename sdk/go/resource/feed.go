package resource

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sync"
	"sync/atomic"
	"time"
)

// Feed configures the revocation feed mode (SharkAuth's
// GET {issuer}/oauth/revocations): tokens stay verified offline, and a
// background poller learns every revocation of the tenant (one token, a
// client's tokens, a user's, a client-id pattern, the tenant, a signing
// key, a grant family), so that a revoked token is refused within about
// Interval, with no call to the authorization server per request.
//
// Until the first poll succeeds, and whenever the last success is older
// than MaxStale, requests are refused with 503: the verifier cannot tell
// what was revoked. Call Verifier.Close to stop the poller.
type Feed struct {
	// Endpoint defaults to Issuer + "/oauth/revocations".
	Endpoint string
	// ClientID and ClientSecret authenticate with client_secret_basic
	// (the resource server's credential); BearerKey with the tenant's
	// admin key (Authorization: Bearer sk_live_...) when ClientID is empty.
	ClientID, ClientSecret string
	BearerKey              string
	// Interval between polls; default 5 s. Each wait is jittered by
	// ±20 %; failures back off exponentially up to MaxBackoff (default
	// 1 min).
	Interval, MaxBackoff time.Duration
	// MaxStale: when the last successful poll is older, every request is
	// refused (503); default 2 min.
	MaxStale time.Duration
	// MaxEntries bounds the remembered revocations; an entry is forgotten
	// once every token it covers has expired. When full of live entries,
	// every request is refused (503) rather than forgetting one; default
	// 1,000,000.
	MaxEntries int
}

// Defaults of the feed mode.
const (
	DefaultFeedInterval   = 5 * time.Second
	DefaultFeedMaxBackoff = time.Minute
	DefaultFeedMaxStale   = 2 * time.Minute
	DefaultFeedMaxEntries = 1_000_000
	maxFeedBytes          = 4 << 20
	maxFeedPagesPerPoll   = 200
)

// feedEntry is one revocation as the feed sends it.
type feedEntry struct {
	Kind     string `json:"kind"`
	JTI      string `json:"jti"`
	ClientID string `json:"client_id"`
	Subject  string `json:"sub"`
	Pattern  string `json:"pattern"`
	KID      string `json:"kid"`
	Family   string `json:"fam"`
	Disabled bool   `json:"disabled"`
	Before   int64  `json:"before"`
	BeforeMS int64  `json:"before_ms"`
	Expires  int64  `json:"expires"`
}

// beforeMillis is the instant the entry revokes up to, in milliseconds.
func (e feedEntry) beforeMillis() int64 {
	if e.BeforeMS != 0 {
		return e.BeforeMS
	}
	return e.Before*1000 + 999
}

// timed is a revocation up to an instant (ms), remembered until expires (s).
type timed struct{ before, expires int64 }

// revocationSet is what the feed revoked, in maps keyed by what a token
// names; each entry is forgotten once the tokens it covers have expired.
type revocationSet struct {
	tokens   map[string]int64 // jti -> expires
	clients  map[string]timed
	subjects map[string]timed
	patterns map[string]timed
	kids     map[string]int64
	families map[string]int64
	tenant   *feedEntry // the latest tenant state
}

func newRevocationSet() *revocationSet {
	return &revocationSet{tokens: map[string]int64{}, clients: map[string]timed{}, subjects: map[string]timed{},
		patterns: map[string]timed{}, kids: map[string]int64{}, families: map[string]int64{}}
}

func (s *revocationSet) len() int {
	return len(s.tokens) + len(s.clients) + len(s.subjects) + len(s.patterns) + len(s.kids) + len(s.families)
}

func later(a timed, b timed) timed {
	return timed{before: max(a.before, b.before), expires: max(a.expires, b.expires)}
}

// add records e; a kind it does not know is ignored.
func (s *revocationSet) add(e feedEntry) {
	t := timed{before: e.beforeMillis(), expires: e.Expires}
	switch e.Kind {
	case "token":
		s.tokens[e.JTI] = max(s.tokens[e.JTI], e.Expires)
	case "client":
		s.clients[e.ClientID] = later(s.clients[e.ClientID], t)
	case "user":
		s.subjects[e.Subject] = later(s.subjects[e.Subject], t)
	case "pattern":
		s.patterns[e.Pattern] = later(s.patterns[e.Pattern], t)
	case "tenant":
		if s.tenant == nil || e.beforeMillis() >= s.tenant.beforeMillis() {
			c := e
			s.tenant = &c
		}
	case "key":
		s.kids[e.KID] = max(s.kids[e.KID], e.Expires)
	case "family":
		s.families[e.Family] = max(s.families[e.Family], e.Expires)
	}
}

// forget drops the entries that expired before now (unix seconds).
func (s *revocationSet) forget(now int64) {
	for k, exp := range s.tokens {
		if exp < now {
			delete(s.tokens, k)
		}
	}
	for _, m := range []map[string]timed{s.clients, s.subjects, s.patterns} {
		for k, t := range m {
			if t.expires < now {
				delete(m, k)
			}
		}
	}
	for _, m := range []map[string]int64{s.kids, s.families} {
		for k, exp := range m {
			if exp < now {
				delete(m, k)
			}
		}
	}
}

// revoked reports whether the set revokes the token c (signed with kid),
// from its claims alone.
func (s *revocationSet) revoked(c *Claims, kid string) bool {
	issued := issuedMillis(c)
	covers := func(t timed, ok bool) bool { return ok && issued <= t.before }
	if s.tenant != nil && (s.tenant.Disabled || issued <= s.tenant.beforeMillis()) {
		return true
	}
	if _, ok := s.tokens[c.ID]; ok {
		return true
	}
	if _, ok := s.kids[kid]; ok && kid != "" {
		return true
	}
	if c.Family != "" {
		if _, ok := s.families[c.Family]; ok {
			return true
		}
	}
	if t, ok := s.subjects[c.Subject]; covers(t, ok) {
		return true
	}
	// The token's client, its subject (a delegated token's subject is
	// the client it was obtained from) and every actor of its chain.
	parties := append([]string{c.ClientID, c.Subject}, actorSubjects(c.Actor)...)
	for _, id := range parties {
		if t, ok := s.clients[id]; covers(t, ok) {
			return true
		}
	}
	for p, t := range s.patterns {
		if issued > t.before {
			continue
		}
		for _, id := range parties {
			if ok, err := path.Match(p, id); err == nil && ok {
				return true
			}
		}
	}
	return false
}

func actorSubjects(a *Actor) []string {
	var out []string
	for ; a != nil; a = a.Actor {
		out = append(out, a.Subject)
	}
	return out
}

// sortable is the alphabet of SharkAuth's time-ordered ids.
const sortable = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

// sortableValue maps a byte to its value in sortable (-1: not in it).
var sortableValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(sortable) {
		t[sortable[i]] = int8(i)
	}
	return t
}()

// issuedMillis is when the token was issued, in milliseconds: from its jti
// when it is a SharkAuth time-ordered id (24 characters, the first 8 the
// issue time in milliseconds) that agrees with iat, else the start of its
// iat second (which errs on the side of refusing).
func issuedMillis(c *Claims) int64 {
	iat := c.IssuedAt.Unix() * 1000
	if len(c.ID) != 24 {
		return iat
	}
	var ms int64
	for i := range 8 {
		d := sortableValue[c.ID[i]]
		if d < 0 {
			return iat
		}
		ms = ms<<6 | int64(d)
	}
	if ms < iat || ms >= iat+1000 {
		return iat
	}
	return ms
}

// feedPoller keeps a revocationSet up to date from the feed.
type feedPoller struct {
	cfg      *Config
	jwks     *jwksCache
	feed     Feed
	endpoint string

	mu     sync.RWMutex
	set    *revocationSet
	cursor string
	lastOK time.Time
	gone   bool // the issuer answered 404: it no longer knows the tenant
	full   bool

	polls    atomic.Int64
	failures atomic.Int64
	stop     context.CancelFunc
	done     chan struct{}
	wake     chan struct{} // tests: poll now
}

func newFeedPoller(cfg *Config, jwks *jwksCache) (*feedPoller, error) {
	f := *cfg.Feed
	if f.Endpoint == "" {
		f.Endpoint = cfg.Issuer + "/oauth/revocations"
	}
	if _, err := absoluteURL(f.Endpoint); err != nil {
		return nil, fmt.Errorf("resource: Feed.Endpoint: %w", err)
	}
	if (f.ClientID == "" || f.ClientSecret == "") && f.BearerKey == "" {
		return nil, errors.New("resource: Feed needs ClientID and ClientSecret, or BearerKey")
	}
	if f.Interval <= 0 {
		f.Interval = DefaultFeedInterval
	}
	if f.MaxBackoff <= 0 {
		f.MaxBackoff = DefaultFeedMaxBackoff
	}
	f.MaxBackoff = max(f.MaxBackoff, f.Interval)
	if f.MaxStale <= 0 {
		f.MaxStale = DefaultFeedMaxStale
	}
	if f.MaxEntries <= 0 {
		f.MaxEntries = DefaultFeedMaxEntries
	}
	p := &feedPoller{cfg: cfg, jwks: jwks, feed: f, endpoint: f.Endpoint, set: newRevocationSet(), done: make(chan struct{}), wake: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go p.run(ctx)
	return p, nil
}

// jitter spreads d by ±20 % (crypto/rand: no second source of randomness
// in the package to audit).
func jitter(d time.Duration) time.Duration {
	var r [8]byte
	rand.Read(r[:])
	return d*8/10 + time.Duration(binary.BigEndian.Uint64(r[:])%uint64(d*4/10+1))
}

// backoff is the wait after n consecutive failures.
func (p *feedPoller) backoff(n int64) time.Duration {
	d := p.feed.Interval
	for i := int64(0); i < n && d < p.feed.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.feed.MaxBackoff)
}

func (p *feedPoller) run(ctx context.Context) {
	defer close(p.done)
	for {
		wait := jitter(p.feed.Interval)
		if err := p.poll(ctx); err != nil {
			n := p.failures.Add(1)
			wait = jitter(p.backoff(n))
			p.cfg.Logger.Warn("resource: revocation feed poll failed", "error", err.Error(), "failures", n, "retry_in", wait.String())
		} else {
			p.failures.Store(0)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-p.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// poll reads every page ready now and applies it.
func (p *feedPoller) poll(ctx context.Context) error {
	p.polls.Add(1)
	for range maxFeedPagesPerPoll {
		more, err := p.page(ctx)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

var errFeedCursor = errors.New("feed: cursor refused")

func (p *feedPoller) page(ctx context.Context) (bool, error) {
	p.mu.RLock()
	cursor := p.cursor
	p.mu.RUnlock()
	u := p.endpoint
	if cursor != "" {
		u += "?cursor=" + url.QueryEscape(cursor)
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultHTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	if p.feed.ClientID != "" {
		req.SetBasicAuth(url.QueryEscape(p.feed.ClientID), url.QueryEscape(p.feed.ClientSecret))
	} else {
		req.Header.Set("Authorization", "Bearer "+p.feed.BearerKey)
	}
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("feed: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		// The issuer no longer knows the tenant (deleted or disabled):
		// none of its tokens is good.
		p.mu.Lock()
		p.gone, p.lastOK = true, p.cfg.Now()
		p.mu.Unlock()
		p.cfg.Logger.Warn("resource: the revocation feed answers 404: every token is refused (a disabled or deleted tenant, or a wrong Feed.Endpoint)")
		return false, nil
	case resp.StatusCode == http.StatusBadRequest && cursor != "":
		// A cursor the server no longer accepts (its key rotated):
		// read again from the start; the set keeps what it has.
		p.mu.Lock()
		p.cursor = ""
		p.mu.Unlock()
		return false, errFeedCursor
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("feed: status %d", resp.StatusCode)
	}
	var body struct {
		Revocations []feedEntry `json:"revocations"`
		Cursor      string      `json:"cursor"`
		More        bool        `json:"more"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxFeedBytes)).Decode(&body); err != nil || body.Cursor == "" {
		return false, errors.New("feed: malformed answer")
	}
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.set.forget(now.Unix())
	for _, e := range body.Revocations {
		if _, known := p.set.kids[e.KID]; e.Kind == "key" && !known {
			// A key retired in an emergency: its successor's tokens
			// follow at once; fetch the JWKS on the next unknown kid.
			p.jwks.keysChanged()
		}
		p.set.add(e)
	}
	p.full = p.set.len() > p.feed.MaxEntries
	p.cursor, p.lastOK, p.gone = body.Cursor, now, false
	return body.More, nil
}

// check refuses a token the feed revoked, or every token while the feed
// is unknown, stale or full.
func (p *feedPoller) check(c *Claims, kid string) *Error {
	now := p.cfg.Now()
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch {
	case p.lastOK.IsZero():
		return errUnavailable("the revocation feed has not been read yet")
	case now.Sub(p.lastOK) > p.feed.MaxStale:
		return errUnavailable("the revocation feed is stale")
	case p.full:
		return errUnavailable("the revocation feed holds more live entries than allowed")
	case p.gone:
		return errToken(c.Scheme, "the issuer no longer knows the tenant")
	case p.set.revoked(c, kid):
		return errToken(c.Scheme, "the access token was revoked")
	}
	return nil
}

// Close stops the revocation feed poller (a no-op without Config.Feed).
func (v *Verifier) Close() {
	if v.feed == nil {
		return
	}
	v.feed.stop()
	<-v.feed.done
}

package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func (e *env) dcrClient(name string) store.Client {
	now := e.s.Now()
	return store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_dcr_"), Kind: "dcr", Name: name,
		SecretHash: ids.Hash(ids.NewSecret()), RATHash: ids.Hash(ids.NewSecret()), AuthMethod: "client_secret_basic",
		GrantTypes: []string{"client_credentials"}, Active: true, CreatedAt: now, UpdatedAt: now}
}

func (e *env) iat(t *testing.T, id tenant.ID, singleUse bool, ttl time.Duration) (store.InitialAccessToken, string) {
	t.Helper()
	secret := ids.NewSecret()
	now := e.s.Now()
	k := store.InitialAccessToken{ID: ids.New("iat_"), Hash: ids.Hash(secret), SingleUse: singleUse, ExpiresAt: now.Add(ttl), CreatedAt: now}
	if err := e.s.CreateInitialAccessToken(t.Context(), id, k, event(now, "initial_access_token.created", k.ID)); err != nil {
		t.Fatalf("create initial access token: %v", err)
	}
	k.Version = 1
	e.clock.Advance(time.Millisecond)
	return k, secret
}

// domainDCR: registration with and without initial access tokens, the
// tokens' CRUD, isolation and paging, and the windowed rate counters.
func domainDCR(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, "dcr-a")
	b := e.create(t, "dcr-b")

	t.Run("register without a token, then read by client_id and id", func(t *testing.T) {
		c := e.dcrClient("open")
		if err := e.s.RegisterClient(ctx, a.id, c, nil, event(e.s.Now(), "oauth.client_registered", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetClient(ctx, a.id, c.ClientID)
		if err != nil || got.Kind != "dcr" || string(got.RATHash) != string(c.RATHash) {
			t.Fatalf("get: %+v %v", got, err)
		}
		if byID, err := e.s.GetClientByID(ctx, a.id, c.ID); err != nil || byID.ClientID != c.ClientID {
			t.Fatalf("by id: %v", err)
		}
		wantErr(t, "register again", e.s.RegisterClient(ctx, a.id, c, nil, event(e.s.Now(), "x", "y")), store.ErrConflict)
		if _, err := e.s.GetClient(ctx, b.id, c.ClientID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("tenant B reads tenant A's client: %v", err)
		}
	})

	t.Run("a registered client has no creator", func(t *testing.T) {
		c := e.dcrClient("creator")
		c.CreatedBy = "usr_x"
		if err := e.s.RegisterClient(ctx, a.id, c, nil, event(e.s.Now(), "x", "y")); err == nil {
			t.Fatal("registered a client with a creator")
		}
	})

	t.Run("single-use token admits one registration", func(t *testing.T) {
		k, secret := e.iat(t, a.id, true, time.Hour)
		got, err := e.s.InitialAccessTokenByHash(ctx, a.id, ids.Hash(secret))
		if err != nil || got.ID != k.ID || !got.UsableAt(e.s.Now()) {
			t.Fatalf("by hash: %+v %v", got, err)
		}
		c1, c2 := e.dcrClient("one"), e.dcrClient("two")
		if err := e.s.RegisterClient(ctx, a.id, c1, &got, event(e.s.Now(), "x", c1.ClientID)); err != nil {
			t.Fatal(err)
		}
		// A second registration with the same (stale) read loses.
		wantErr(t, "reuse stale", e.s.RegisterClient(ctx, a.id, c2, &got, event(e.s.Now(), "x", c2.ClientID)), store.ErrTokenUnusable)
		if _, err := e.s.GetClient(ctx, a.id, c2.ClientID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the losing registration left a client: %v", err)
		}
		used, err := e.s.GetInitialAccessToken(ctx, a.id, k.ID)
		if err != nil || used.Uses != 1 || used.UsedAt.IsZero() || used.UsableAt(e.s.Now()) {
			t.Fatalf("after use: %+v %v", used, err)
		}
		wantErr(t, "reuse fresh", e.s.RegisterClient(ctx, a.id, c2, &used, event(e.s.Now(), "x", c2.ClientID)), store.ErrTokenUnusable)
	})

	t.Run("two racing registrations with one single-use token: one wins", func(t *testing.T) {
		_, secret := e.iat(t, a.id, true, time.Hour)
		k, err := e.s.InitialAccessTokenByHash(ctx, a.id, ids.Hash(secret))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				c := e.dcrClient("race")
				errs[i] = e.s.RegisterClient(ctx, a.id, c, &k, event(e.s.Now(), "x", c.ClientID))
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("want exactly one winner: %v / %v", errs[0], errs[1])
		}
	})

	t.Run("multi-use token admits many until revoked", func(t *testing.T) {
		k, secret := e.iat(t, a.id, false, time.Hour)
		for i := range 3 {
			cur, _ := e.s.InitialAccessTokenByHash(ctx, a.id, ids.Hash(secret))
			c := e.dcrClient("multi")
			if err := e.s.RegisterClient(ctx, a.id, c, &cur, event(e.s.Now(), "x", c.ClientID)); err != nil {
				t.Fatalf("use %d: %v", i, err)
			}
		}
		stale, _ := e.s.InitialAccessTokenByHash(ctx, a.id, ids.Hash(secret))
		rev, err := e.s.RevokeInitialAccessToken(ctx, a.id, k.ID, event(e.s.Now(), "initial_access_token.revoked", k.ID))
		if err != nil || rev.RevokedAt.IsZero() {
			t.Fatalf("revoke: %+v %v", rev, err)
		}
		c := e.dcrClient("after revoke")
		wantErr(t, "stale read after revoke", e.s.RegisterClient(ctx, a.id, c, &stale, event(e.s.Now(), "x", c.ClientID)), store.ErrTokenUnusable)
		again, err := e.s.RevokeInitialAccessToken(ctx, a.id, k.ID, event(e.s.Now(), "x", k.ID))
		if err != nil || !again.RevokedAt.Equal(rev.RevokedAt) {
			t.Fatalf("revoke twice: %+v %v", again, err)
		}
	})

	t.Run("expired token is refused", func(t *testing.T) {
		k, _ := e.iat(t, a.id, false, time.Minute)
		e.clock.Advance(2 * time.Minute)
		c := e.dcrClient("late")
		wantErr(t, "expired", e.s.RegisterClient(ctx, a.id, c, &k, event(e.s.Now(), "x", c.ClientID)), store.ErrTokenUnusable)
	})

	t.Run("token errors and isolation", func(t *testing.T) {
		k, secret := e.iat(t, a.id, false, time.Hour)
		wantErr(t, "by hash on B", func() error { _, err := e.s.InitialAccessTokenByHash(ctx, b.id, ids.Hash(secret)); return err }(), store.ErrNotFound)
		wantErr(t, "by id on B", func() error { _, err := e.s.GetInitialAccessToken(ctx, b.id, k.ID); return err }(), store.ErrNotFound)
		wantErr(t, "revoke on B", func() error {
			_, err := e.s.RevokeInitialAccessToken(ctx, b.id, k.ID, event(e.s.Now(), "x", k.ID))
			return err
		}(), store.ErrNotFound)
		page, err := e.s.ListInitialAccessTokens(ctx, b.id, store.PageRequest{})
		wantErr(t, "list on B", notListed(err, len(page.Items), func(i int) bool { return page.Items[i].ID == k.ID }), store.ErrNotFound)
		// A token read on tenant A cannot admit a registration on tenant B.
		cur, _ := e.s.InitialAccessTokenByHash(ctx, a.id, ids.Hash(secret))
		cb := e.dcrClient("cross")
		wantErr(t, "A's token on B", e.s.RegisterClient(ctx, b.id, cb, &cur, event(e.s.Now(), "x", cb.ClientID)), store.ErrTokenUnusable)
		if _, err := e.s.GetClient(ctx, b.id, cb.ClientID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("cross-tenant registration left a client: %v", err)
		}
		single, _ := e.iat(t, a.id, true, time.Hour)
		cs := e.dcrClient("cross single")
		wantErr(t, "A's single-use token on B", e.s.RegisterClient(ctx, b.id, cs, &single, event(e.s.Now(), "x", cs.ClientID)), store.ErrTokenUnusable)
		if got, _ := e.s.GetInitialAccessToken(ctx, a.id, single.ID); got.Uses != 0 {
			t.Fatalf("a refused cross-tenant use spent the token: %+v", got)
		}
		wantErr(t, "unknown id", func() error { _, err := e.s.GetInitialAccessToken(ctx, a.id, "iat_nope"); return err }(), store.ErrNotFound)
		wantErr(t, "duplicate", e.s.CreateInitialAccessToken(ctx, a.id, k, event(e.s.Now(), "x", k.ID)), store.ErrConflict)
		var none tenant.ID
		wantErr(t, "no tenant", e.s.CreateInitialAccessToken(ctx, none, k, event(e.s.Now(), "x", k.ID)), store.ErrNoTenant)
		wantErr(t, "register no tenant", e.s.RegisterClient(ctx, none, e.dcrClient("x"), nil, event(e.s.Now(), "x", "y")), store.ErrNoTenant)
		if err := e.s.CreateInitialAccessToken(ctx, a.id, store.InitialAccessToken{ID: "iat_x"}, event(e.s.Now(), "x", "y")); err == nil {
			t.Fatal("created a token without hash or expiry")
		}
	})

	t.Run("tokens page newest first, each once", func(t *testing.T) {
		c := e.create(t, "dcr-page")
		var want []string
		for range 5 {
			k, _ := e.iat(t, c.id, true, time.Hour)
			want = append([]string{k.ID}, want...)
		}
		var got []string
		pr := store.PageRequest{Limit: 2}
		for {
			page, err := e.s.ListInitialAccessTokens(ctx, c.id, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range page.Items {
				got = append(got, k.ID)
			}
			if page.Next == "" {
				break
			}
			pr.Cursor = page.Next
		}
		if len(got) != len(want) {
			t.Fatalf("got %v want %v", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("order: got %v want %v", got, want)
			}
		}
	})

	t.Run("rate counter: limit, window, tenant and name", func(t *testing.T) {
		e.clock.Advance(time.Minute - time.Duration(e.s.Now().UnixNano()%int64(time.Minute))) // start of a window
		for i := 1; i <= 3; i++ {
			d, err := e.s.Hit(ctx, a.id, "ip|192.0.2.1", time.Minute, 3)
			if err != nil || !d.Allowed || d.Count != i {
				t.Fatalf("hit %d: %+v %v", i, d, err)
			}
		}
		e.clock.Advance(15 * time.Second)
		d, err := e.s.Hit(ctx, a.id, "ip|192.0.2.1", time.Minute, 3)
		if err != nil || d.Allowed || d.RetryAfter != 45*time.Second {
			t.Fatalf("over the limit: %+v %v", d, err)
		}
		if d, _ := e.s.Hit(ctx, a.id, "ip|192.0.2.2", time.Minute, 3); !d.Allowed {
			t.Fatal("another name shares the counter")
		}
		if d, _ := e.s.Hit(ctx, b.id, "ip|192.0.2.1", time.Minute, 3); !d.Allowed || d.Count != 1 {
			t.Fatalf("tenant B shares tenant A's counter: %+v", d)
		}
		e.clock.Advance(45 * time.Second)
		if d, _ := e.s.Hit(ctx, a.id, "ip|192.0.2.1", time.Minute, 3); !d.Allowed || d.Count != 1 {
			t.Fatalf("next window: %+v", d)
		}
		var none tenant.ID
		if _, err := e.s.Hit(ctx, none, "x", time.Minute, 1); !errors.Is(err, store.ErrNoTenant) {
			t.Fatalf("no tenant: %v", err)
		}
		if _, err := e.s.Hit(ctx, a.id, "x", 0, 1); err == nil {
			t.Fatal("zero window accepted")
		}
	})

	t.Run("concurrent hits never lose a count", func(t *testing.T) {
		n := countAllowed(8, func(int) bool {
			d, err := e.s.Hit(ctx, a.id, "concurrent", time.Hour, 5)
			return err == nil && d.Allowed
		})
		if n > 5 {
			t.Fatalf("%d hits allowed over a limit of 5", n)
		}
	})

	domainHitEach(t, e)
}

// countAllowed runs try n times at once (i is the attempt's number) and
// counts the attempts it allowed.
func countAllowed(n int, try func(i int) bool) int {
	var wg sync.WaitGroup
	allowed := make(chan bool, n)
	for i := range n {
		wg.Go(func() { allowed <- try(i) })
	}
	wg.Wait()
	close(allowed)
	count := 0
	for ok := range allowed {
		if ok {
			count++
		}
	}
	return count
}

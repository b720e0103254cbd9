package register

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// AdminStore is what the initial access token routes use of the store.
type AdminStore interface {
	CreateInitialAccessToken(ctx context.Context, t tenant.ID, k store.InitialAccessToken, ev store.AuditEvent) error
	GetInitialAccessToken(ctx context.Context, t tenant.ID, id string) (store.InitialAccessToken, error)
	ListInitialAccessTokens(ctx context.Context, t tenant.ID, pr store.PageRequest) (store.ListPage[store.InitialAccessToken], error)
	RevokeInitialAccessToken(ctx context.Context, t tenant.ID, id string, ev store.AuditEvent) (store.InitialAccessToken, error)
}

// Lifetimes of initial access tokens.
const (
	DefaultIATLifetime = 24 * time.Hour
	MaxIATLifetime     = 30 * 24 * time.Hour
)

// IATPath is where the admin function mounts Tokens.
const IATPath = "/api/v1/admin/initial-access-tokens"

// Tokens is the admin API of initial access tokens, to be mounted by the
// admin function at IATPath and IATPath+"/":
//
//	POST   {"name"?, "single_use"? (default true), "expires_in"? (seconds, default 86400, at most 30 days)}
//	       → 201 {id, token (shown once), name, single_use, uses, expires_at, created_at}
//	GET    ?limit=&cursor= → 200 {"data":[...], "next_cursor"}
//	GET    /{id} → 200 token (never its value)
//	DELETE /{id} → 200 token with revoked_at
//
// Errors are the admin API's flat shape.
type Tokens struct {
	Store AdminStore
	Now   func() time.Time
	// Authenticate checks the admin key of a request to tenant t and
	// returns the actor id (the key id); an *httpx.Error it returns is
	// answered as is.
	Authenticate func(r *http.Request, t tenant.ID) (actorID string, err error)

	mux *http.ServeMux
}

// Register adds the routes to mux (tenant-free paths; the tenant must be
// resolved before them, and the responses must not be cached).
func (a *Tokens) Register(mux *http.ServeMux) {
	mux.Handle("POST "+IATPath, a.mount(a.create))
	mux.Handle("GET "+IATPath, a.mount(a.list))
	mux.Handle("GET "+IATPath+"/{id}", a.mount(a.get))
	mux.Handle("DELETE "+IATPath+"/{id}", a.mount(a.revoke))
}

// ServeHTTP serves the routes on their own (for mounting as one handler).
func (a *Tokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.mux == nil {
		mux := http.NewServeMux()
		a.Register(mux)
		a.mux = mux
	}
	if _, pattern := a.mux.Handler(r); pattern == "" {
		httpx.WriteError(w, r, httpx.NotFound("no route for "+r.Method+" "+r.URL.Path))
		return
	}
	w.Header().Set("Cache-Control", "no-store") // tokens are shown once
	a.mux.ServeHTTP(w, r)
}

// iatView is a token as the admin API shows it.
type iatView struct {
	ID        string     `json:"id"`
	Token     string     `json:"token,omitempty"`
	Name      string     `json:"name"`
	SingleUse bool       `json:"single_use"`
	Uses      int        `json:"uses"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	UsedAt    *time.Time `json:"used_at"`
	CreatedAt time.Time  `json:"created_at"`
}

func view(k store.InitialAccessToken) iatView {
	v := iatView{ID: k.ID, Name: k.Name, SingleUse: k.SingleUse, Uses: k.Uses, ExpiresAt: k.ExpiresAt, CreatedAt: k.CreatedAt}
	if !k.RevokedAt.IsZero() {
		v.RevokedAt = &k.RevokedAt
	}
	if !k.UsedAt.IsZero() {
		v.UsedAt = &k.UsedAt
	}
	return v
}

// mount is the one way to a route's handler: the tenant from the resolver
// (tenant.Handle: none is an internal error, answered there), then the
// tenant's admin key; the handler gets both.
func (a *Tokens) mount(f func(w http.ResponseWriter, r *http.Request, t tenant.Tenant, actor string) error) http.Handler {
	return httpx.Handle(tenant.Handle(func(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
		if a.Authenticate == nil {
			return httpx.Internal(errors.New("register: no admin authentication configured"))
		}
		actor, err := a.Authenticate(r, t.ID)
		if err != nil {
			var he *httpx.Error
			if errors.As(err, &he) {
				return he
			}
			return httpx.Unauthorized("invalid API key")
		}
		return f(w, r, t, actor)
	}))
}

func (a *Tokens) now() time.Time {
	if a.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return a.Now().UTC().Truncate(time.Microsecond)
}

func (a *Tokens) create(w http.ResponseWriter, r *http.Request, t tenant.Tenant, actor string) error {
	var in struct {
		Name      string `json:"name"`
		SingleUse *bool  `json:"single_use"`
		ExpiresIn *int64 `json:"expires_in"`
	}
	if err := httpx.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	if in.Name != "" {
		if err := httpx.CheckName("name", in.Name, 200); err != nil {
			return err
		}
	}
	lt := DefaultIATLifetime
	if in.ExpiresIn != nil {
		if *in.ExpiresIn < 60 || *in.ExpiresIn > int64(MaxIATLifetime/time.Second) {
			return httpx.InvalidParameter("expires_in must be between 60 and " + strconv.FormatInt(int64(MaxIATLifetime/time.Second), 10) + " seconds")
		}
		lt = time.Duration(*in.ExpiresIn) * time.Second
	}
	now := a.now()
	secret := ids.NewSecret()
	k := store.InitialAccessToken{ID: ids.New("iat_"), Hash: ids.Hash(secret), Name: in.Name, SingleUse: in.SingleUse == nil || *in.SingleUse,
		ExpiresAt: now.Add(lt), CreatedBy: actor, CreatedAt: now}
	ev := audit.New(r, now, audit.InitialAccessTokenCreated, audit.Actor{Type: "admin_key", ID: actor}, audit.Target{Type: "initial_access_token", ID: k.ID},
		map[string]any{"single_use": k.SingleUse, "expires_at": k.ExpiresAt, "name": k.Name})
	if err := a.Store.CreateInitialAccessToken(r.Context(), t.ID, k, ev); err != nil {
		return httpx.Internal(err)
	}
	v := view(k)
	v.Token = secret
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (a *Tokens) list(w http.ResponseWriter, r *http.Request, t tenant.Tenant, _ string) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	pr := store.PageRequest{Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return httpx.InvalidParameter("limit must be between 1 and 200")
		}
		pr.Limit = n
	}
	page, err := a.Store.ListInitialAccessTokens(r.Context(), t.ID, pr)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		return httpx.InvalidParameter("cursor is invalid")
	case err != nil:
		return httpx.Internal(err)
	}
	data := make([]iatView, 0, len(page.Items))
	for _, k := range page.Items {
		data = append(data, view(k))
	}
	var next *string
	if page.Next != "" {
		next = &page.Next
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": next})
	return nil
}

func (a *Tokens) get(w http.ResponseWriter, r *http.Request, t tenant.Tenant, _ string) error {
	k, err := a.Store.GetInitialAccessToken(r.Context(), t.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httpx.NotFound("initial access token not found")
	case err != nil:
		return httpx.Internal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, view(k))
	return nil
}

func (a *Tokens) revoke(w http.ResponseWriter, r *http.Request, t tenant.Tenant, actor string) error {
	id := r.PathValue("id")
	now := a.now()
	ev := audit.New(r, now, audit.InitialAccessTokenRevoked, audit.Actor{Type: "admin_key", ID: actor}, audit.Target{Type: "initial_access_token", ID: id}, nil)
	k, err := a.Store.RevokeInitialAccessToken(r.Context(), t.ID, id, ev)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httpx.NotFound("initial access token not found")
	case err != nil:
		return httpx.Internal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, view(k))
	return nil
}

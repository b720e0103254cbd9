package token

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// FeedPollAfter is the poll interval the revocation feed suggests, in
// seconds (poll_after); it is also how long a client may reuse an answer.
const FeedPollAfter = 5

// feedAnswer is GET /oauth/revocations: the tenant's revocations since the
// cursor, in terms a verifier applies to a JWT it holds (store.FeedEntry).
type feedAnswer struct {
	Revocations []store.FeedEntry `json:"revocations"`
	Cursor      string            `json:"cursor"`
	More        bool              `json:"more"`
	PollAfter   int               `json:"poll_after"`
}

// mayReadFeed reports whether the caller may read the tenant's revocation
// feed: the tenant's admin, an introspect-only admin key, or a resource
// server (the feed is how it sees revocations offline). A plain client (an
// agent, an app) may not: the feed names every client of the tenant.
func (c caller) mayReadFeed() bool { return c.adminKeyID != "" || c.resourceServer() }

// revocations is GET /oauth/revocations?cursor=C&limit=N (issue 24): the
// revocation feed. The caller authenticates as for introspection
// (authenticateCaller); only callers that mayReadFeed get it, others 403.
func (h *Handler) revocations(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	h.init()
	ctx := r.Context()
	f, err := oauth.ParseFormBody("")
	if err != nil {
		return err
	}
	who, err := h.authenticateCaller(ctx, r, f, t, false)
	if err != nil {
		return err
	}
	if !who.mayReadFeed() {
		return oauth.New(oauth.AccessDenied, "the revocation feed is for the tenant's admin and resource servers")
	}
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxFeedPage {
			return oauth.New(oauth.InvalidRequest, "limit must be from 1 to "+strconv.Itoa(store.MaxFeedPage))
		}
		limit = n
	}
	page, err := h.Store.Feed(ctx, t.ID, q.Get("cursor"), limit)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		return oauth.New(oauth.InvalidRequest, "invalid cursor")
	case err != nil:
		return oauth.Internal(err)
	}
	poll := FeedPollAfter
	if page.More {
		poll = 0
	}
	hd := w.Header()
	hd.Set("Cache-Control", feedCacheControl)
	hd.Del("Pragma")
	hd.Set("Vary", "Authorization")
	httpx.WriteJSON(w, http.StatusOK, feedAnswer{Revocations: page.Entries, Cursor: page.Next, More: page.More, PollAfter: poll})
	return nil
}

// feedCacheControl is the answer's Cache-Control: private (it depends on
// the caller), reusable by the caller for the poll interval.
var feedCacheControl = "private, max-age=" + strconv.Itoa(FeedPollAfter)

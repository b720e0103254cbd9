package token

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// withGrant serves one more grant type for the duration of the test (the
// token tests do not run in parallel).
func withGrant(t *testing.T, g grant) {
	t.Helper()
	saved := grants
	grants = append(slices.Clone(grants), g)
	t.Cleanup(func() { grants = saved })
}

// What a grant declares is what the dispatcher does: the grant types it
// serves are exactly the list's, a public client reaches only a grant that
// admits it, a client not registered for a grant reaches only an unlisted
// one, and the grant's steps join the token's one transaction.
func TestGrantDeclarations(t *testing.T) {
	hs := newHarness(t, nil)
	acme := tenant.MustID("acme")
	const (
		publicGrant   = oauth.GrantType("urn:example:grant:public")
		closedGrant   = oauth.GrantType("urn:example:grant:confidential")
		unlistedGrant = oauth.GrantType("urn:example:grant:unlisted")
		stepGrant     = oauth.GrantType("urn:example:grant:step")
	)
	all := []string{string(publicGrant), string(closedGrant), string(unlistedGrant), string(stepGrant), GrantClientCredentials}
	hs.client("acme", store.Client{ClientID: "pub", AuthMethod: string(oauth.AuthNone), SecretHash: []byte{},
		Scopes: []string{"mcp:read"}, Active: true, GrantTypes: all})
	hs.client("acme", store.Client{ClientID: "conf", Scopes: []string{"mcp:read"}, Active: true, GrantTypes: all})
	hs.client("acme", store.Client{ClientID: "cconly", Scopes: []string{"mcp:read"}, Active: true,
		GrantTypes: []string{GrantClientCredentials}})
	var reached []string // the clients each decide saw, with q.listed
	decide := func(_ *Handler, _ context.Context, q *request) (decision, error) {
		reached = append(reached, q.client.Client.ClientID)
		if !q.listed {
			return decision{}, oauth.New(oauth.AccessDenied, "not registered and nothing else authorizes it")
		}
		return decision{subject: q.client.Client.ClientID, scopes: q.client.Client.Scopes,
			defaultAudience: []string{"https://api.example"}, event: audit.TokenIssued}, nil
	}
	withGrant(t, grant{typ: publicGrant, admit: publicClients, decide: decide})
	withGrant(t, grant{typ: closedGrant, decide: decide})
	withGrant(t, grant{typ: unlistedGrant, unlisted: true, decide: decide})
	withGrant(t, grant{typ: stepGrant, decide: func(h *Handler, ctx context.Context, q *request) (decision, error) {
		d, err := decide(h, ctx, q)
		// A single-use value of the request (as a code will be): the
		// token is issued with its consumption or not at all.
		d.steps = []store.IssueStep{store.ReplayMark{Kind: "test", Value: q.form.Get("once"), Until: q.now.Add(time.Hour)}}
		d.refused = func(err error) error {
			if errors.Is(err, store.ErrReplay) {
				return oauth.New(oauth.InvalidGrant, "already used")
			}
			return nil
		}
		return d, err
	}})

	if got := GrantTypes(); !slices.Equal(got[len(got)-4:], []oauth.GrantType{publicGrant, closedGrant, unlistedGrant, stepGrant}) ||
		!slices.Contains(got, oauth.GrantClientCredentials) || !slices.Contains(got, oauth.GrantTokenExchange) {
		t.Fatalf("GrantTypes() = %v", got)
	}
	pub := func(gt oauth.GrantType) call {
		return call{form: form("grant_type", string(gt), "client_id", "pub")}
	}
	conf := func(id string, gt oauth.GrantType, kv ...string) call {
		return call{form: form(append([]string{"grant_type", string(gt), "client_id", id, "client_secret", secret}, kv...)...)}
	}
	tokens := func(clientID string) int {
		recs, err := hs.st.ClientTokens(t.Context(), acme, clientID)
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	cases := []struct {
		name    string
		call    call
		status  int
		code    string
		reached string // the client decide saw, "" for none
	}{
		{"a public client at a grant that admits public clients", pub(publicGrant), 200, "", "pub"},
		{"a public client at a grant that does not", pub(closedGrant), 400, "unauthorized_client", ""},
		{"a public client at client_credentials", pub(oauth.GrantClientCredentials), 400, "unauthorized_client", ""},
		{"a public client at an unlisted grant", pub(unlistedGrant), 400, "unauthorized_client", ""},
		{"a confidential client at a public grant", conf("conf", publicGrant), 200, "", "conf"},
		{"a confidential client at a confidential grant", conf("conf", closedGrant), 200, "", "conf"},
		{"a client not registered for a listed grant", conf("cconly", closedGrant), 400, "unauthorized_client", ""},
		{"a client not registered for an unlisted grant reaches it", conf("cconly", unlistedGrant), 403, "access_denied", "cconly"},
		{"a grant type nobody serves", conf("conf", "urn:example:grant:none"), 400, "unsupported_grant_type", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reached = nil
			w := hs.do(tc.call)
			if w.Code != tc.status || (tc.code != "" && decode(t, w)["error"] != tc.code) {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if want := []string{tc.reached}; (tc.reached == "" && reached != nil) || (tc.reached != "" && !slices.Equal(reached, want)) {
				t.Fatalf("decide reached by %v, want %q", reached, tc.reached)
			}
		})
	}

	t.Run("a grant's step commits with the token or not at all", func(t *testing.T) {
		before := tokens("conf")
		if w := hs.do(conf("conf", stepGrant, "once", "v1")); w.Code != 200 {
			t.Fatalf("first use: %d %s", w.Code, w.Body)
		}
		if got := tokens("conf"); got != before+1 {
			t.Fatalf("tokens %d, want %d", got, before+1)
		}
		hs.now = hs.now.Add(time.Second)
		w := hs.do(conf("conf", stepGrant, "once", "v1"))
		if w.Code != 400 || decode(t, w)["error"] != "invalid_grant" {
			t.Fatalf("second use: %d %s", w.Code, w.Body)
		}
		if got := tokens("conf"); got != before+1 {
			t.Fatalf("the refused use wrote a token: %d, want %d", got, before+1)
		}
		if w := hs.do(conf("conf", stepGrant, "once", "v2")); w.Code != 200 {
			t.Fatalf("another value: %d %s", w.Code, w.Body)
		}
	})
}

package token

import (
	"context"
	"testing"

	"github.com/sharkauth/serverless/shared/cimd"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// fakeCIMD resolves the documents it holds; any other document URL is
// refused as the resolver refuses a document it cannot use.
type fakeCIMD map[string]cimd.Client

func (f fakeCIMD) Described(_ context.Context, clientID string) (store.Client, bool, error) {
	if !cimd.IsCIMD(clientID) {
		return store.Client{}, false, nil
	}
	c, ok := f[clientID]
	if !ok {
		return store.Client{}, true, oauth.New(oauth.InvalidClient, "the client metadata document could not be used")
	}
	return cimd.StoreClient(c), true, nil
}

const (
	cimdClient   = "https://app.example.com/mcp-client.json"
	cimdSigning  = "https://signed.example.com/client.json"
	cimdNotFound = "https://gone.example.com/client.json"
)

// A client whose client_id is its metadata document's URL (CIMD) is never
// registered: the token function resolves it, as the authorize function
// did, to exchange its code and refresh (a public client, PKCE-bound).
func TestCIMDClientExchangesAndRefreshes(t *testing.T) {
	hs := userGrants(t)
	hs.h.CIMD = fakeCIMD{
		cimdClient:  {ClientID: cimdClient, Name: "App", RedirectURIs: []string{redirect}, AuthMethod: "none", Scope: "mcp:read mcp:write"},
		cimdSigning: {ClientID: cimdSigning, Name: "Signed", RedirectURIs: []string{redirect}, AuthMethod: "private_key_jwt", JWKSURI: "https://signed.example.com/jwks"},
	}
	w := hs.do(call{form: form(set(exchange(hs.code(codeOpts{client: cimdClient})), "client_id", cimdClient)...)})
	if w.Code != 200 {
		t.Fatalf("exchange: %d %s", w.Code, w.Body)
	}
	got := decode(t, w)
	claims := claimsOf(t, got["access_token"].(string))
	if claims["client_id"] != cimdClient || claims["sub"] != "usr_ada" || claims["aud"] != resource {
		t.Fatalf("claims %v", claims)
	}
	if _, isAgent := claims["agent_id"]; isAgent {
		t.Fatalf("a metadata document client is no agent: %v", claims)
	}
	rt, _ := got["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token: %v", got)
	}
	w = hs.do(call{form: form("grant_type", "refresh_token", "client_id", cimdClient, "refresh_token", rt)})
	if w.Code != 200 {
		t.Fatalf("refresh: %d %s", w.Code, w.Body)
	}
	if next := decode(t, w)["refresh_token"]; next == "" || next == rt {
		t.Fatalf("not rotated: %v", next)
	}

	t.Run("its code presented by another client", func(t *testing.T) {
		w := hs.do(call{form: form(exchange(hs.code(codeOpts{client: cimdClient}))...)})
		wantRefusal(t, w, 400, "invalid_grant", "another client")
	})
	t.Run("a document that cannot be used", func(t *testing.T) {
		w := hs.do(call{form: form(set(exchange(hs.code(codeOpts{client: cimdNotFound})), "client_id", cimdNotFound)...)})
		wantRefusal(t, w, 401, "invalid_client", "")
	})
	t.Run("a document asking for private_key_jwt, without an assertion", func(t *testing.T) {
		w := hs.do(call{form: form(set(exchange(hs.code(codeOpts{client: cimdSigning})), "client_id", cimdSigning)...)})
		wantRefusal(t, w, 401, "invalid_client", "client authentication is required")
	})
	t.Run("without a resolver", func(t *testing.T) {
		hs.h.CIMD = nil
		w := hs.do(call{form: form(set(exchange(hs.code(codeOpts{client: cimdClient})), "client_id", cimdClient)...)})
		wantRefusal(t, w, 401, "invalid_client", "client authentication is required")
	})
}

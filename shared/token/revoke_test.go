package token

import (
	"time"

	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func TestRevokeAndIntrospect(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	admin := map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}
	own := form("client_id", "shark_agent_1", "client_secret", secret)
	with := func(base map[string][]string, kv ...string) map[string][]string {
		out := map[string][]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = []string{kv[i+1]}
		}
		return out
	}
	introspect := func(t *testing.T, tok string, headers map[string]string, fm map[string][]string) map[string]any {
		t.Helper()
		w := hs.do(call{path: "/oauth/introspect", form: with(fm, "token", tok), headers: headers})
		if w.Code != 200 {
			t.Fatalf("introspect %d %s", w.Code, w.Body)
		}
		return decode(t, w)
	}
	bound := func() string {
		w := hs.do(call{form: f.secretF("shark_agent_1"), dpop: []string{f.proof()}})
		return decode(t, w)["access_token"].(string)
	}()

	t.Run("active token, admin caller", func(t *testing.T) {
		b := introspect(t, bound, admin, nil)
		c := claimsOf(t, bound)
		want(t, b["active"] == true && b["token_type"] == "DPoP" && b["cnf"].(map[string]any)["jkt"] == f.p.jkt(), "%v", b)
		want(t, b["jti"] == c["jti"] && b["client_id"] == "shark_agent_1" && b["sub"] == "shark_agent_1" && b["iss"] == rootIssuer && b["scope"] == "mcp:read mcp:write", "%v", b)
		want(t, b["exp"] == c["exp"] && b["iat"] == c["iat"] && b["nbf"] == c["nbf"] && b["agent_id"] == "agent_shark_agent_1" && eqAud(b["aud"], "shark_agent_1"), "%v", b)
	})
	t.Run("active token, own client", func(t *testing.T) {
		want(t, introspect(t, bound, nil, own)["active"] == true, "inactive for its own client")
	})

	inactiveCases := []struct {
		name    string
		token   func() string
		headers map[string]string
		form    map[string][]string
	}{
		{name: "another client's token", token: func() string { return bound }, form: form("client_id", "shark_agent_2", "client_secret", secret)},
		{name: "token of another tenant", token: func() string { return f.issueFor(t, "beta", "shark_agent_1") }, headers: admin},
		{name: "garbage", token: func() string { return "not-a-token" }, headers: admin},
		{name: "revoked by its client", token: func() string {
			tok := f.issueFor(t, "acme", "shark_agent_1")
			if w := hs.do(call{path: "/oauth/revoke", form: with(own, "token", tok)}); w.Code != 200 || w.Body.Len() != 0 {
				t.Fatalf("revoke %d %q", w.Code, w.Body)
			}
			return tok
		}, headers: admin},
		{name: "revoked by the admin", token: func() string {
			tok := f.issueFor(t, "acme", "shark_agent_1")
			if w := hs.do(call{path: "/oauth/revoke", form: form("token", tok, "token_type_hint", "access_token"), headers: admin}); w.Code != 200 {
				t.Fatalf("revoke %d %s", w.Code, w.Body)
			}
			return tok
		}, headers: admin},
	}
	for _, tc := range inactiveCases {
		t.Run("inactive: "+tc.name, func(t *testing.T) {
			w := hs.do(call{path: "/oauth/introspect", form: with(tc.form, "token", tc.token()), headers: tc.headers})
			if w.Code != 200 || w.Body.String() != `{"active":false}`+"\n" {
				t.Fatalf("%d %q", w.Code, w.Body)
			}
		})
	}

	narrowKey := ids.NewKey(ids.AdminKeyPrefix)
	if err := hs.st.CreateAPIKey(t.Context(), tenant.MustID("acme"), store.APIKey{ID: "key_narrow", Name: "narrow", Hash: ids.Hash(narrowKey), Scopes: []string{"agents:read"}, CreatedAt: hs.now},
		store.AuditEvent{ID: ids.New("aud_"), Event: "api_key.created", Metadata: map[string]any{}, CreatedAt: hs.now}); err != nil {
		t.Fatal(err)
	}
	// A revoked key and a key at its expiry instant authenticate nothing.
	revokedKey, expiredKey := ids.NewKey(ids.AdminKeyPrefix), ids.NewKey(ids.AdminKeyPrefix)
	for _, k := range []store.APIKey{
		{ID: "key_revoked", Name: "revoked", Hash: ids.Hash(revokedKey), Scopes: []string{"*"}, CreatedAt: hs.now, RevokedAt: hs.now},
		{ID: "key_expired", Name: "expired", Hash: ids.Hash(expiredKey), Scopes: []string{"*"}, CreatedAt: hs.now.Add(-time.Hour), ExpiresAt: hs.now},
	} {
		if err := hs.st.CreateAPIKey(t.Context(), tenant.MustID("acme"), k,
			store.AuditEvent{ID: ids.New("aud_"), Event: "api_key.created", Metadata: map[string]any{}, CreatedAt: hs.now}); err != nil {
			t.Fatal(err)
		}
	}
	// private_key_jwt is accepted at introspection: the assertion's jti is
	// used there, so the same assertion again is refused.
	usedAssertion := f.assertion(t, "jwtc", "x")
	if w := hs.do(call{path: "/oauth/introspect", form: form("token", bound, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", usedAssertion)}); w.Code != 200 || w.Body.String() != `{"active":false}`+"\n" {
		t.Fatalf("private_key_jwt at introspect: %d %q", w.Code, w.Body)
	}
	errorCases := []struct {
		name    string
		path    string
		form    map[string][]string
		headers map[string]string
		status  int
		code    string
	}{
		{name: "introspect without caller", path: "/oauth/introspect", form: form("token", bound), status: 401, code: "invalid_client"},
		{name: "revoke without caller", path: "/oauth/revoke", form: form("token", bound), status: 401, code: "invalid_client"},
		{name: "admin key of another tenant", path: "/oauth/introspect", form: form("token", bound), headers: map[string]string{"Authorization": "Bearer " + hs.admin["beta"]}, status: 401, code: "invalid_client"},
		{name: "unknown admin key", path: "/oauth/revoke", form: form("token", bound), headers: map[string]string{"Authorization": "Bearer sk_live_nope"}, status: 401, code: "invalid_client"},
		{name: "wrong client secret", path: "/oauth/introspect", form: form("token", bound, "client_id", "shark_agent_1", "client_secret", "x"), status: 401, code: "invalid_client"},
		{name: "admin key and client secret at once", path: "/oauth/revoke", form: with(own, "token", bound), headers: admin, status: 400, code: "invalid_request"},
		{name: "revoke another client's token", path: "/oauth/revoke", form: form("token", bound, "client_id", "shark_agent_2", "client_secret", secret), status: 400, code: "unauthorized_client"},
		{name: "admin key without scope *", path: "/oauth/introspect", form: form("token", bound), headers: map[string]string{"Authorization": "Bearer " + narrowKey}, status: 403, code: "access_denied"},
		{name: "revoked admin key at introspect", path: "/oauth/introspect", form: form("token", bound), headers: map[string]string{"Authorization": "Bearer " + revokedKey}, status: 401, code: "invalid_client"},
		{name: "revoked admin key at revoke", path: "/oauth/revoke", form: form("token", bound), headers: map[string]string{"Authorization": "Bearer " + revokedKey}, status: 401, code: "invalid_client"},
		{name: "expired admin key at introspect", path: "/oauth/introspect", form: form("token", bound), headers: map[string]string{"Authorization": "Bearer " + expiredKey}, status: 401, code: "invalid_client"},
		{name: "expired admin key at revoke", path: "/oauth/revoke", form: form("token", bound), headers: map[string]string{"Authorization": "Bearer " + expiredKey}, status: 401, code: "invalid_client"},
		{name: "missing token", path: "/oauth/introspect", form: map[string][]string{}, headers: admin, status: 400, code: "invalid_request"},
		{name: "replayed client assertion", path: "/oauth/introspect", form: form("token", bound, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", usedAssertion), status: 401, code: "invalid_client"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(call{path: tc.path, form: tc.form, headers: tc.headers})
			b := decode(t, w)
			if w.Code != tc.status || b["error"] != tc.code {
				t.Fatalf("%d %v; want %d %s", w.Code, b, tc.status, tc.code)
			}
			bearer := strings.HasPrefix(tc.headers["Authorization"], "Bearer ")
			if ch := w.Header().Get("WWW-Authenticate"); bearer && tc.status == 401 && ch != `Bearer realm="`+rootIssuer+`", error="invalid_token"` {
				t.Fatalf("challenge %q", ch)
			}
		})
	}
	t.Run("bound token still active after the failed revocation by another client", func(t *testing.T) {
		want(t, introspect(t, bound, admin, nil)["active"] == true, "revoked by a client it does not belong to")
	})
	t.Run("revoking unknown and invalid tokens is 200", func(t *testing.T) {
		for _, tok := range []string{"garbage", f.issueFor(t, "beta", "shark_agent_1")} {
			if w := hs.do(call{path: "/oauth/revoke", form: form("token", tok), headers: admin}); w.Code != 200 || w.Body.Len() != 0 {
				t.Fatalf("%d %q", w.Code, w.Body)
			}
		}
	})
}

package token

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

const (
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-abc"
	redirect = "http://127.0.0.1:33418/callback"
	resource = "https://mcp.example.com"
)

func challengeOf(v string) string {
	s := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// userGrants is the harness with a public MCP client ("mcp") allowed
// authorization_code and refresh_token, a confidential one ("web") and the
// user usr_ada.
func userGrants(t testing.TB) *harness {
	hs := newHarness(t, nil)
	for _, tn := range []string{"acme", "beta"} {
		hs.client(tn, store.Client{ClientID: "mcp", Kind: store.KindDCR, AuthMethod: "none", SecretHash: []byte{}, Active: true,
			GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"mcp:read", "mcp:write"}, RedirectURIs: []string{redirect}})
	}
	hs.client("acme", store.Client{ClientID: "web", Kind: store.KindApp, ID: "app_web", AuthMethod: "client_secret_post", Active: true,
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"mcp:read"}})
	return hs
}

type codeOpts struct {
	tenant, client, scope, jkt string
}

// code stores a code as the authorize function does and returns its value.
func (hs *harness) code(o codeOpts) string {
	hs.t.Helper()
	if o.tenant == "" {
		o.tenant = "acme"
	}
	if o.client == "" {
		o.client = "mcp"
	}
	if o.scope == "" {
		o.scope = "mcp:read mcp:write"
	}
	val := ids.NewKey("shark_code_")
	c := store.AuthCode{ID: ids.New("code_"), Hash: ids.Hash(val), ClientID: o.client, RedirectURI: redirect, Challenge: challengeOf(verifier),
		Scope: o.scope, Resources: []string{resource}, UserID: "usr_ada", DPoPJKT: o.jkt, CreatedAt: hs.now, ExpiresAt: hs.now.Add(60 * time.Second)}
	ev := store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: audit.CodeIssued, CreatedAt: hs.now, Metadata: map[string]any{}}
	cons := store.Consent{UserID: "usr_ada", ClientID: o.client, RedirectURI: redirect, Scopes: strings.Fields(o.scope), Resources: []string{resource},
		CreatedAt: hs.now, UpdatedAt: hs.now}
	cev := store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: "consent.granted", CreatedAt: hs.now, Metadata: map[string]any{}}
	if err := hs.st.GrantConsent(hs.t.Context(), tenant.MustID(o.tenant), cons, cev); err != nil {
		hs.t.Fatal(err)
	}
	if err := hs.st.CreateAuthCode(hs.t.Context(), tenant.MustID(o.tenant), c, ev); err != nil {
		hs.t.Fatal(err)
	}
	return val
}

func exchange(code string, kv ...string) []string {
	return append([]string{"grant_type", "authorization_code", "client_id", "mcp", "code", code, "redirect_uri", redirect, "code_verifier", verifier}, kv...)
}

// set replaces (or adds) the form values of kv in f.
func set(f []string, kv ...string) []string {
	out := append([]string(nil), f...)
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for j := 0; j+1 < len(out); j += 2 {
			if out[j] == kv[i] {
				out[j+1], found = kv[i+1], true
			}
		}
		if !found {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

func (hs *harness) active(t *testing.T, tok string) bool {
	t.Helper()
	w := hs.do(call{path: "/oauth/introspect", form: form("token", tok), headers: map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}})
	if w.Code != 200 {
		t.Fatalf("introspect: %d %s", w.Code, w.Body)
	}
	return decode(t, w)["active"] == true
}

func wantRefusal(t *testing.T, w *httptest.ResponseRecorder, status int, code, desc string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	m := decode(t, w)
	if m["error"] != code || !strings.Contains(m["error_description"].(string), desc) {
		t.Fatalf("answer %v, want %s (%s)", m, code, desc)
	}
}

func TestAuthorizationCodeExchange(t *testing.T) {
	hs := userGrants(t)
	w := hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)})
	if w.Code != 200 {
		t.Fatalf("exchange: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	c := claimsOf(t, m["access_token"].(string))
	if c["sub"] != "usr_ada" || c["client_id"] != "mcp" || c["aud"] != resource || c["scope"] != "mcp:read mcp:write" || m["token_type"] != "Bearer" {
		t.Fatalf("claims %v, answer %v", c, m)
	}
	if rt, _ := m["refresh_token"].(string); !strings.HasPrefix(rt, "shark_rt_") {
		t.Fatalf("no refresh token for a client allowed refresh_token: %v", m)
	}
	if !hs.active(t, m["access_token"].(string)) {
		t.Fatal("the token is inactive")
	}
	// A client not allowed refresh_token gets one only with offline_access.
	web := func(scope string) map[string]any {
		f := set(exchange(hs.code(codeOpts{client: "web", scope: scope})), "client_id", "web", "client_secret", secret)
		w := hs.do(call{form: form(f...)})
		if w.Code != 200 {
			t.Fatalf("web: %d %s", w.Code, w.Body)
		}
		return decode(t, w)
	}
	if m := web("mcp:read"); m["refresh_token"] != nil {
		t.Fatalf("a refresh token without refresh_token or offline_access: %v", m)
	}
	if m := web("mcp:read offline_access"); m["refresh_token"] == nil {
		t.Fatalf("no refresh token with offline_access: %v", m)
	}
}

// Every refusal of the code grant; none consumes the code.
func TestAuthorizationCodeRefusals(t *testing.T) {
	hs := userGrants(t)
	code := hs.code(codeOpts{})
	cases := []struct {
		name       string
		form       []string
		tenant     string
		status     int
		err, desc  string
		unconsumed bool
	}{
		{"wrong redirect_uri", set(exchange(code), "redirect_uri", "http://127.0.0.1:9/other"), "", 400, "invalid_grant", "redirect_uri", true},
		{"missing code_verifier", set(exchange(code), "code_verifier", ""), "", 400, "invalid_request", "code_verifier", true},
		{"wrong code_verifier", set(exchange(code), "code_verifier", strings.Repeat("a", 43)), "", 400, "invalid_grant", "code_verifier", true},
		{"plain PKCE (the challenge as verifier)", set(exchange(code), "code_verifier", challengeOf(verifier)), "", 400, "invalid_grant", "code_verifier", true},
		{"another client's code", set(exchange(code), "client_id", "web", "client_secret", secret), "", 400, "invalid_grant", "another client", true},
		{"another tenant's code", exchange(code), "beta", 400, "invalid_grant", "invalid or expired", true},
		{"unknown code", set(exchange(code), "code", "nope"), "", 400, "invalid_grant", "invalid or expired", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantRefusal(t, hs.do(call{tenant: tc.tenant, form: form(tc.form...)}), tc.status, tc.err, tc.desc)
		})
	}
	// None of them spent the code.
	if w := hs.do(call{form: form(exchange(code)...)}); w.Code != 200 {
		t.Fatalf("the code after the refusals: %d %s", w.Code, w.Body)
	}
	t.Run("expired code", func(t *testing.T) {
		c := hs.code(codeOpts{})
		hs.now = hs.now.Add(61 * time.Second)
		wantRefusal(t, hs.do(call{form: form(exchange(c)...)}), 400, "invalid_grant", "invalid or expired")
	})
	t.Run("a public client may not use client_credentials", func(t *testing.T) {
		wantRefusal(t, hs.do(call{form: form("grant_type", "client_credentials", "client_id", "mcp")}), 400, "unauthorized_client", "public client")
	})
}

// A second use of a code is refused and revokes what the first issued:
// its access token and its refresh token (RFC 6749 §4.1.2).
func TestAuthorizationCodeReuseRevokesFamily(t *testing.T) {
	hs := userGrants(t)
	code := hs.code(codeOpts{})
	first := decode(t, hs.do(call{form: form(exchange(code)...)}))
	at, rt := first["access_token"].(string), first["refresh_token"].(string)
	// A rotation before the replay: its tokens are of the family too.
	hs.now = hs.now.Add(time.Second)
	second := decode(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", rt)}))
	at2 := second["access_token"].(string)
	if !hs.active(t, at) || !hs.active(t, at2) {
		t.Fatal("tokens inactive before the replay")
	}
	wantRefusal(t, hs.do(call{form: form(exchange(code)...)}), 400, "invalid_grant", "already used")
	if hs.active(t, at) || hs.active(t, at2) {
		t.Fatal("a code replay left the first use's tokens active")
	}
	wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", second["refresh_token"].(string))}),
		400, "invalid_grant", "revoked")
	if n := hs.events(t, audit.CodeReuseDetected); n != 1 {
		t.Fatalf("%d code reuse events", n)
	}
}

func (hs *harness) events(t *testing.T, name string) int {
	t.Helper()
	page, err := hs.st.ListAuditEvents(t.Context(), tenant.MustID("acme"), store.AuditFilter{Events: []string{name}, From: t0.Add(-time.Hour), To: hs.now.Add(time.Hour)}, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	hs := userGrants(t)
	first := decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	rt0 := first["refresh_token"].(string)
	refresh := func(rt string, kv ...string) *httptest.ResponseRecorder {
		return hs.do(call{form: form(append([]string{"grant_type", "refresh_token", "client_id", "mcp", "refresh_token", rt}, kv...)...)})
	}
	hs.now = hs.now.Add(time.Minute)
	w := refresh(rt0)
	if w.Code != 200 {
		t.Fatalf("refresh: %d %s", w.Code, w.Body)
	}
	r1 := decode(t, w)
	rt1 := r1["refresh_token"].(string)
	if rt1 == rt0 || claimsOf(t, r1["access_token"].(string))["sub"] != "usr_ada" {
		t.Fatalf("not rotated: %v", r1)
	}
	if n := hs.events(t, audit.RefreshRotated); n != 1 {
		t.Fatalf("%d rotation events", n)
	}
	var rt2 string // rt1's successor
	t.Run("scope may only narrow", func(t *testing.T) {
		wantRefusal(t, refresh(rt1, "scope", "mcp:read admin"), 400, "invalid_scope", "")
		w := refresh(rt1, "scope", "mcp:read")
		m := decode(t, w)
		if w.Code != 200 || m["scope"] != "mcp:read" {
			t.Fatalf("narrowed: %d %s", w.Code, w.Body)
		}
		rt2 = m["refresh_token"].(string)
	})
	t.Run("a reuse within the grace gets the same successor", func(t *testing.T) {
		hs.now = hs.now.Add(store.RefreshGrace - time.Second)
		w := refresh(rt0)
		if w.Code != 200 {
			t.Fatalf("reuse within grace: %d %s", w.Code, w.Body)
		}
		if got := decode(t, w)["refresh_token"]; got != rt1 {
			t.Fatalf("successor %v, want the first one's", got)
		}
	})
	t.Run("another client's refresh token", func(t *testing.T) {
		wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "web", "client_secret", secret, "refresh_token", rt0)}),
			400, "invalid_grant", "another client")
	})
	t.Run("a reuse after the grace revokes the family", func(t *testing.T) {
		live := decode(t, refresh(rt2))
		at := live["access_token"].(string)
		if !hs.active(t, at) {
			t.Fatal("inactive before the reuse")
		}
		hs.now = hs.now.Add(store.RefreshGrace + time.Second)
		wantRefusal(t, refresh(rt0), 400, "invalid_grant", "already used")
		if hs.active(t, at) || hs.active(t, first["access_token"].(string)) {
			t.Fatal("a refresh reuse after the grace left the family's access tokens active")
		}
		wantRefusal(t, refresh(live["refresh_token"].(string)), 400, "invalid_grant", "revoked")
		if n := hs.events(t, audit.RefreshReuseDetected); n != 1 {
			t.Fatalf("%d reuse events", n)
		}
	})
}

// A code bound to a DPoP key (RFC 9449 §10) needs a proof of it; the tokens
// and the refresh token are bound to it (§5).
func TestAuthorizationCodeDPoP(t *testing.T) {
	hs := userGrants(t)
	p, other := newProver(t), newProver(t)
	code := hs.code(codeOpts{jkt: p.jkt()})
	wantRefusal(t, hs.do(call{form: form(exchange(code)...)}), 400, "invalid_grant", "DPoP")
	wantRefusal(t, hs.do(call{form: form(exchange(code)...), dpop: []string{other.proofAt(t, "POST", tokenURL, hs.now, "")}}), 400, "invalid_grant", "DPoP")
	w := hs.do(call{form: form(exchange(code)...), dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}})
	if w.Code != 200 {
		t.Fatalf("bound exchange: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	if m["token_type"] != "DPoP" {
		t.Fatalf("answer %v", m)
	}
	rt := m["refresh_token"].(string)
	f := form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", rt)
	wantRefusal(t, hs.do(call{form: f}), 400, "invalid_grant", "DPoP")
	wantRefusal(t, hs.do(call{form: f, dpop: []string{other.proofAt(t, "POST", tokenURL, hs.now, "")}}), 400, "invalid_grant", "DPoP")
	w = hs.do(call{form: f, dpop: []string{p.proofAt(t, "POST", tokenURL, hs.now, "")}})
	if w.Code != 200 || decode(t, w)["token_type"] != "DPoP" {
		t.Fatalf("bound refresh: %d %s", w.Code, w.Body)
	}
}

// The user's deletion kills the access tokens of the grant, its refresh
// token and the codes not yet exchanged.
func TestUserDeletionRevokesGrant(t *testing.T) {
	hs := userGrants(t)
	m := decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	pending := hs.code(codeOpts{})
	ev := store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: audit.UserAgentsRevoked, CreatedAt: hs.now, Metadata: map[string]any{}}
	if _, err := hs.st.RevokeUserAgents(t.Context(), tenant.MustID("acme"), "usr_ada", "", ev); err != nil {
		t.Fatal(err)
	}
	hs.now = hs.now.Add(time.Second)
	if hs.active(t, m["access_token"].(string)) {
		t.Fatal("the user's token survived the cascade")
	}
	wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", m["refresh_token"].(string))}), 400, "invalid_grant", "user")
	wantRefusal(t, hs.do(call{form: form(exchange(pending)...)}), 400, "invalid_grant", "user")
}

// TestUserGrantsCallBudget counts the table calls of a code exchange and of
// a refresh (after a warm-up that opens the tenant's key).
func TestUserGrantsCallBudget(t *testing.T) {
	hs := userGrants(t)
	hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}) // warm-up
	w := hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)})
	if w.Code != 200 {
		t.Fatal(w.Body)
	}
	code := hs.lastCalls
	w = hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", decode(t, w)["refresh_token"].(string))})
	if w.Code != 200 {
		t.Fatal(w.Body)
	}
	refresh := hs.lastCalls
	hs.active(t, decode(t, w)["access_token"].(string))
	introspect := hs.lastCalls
	t.Logf("authorization_code: %d table calls; refresh_token: %d; introspection of their token: %d", code, refresh, introspect)
	// code: client, code, the transaction (the user's cascade marker and
	// the consent are conditions of it). refresh: client, refresh token,
	// the transaction (the family and user markers are conditions of it).
	// introspection: the admin key, token, client, tenant, family marker,
	// user marker (a client_credentials token's stops at 4).
	if code > 3 || refresh > 3 || introspect > 6 {
		t.Errorf("authorization_code %d (budget 3), refresh_token %d (budget 3), introspection %d (budget 6)", code, refresh, introspect)
	}
}

// RFC 7009: a client revokes its refresh token, and with it its grant's
// family; another client may not; the client's revoke-all ends refreshes.
func TestRefreshRevocation(t *testing.T) {
	hs := userGrants(t)
	m := decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	at, rt := m["access_token"].(string), m["refresh_token"].(string)
	wantRefusal(t, hs.do(call{path: "/oauth/revoke", form: form("token", rt, "client_id", "web", "client_secret", secret)}), 400, "unauthorized_client", "")
	if w := hs.do(call{path: "/oauth/revoke", form: form("token", rt, "client_id", "mcp", "token_type_hint", "refresh_token")}); w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	if hs.active(t, at) {
		t.Fatal("the access token of a revoked refresh token's grant is active")
	}
	wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", rt)}), 400, "invalid_grant", "revoked")
	if w := hs.do(call{path: "/oauth/revoke", form: form("token", rt, "client_id", "mcp")}); w.Code != 200 {
		t.Fatalf("revoking again: %d %s", w.Code, w.Body)
	}

	m = decode(t, hs.do(call{form: form(exchange(hs.code(codeOpts{}))...)}))
	hs.now = hs.now.Add(time.Second)
	if _, err := hs.st.ChangeClient(t.Context(), tenant.MustID("acme"), "mcp", func(c *store.Client) error { c.RevokedBefore = hs.now; return nil },
		func(c store.Client) store.AuditEvent {
			return store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: audit.AgentTokensRevoked, CreatedAt: hs.now, Metadata: map[string]any{}}
		}); err != nil {
		t.Fatal(err)
	}
	hs.now = hs.now.Add(time.Second)
	wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", m["refresh_token"].(string))}), 400, "invalid_grant", "revoked")
}

// A refresh token stored before the user's marker version was kept on it
// (UserMark nil) still rotates, checked by reading the marker, and its
// successor keeps the version from then on; a cascade since its grant
// refuses it.
func TestLegacyRefreshTokenWithoutUserMark(t *testing.T) {
	hs := userGrants(t)
	acme := tenant.MustID("acme")
	legacy := func() string {
		val := ids.NewKey(refreshPrefix)
		rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: "mcp", Subject: "usr_ada", User: "usr_ada", Family: ids.New("fam_"),
			IssuedAt: hs.now, ExpiresAt: hs.now.Add(time.Hour), GrantType: "authorization_code"}
		rt := store.RefreshToken{Hash: ids.Hash(val), FamilyID: rec.Family, ClientID: "mcp", UserID: "usr_ada", Scope: "mcp:read",
			AuthTime: hs.now, IssuedAt: hs.now, ExpiresAt: hs.now.Add(RefreshLifetime)}
		ev := store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: "oauth.token_issued", CreatedAt: hs.now, Metadata: map[string]any{}}
		if err := hs.st.IssueToken(t.Context(), acme, store.Issuance{Token: rec, Event: ev, Steps: []store.IssueStep{store.NewRefresh(rt)}}); err != nil {
			t.Fatal(err)
		}
		return val
	}
	old, doomed := legacy(), legacy()
	hs.now = hs.now.Add(time.Second)
	w := hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", old)})
	if w.Code != 200 {
		t.Fatalf("a legacy refresh token: %d %s", w.Code, w.Body)
	}
	next := decode(t, w)["refresh_token"].(string)
	if rt, err := hs.st.RefreshByHash(t.Context(), acme, ids.Hash(next)); err != nil || rt.UserMark == nil || *rt.UserMark != 0 {
		t.Fatalf("the successor of a legacy refresh token: %+v, %v", rt, err)
	}
	ev := store.AuditEvent{ID: store.NewAuditID(hs.now, store.DefaultAuditShards), Event: audit.UserAgentsRevoked, CreatedAt: hs.now, Metadata: map[string]any{}}
	if _, err := hs.st.RevokeUserAgents(t.Context(), acme, "usr_ada", "", ev); err != nil {
		t.Fatal(err)
	}
	hs.now = hs.now.Add(time.Second)
	wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", doomed)}), 400, "invalid_grant", "user")
	wantRefusal(t, hs.do(call{form: form("grant_type", "refresh_token", "client_id", "mcp", "refresh_token", next)}), 400, "invalid_grant", "user")
}

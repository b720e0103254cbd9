package register

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// token asks for a client_credentials token with a secret.
func (hs *harness) secretToken(tenantID, id, secret, scope string) *httptestRecorder {
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	if scope != "" {
		v.Set("scope", scope)
	}
	path := "/oauth/token"
	return hs.form(tenantID, path, v, "")
}

// TestOpenRegistrationScopes (P1): an anonymous registrant gets only the
// tenant's registrable scopes (dcr_scopes; mcp:read mcp:write on a tenant
// that never set them), compared as whole tokens; the rest is dropped
// (RFC 7591 §2) and the 201 says what was granted; the token endpoint
// grants nothing more.
func TestOpenRegistrationScopes(t *testing.T) {
	hs := newHarness(t, false)
	hs.addTenant("tools", "http://localhost:8080/t/tools", store.Tenant{DCRScopes: &[]string{"tools:call", "mcp:read"}})
	hs.addTenant("none", "http://localhost:8080/t/none", store.Tenant{DCRScopes: &[]string{}})
	hs.addTenant("listed", "http://localhost:8080/t/listed", store.Tenant{Scopes: []string{"mcp:read", "mcp:write", "mcp:admin"}})
	cases := []struct {
		name, tenant, scope, granted string
	}{
		{"the attack: nothing registrable", "acme", "mcp:admin billing:write *", ""},
		{"the guide's scopes on a default tenant", "acme", "mcp:read mcp:write", "mcp:read mcp:write"},
		{"whole tokens only", "acme", "mcp:read mcp:readx mcp:read:all MCP:WRITE mcp: mcp:write2 mcp", "mcp:read"},
		{"wildcards are literal", "acme", "* mcp:* mcp:write", "mcp:write"},
		{"a tenant's own dcr_scopes", "tools", "mcp:read mcp:write tools:call", "mcp:read tools:call"},
		{"dcr_scopes empty: nothing", "none", "mcp:read", ""},
		{"offered but not registrable", "listed", "mcp:read mcp:admin", "mcp:read"},
		{"no scope asked", "acme", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"client_name":"anon","grant_types":["client_credentials"],"scope":"` + c.scope + `"}`
			w := hs.do(req{tenant: c.tenant, body: body})
			if w.Code != 201 {
				t.Fatalf("register: %d %s", w.Code, w.Body)
			}
			doc := decode(t, w)
			got, has := doc["scope"]
			if (c.granted == "" && has) || (c.granted != "" && got != c.granted) {
				t.Fatalf("scope %v, want %q", got, c.granted)
			}
			id, secret := str(doc, "client_id"), str(doc, "client_secret")
			stored, err := hs.st.GetClient(t.Context(), tenant.MustID(c.tenant), id)
			if err != nil || strings.Join(stored.Scopes, " ") != c.granted {
				t.Fatalf("stored %v %v", stored.Scopes, err)
			}
			// The token endpoint never grants a dropped scope.
			for _, s := range strings.Fields(c.scope) {
				if slices.Contains(strings.Fields(c.granted), s) {
					continue
				}
				wantError(t, hs.secretToken(c.tenant, id, secret, s), 400, "invalid_scope")
			}
			w = hs.secretToken(c.tenant, id, secret, "")
			if w.Code != 200 || str(decode(t, w), "scope") != c.granted {
				t.Fatalf("token without scope: %d %s", w.Code, w.Body)
			}
		})
	}
	t.Run("a scope the tenant does not offer is still refused", func(t *testing.T) {
		wantError(t, hs.do(req{tenant: "listed", body: `{"client_name":"a","scope":"mcp:read billing:write"}`}), 400, "invalid_client_metadata")
	})
}

// TestVouchedRegistrationScopes: dcr_scopes bound what a registrant assigns
// itself; an initial access token (issued by the tenant's admin) or a
// scope signed in a software statement vouches for the scope, bounded by
// the tenant's offered scopes only.
func TestVouchedRegistrationScopes(t *testing.T) {
	hs := newHarness(t, false)
	hs.addTenant("gated", "http://localhost:8080/t/gated", store.Tenant{DCRPolicy: PolicyInitialAccessToken})
	publisher := newKey(t, "pub-1")
	hs.addTenant("signed", "http://localhost:8080/t/signed", store.Tenant{DCRPolicy: PolicySoftwareStatement,
		SoftwarePublishers: []store.SoftwarePublisher{{Issuer: "https://publisher.example", JWKS: json.RawMessage(publisher.jwks())}}})
	secret := ids.NewSecret()
	k := store.InitialAccessToken{ID: ids.New("iat_"), Hash: ids.Hash(secret), ExpiresAt: hs.now.Add(time.Hour), CreatedAt: hs.now}
	if err := hs.st.CreateInitialAccessToken(t.Context(), tenant.MustID("gated"), k, store.AuditEvent{ID: ids.New("aud_"), CreatedAt: hs.now}); err != nil {
		t.Fatal(err)
	}
	w := hs.do(req{tenant: "gated", auth: "Bearer " + secret, body: `{"client_name":"vetted","scope":"mcp:read billing:write"}`})
	if got := decode(t, w); w.Code != 201 || str(got, "scope") != "mcp:read billing:write" {
		t.Fatalf("iat registration: %d %v", w.Code, got)
	}
	statement := func(claims map[string]any) string {
		base := map[string]any{"iss": "https://publisher.example", "software_id": "sw-1", "client_name": "Signed", "iat": hs.now.Unix(), "exp": hs.now.Add(time.Hour).Unix()}
		for k, v := range claims {
			base[k] = v
		}
		return publisher.sign(t, base)
	}
	w = hs.do(req{tenant: "signed", body: `{"client_name":"x","scope":"mcp:read","software_statement":"` + statement(map[string]any{"scope": "billing:write mcp:read"}) + `"}`})
	if got := decode(t, w); w.Code != 201 || str(got, "scope") != "billing:write mcp:read" {
		t.Fatalf("signed scope: %d %v", w.Code, got)
	}
	// A statement that signs no scope vouches for none: the request's scope
	// is self-assigned.
	w = hs.do(req{tenant: "signed", body: `{"client_name":"x","scope":"mcp:read billing:write","software_statement":"` + statement(nil) + `"}`})
	if got := decode(t, w); w.Code != 201 || str(got, "scope") != "mcp:read" {
		t.Fatalf("unsigned scope: %d %v", w.Code, got)
	}
}

// TestUpdateScopeCeiling (P1, P3): an RFC 7592 update may keep what the
// client holds, narrow it, or assign itself registrable scopes, never
// more; an admin's setting (scopes, grant types, DPoP) is the ceiling.
func TestUpdateScopeCeiling(t *testing.T) {
	hs := newHarness(t, false)
	acme := tenant.MustID("acme")
	register := func() (string, string, string) {
		doc := hs.registered(guideBasic)
		return str(doc, "client_id"), str(doc, "registration_access_token"), str(doc, "client_secret")
	}
	put := func(id, rat, scope string, extra string) map[string]any {
		t.Helper()
		w := hs.manage("PUT", id, rat, "", `{"client_id":"`+id+`","client_name":"u","grant_types":["client_credentials"],"scope":"`+scope+`"`+extra+`}`)
		if w.Code != 200 {
			t.Fatalf("put: %d %s", w.Code, w.Body)
		}
		return decode(t, w)
	}
	adminSets := func(id string, l store.ClientLimits, scopes, grants []string) {
		t.Helper()
		// What the admin API's PATCH writes (tests/e2e asserts it through HTTP).
		_, err := hs.st.ChangeClient(t.Context(), acme, id, func(c *store.Client) error {
			c.AdminLimits = &l
			if scopes != nil {
				c.Scopes = scopes
			}
			if grants != nil {
				c.GrantTypes = grants
			}
			c.DPoPBound = c.DPoPBound || l.DPoPBound
			return nil
		}, func(c store.Client) store.AuditEvent {
			return store.AuditEvent{ID: ids.New("aud_"), Event: "agent.updated", CreatedAt: hs.now}
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("self-assigned widening is dropped", func(t *testing.T) {
		id, rat, secret := register()
		if got := put(id, rat, "mcp:read mcp:write billing:write *", ""); str(got, "scope") != "mcp:read mcp:write" {
			t.Fatalf("update: %v", got)
		}
		wantError(t, hs.secretToken("", id, secret, "billing:write"), 400, "invalid_scope")
	})

	t.Run("held scopes survive a narrower dcr_scopes", func(t *testing.T) {
		id, rat, _ := register()
		rec := hs.tenants["acme"]
		narrow := rec.Record.(store.Tenant)
		narrow.DCRScopes = &[]string{}
		hs.tenants["acme"] = tenant.Tenant{ID: rec.ID, Issuer: rec.Issuer, Record: narrow}
		defer func() { hs.tenants["acme"] = rec }()
		if got := put(id, rat, "mcp:read mcp:write", ""); str(got, "scope") != "mcp:read mcp:write" {
			t.Fatalf("resending what it holds: %v", got)
		}
		if got := put(id, rat, "mcp:read", ""); str(got, "scope") != "mcp:read" {
			t.Fatalf("narrowing: %v", got)
		}
		// Narrowed itself: the dropped scope is no longer held.
		if got := put(id, rat, "mcp:read mcp:write", ""); str(got, "scope") != "mcp:read" {
			t.Fatalf("re-widening: %v", got)
		}
	})

	t.Run("admin-narrowed scopes are the ceiling", func(t *testing.T) {
		id, rat, secret := register()
		adminSets(id, store.ClientLimits{Scopes: &[]string{"mcp:read"}}, []string{"mcp:read"}, nil)
		if got := put(id, rat, "mcp:read mcp:write", ""); str(got, "scope") != "mcp:read" {
			t.Fatalf("update widened the admin's scopes: %v", got)
		}
		wantError(t, hs.secretToken("", id, secret, "mcp:write"), 400, "invalid_scope")
		// Narrowing below the ceiling, then back up to it.
		if got := put(id, rat, "", ""); got["scope"] != nil {
			t.Fatalf("narrowing: %v", got)
		}
		if got := put(id, rat, "mcp:read", ""); str(got, "scope") != "mcp:read" {
			t.Fatalf("back to the ceiling: %v", got)
		}
	})

	t.Run("an admin may grant more than dcr_scopes", func(t *testing.T) {
		id, rat, _ := register()
		adminSets(id, store.ClientLimits{Scopes: &[]string{"mcp:read", "billing:read"}}, []string{"mcp:read", "billing:read"}, nil)
		if got := put(id, rat, "billing:read mcp:write", ""); str(got, "scope") != "billing:read" {
			t.Fatalf("update: %v", got)
		}
	})

	t.Run("admin-narrowed grant types are the ceiling", func(t *testing.T) {
		doc := hs.registered(`{"client_name":"g","grant_types":["client_credentials","urn:ietf:params:oauth:grant-type:token-exchange"],"scope":"mcp:read"}`)
		id, rat := str(doc, "client_id"), str(doc, "registration_access_token")
		adminSets(id, store.ClientLimits{GrantTypes: &[]string{"client_credentials"}}, nil, []string{"client_credentials"})
		w := hs.manage("PUT", id, rat, "", `{"client_id":"`+id+`","client_name":"g","grant_types":["client_credentials","urn:ietf:params:oauth:grant-type:token-exchange"]}`)
		wantError(t, w, 400, "invalid_client_metadata")
		c, _ := hs.st.GetClient(t.Context(), acme, id)
		if !slices.Equal(c.GrantTypes, []string{"client_credentials"}) {
			t.Fatalf("grant types: %v", c.GrantTypes)
		}
		if got := put(id, rat, "mcp:read", ""); !slices.Equal(got["grant_types"].([]any), []any{"client_credentials"}) {
			t.Fatalf("update within: %v", got)
		}
	})

	t.Run("admin-required DPoP stays", func(t *testing.T) {
		id, rat, _ := register()
		adminSets(id, store.ClientLimits{DPoPBound: true}, nil, nil)
		if got := put(id, rat, "mcp:read", `,"dpop_bound_access_tokens":false`); got["dpop_bound_access_tokens"] != true {
			t.Fatalf("update: %v", got)
		}
		c, _ := hs.st.GetClient(t.Context(), acme, id)
		if !c.DPoPBound {
			t.Fatal("the update cleared the admin's DPoP requirement")
		}
	})
}

package token

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// TestDefaultAudienceWithinAllowLists (issue 20 P2): the audience the server
// chooses when the request names none passes the client's and the tenant's
// allow-lists like a requested one. A default outside them is refused with
// invalid_target, unless the lists leave exactly one audience, which is then
// chosen (client_credentials only: an exchange never swaps the subject's
// audience for another).
func TestDefaultAudienceWithinAllowLists(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	const (
		def   = "https://api.delta.example"
		rs    = "https://rs.delta.example"
		rs2   = "https://rs2.delta.example"
		other = "https://other.delta.example"
	)
	scopes := []string{"mcp:read"}
	hs.addTenant("delta", "http://localhost:8080/t/delta", store.Tenant{DefaultAudience: def})
	hs.client("delta", store.Client{ClientID: "d-two", Scopes: scopes, Active: true, Audiences: []string{rs, rs2}})
	hs.client("delta", store.Client{ClientID: "d-one", Scopes: scopes, Active: true, Audiences: []string{rs}})
	hs.client("delta", store.Client{ClientID: "d-incl", Scopes: scopes, Active: true, Audiences: []string{rs, def}})
	hs.client("delta", store.Client{ClientID: "d-any", Scopes: scopes, Active: true})
	// A tenant whose allow-list leaves out its own default (and the client_id fallback).
	hs.addTenant("echo", "http://localhost:8080/t/echo", store.Tenant{DefaultAudience: def, Audiences: []string{rs, rs2}})
	hs.client("echo", store.Client{ClientID: "e-any", Scopes: scopes, Active: true})
	hs.client("echo", store.Client{ClientID: "e-one", Scopes: scopes, Active: true, Audiences: []string{rs2}})
	hs.addTenant("fox", "http://localhost:8080/t/fox", store.Tenant{Audiences: []string{rs}})
	hs.client("fox", store.Client{ClientID: "f-any", Scopes: scopes, Active: true})
	hs.client("acme", store.Client{ClientID: "a-one", Scopes: scopes, Active: true, Audiences: []string{rs}})

	cases := []struct {
		name, tenant, client string
		extra                []string
		status               int
		code                 string
		aud                  string
	}{
		{name: "default inside the client's list", tenant: "delta", client: "d-incl", status: 200, aud: def},
		{name: "unrestricted client gets the default", tenant: "delta", client: "d-any", status: 200, aud: def},
		{name: "the one audience the client may have replaces the default", tenant: "delta", client: "d-one", status: 200, aud: rs},
		{name: "the one audience replaces the client_id fallback", tenant: "acme", client: "a-one", status: 200, aud: rs},
		{name: "requested audience inside the list", tenant: "delta", client: "d-two", extra: []string{"audience", rs2}, status: 200, aud: rs2},
		{name: "the tenant's only audience replaces the client_id fallback", tenant: "fox", client: "f-any", status: 200, aud: rs},
		{name: "the one audience both lists allow", tenant: "echo", client: "e-one", status: 200, aud: rs2},
		// Error paths.
		{name: "default outside a client list of two", tenant: "delta", client: "d-two", status: 400, code: "invalid_target"},
		{name: "naming the default outside the list", tenant: "delta", client: "d-two", extra: []string{"audience", def}, status: 400, code: "invalid_target"},
		{name: "default outside the tenant's own list", tenant: "echo", client: "e-any", status: 400, code: "invalid_target"},
		{name: "resource outside the list", tenant: "delta", client: "d-one", extra: []string{"resource", other}, status: 400, code: "invalid_target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(call{tenant: tc.tenant, form: form(append([]string{"grant_type", "client_credentials", "client_id", tc.client, "client_secret", secret}, tc.extra...)...)})
			b := decode(t, w)
			if w.Code != tc.status || (tc.code != "" && b["error"] != tc.code) {
				t.Fatalf("%d %v; want %d %s", w.Code, b, tc.status, tc.code)
			}
			if tc.code != "" {
				if b["access_token"] != nil {
					t.Fatalf("refused with a token: %v", b)
				}
				return
			}
			if c := claimsOf(t, b["access_token"].(string)); !eqAud(c["aud"], tc.aud) {
				t.Fatalf("aud %v, want %s", c["aud"], tc.aud)
			}
		})
	}
}

// TestExchangeDefaultAudienceWithinAllowLists (issue 20 P2): an exchange
// that names no audience keeps the subject token's, which must be within
// the acting client's and the tenant's allow-lists; the exchange never
// substitutes another audience for it.
func TestExchangeDefaultAudienceWithinAllowLists(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	const (
		def = "https://api.delta.example"
		rs  = "https://rs.delta.example"
		rs2 = "https://rs2.delta.example"
	)
	scopes := []string{"mcp:read"}
	hs.addTenant("delta", "http://localhost:8080/t/delta", store.Tenant{DefaultAudience: def})
	hs.client("delta", store.Client{ClientID: "subj", Scopes: scopes, Active: true})
	hs.client("delta", store.Client{ClientID: "actor-one", Scopes: scopes, Active: true, Audiences: []string{rs}})
	hs.client("delta", store.Client{ClientID: "actor-any", Scopes: scopes, Active: true})
	hs.client("delta", store.Client{ClientID: "later", Scopes: scopes, Active: true})
	delta := tenant.MustID("delta")
	for _, from := range []string{"actor-one", "actor-any"} {
		g := store.MayActGrant{ID: "mag_" + from, FromID: from, ToID: "subj", MaxHops: 1, CreatedAt: hs.now}
		if err := hs.st.CreateGrant(t.Context(), delta, g, ev(hs, "may_act.granted")); err != nil {
			t.Fatal(err)
		}
	}
	subject := f.issueFor(t, "delta", "subj")                    // aud = the tenant default
	laterTok := f.issueFor(t, "delta", "later")                  // issued before the narrowing below
	narrowed := f.issueFor(t, "delta", "later", "audience", rs2) // narrowed: the ceiling is rs2
	c, err := hs.st.GetClient(t.Context(), delta, "later")
	if err != nil {
		t.Fatal(err)
	}
	c.Audiences = []string{rs}
	if _, err := hs.st.UpdateClient(t.Context(), delta, c, ev(hs, "agent.updated")); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		form   []string
		client string
		subj   string
		status int
		code   string
		aud    string
	}{
		{name: "unrestricted actor keeps the subject's audience", client: "actor-any", subj: subject, status: 200, aud: def},
		{name: "restricted actor naming its audience", client: "actor-one", subj: subject, form: []string{"audience", rs}, status: 200, aud: rs},
		{name: "self-exchange naming the now allowed audience", client: "later", subj: laterTok, form: []string{"audience", rs}, status: 200, aud: rs},
		// Error paths.
		{name: "restricted actor, subject's audience outside its list", client: "actor-one", subj: subject, status: 400, code: "invalid_target"},
		{name: "self-exchange after the client was narrowed", client: "later", subj: laterTok, status: 400, code: "invalid_target"},
		{name: "self-exchange of a narrowed subject outside the new list", client: "later", subj: narrowed, status: 400, code: "invalid_target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(call{tenant: "delta", form: exchangeForm(tc.client, tc.subj, tc.form...)})
			b := decode(t, w)
			if w.Code != tc.status || (tc.code != "" && b["error"] != tc.code) {
				t.Fatalf("%d %v; want %d %s", w.Code, b, tc.status, tc.code)
			}
			if tc.code == "" && !eqAud(claimsOf(t, b["access_token"].(string))["aud"], tc.aud) {
				t.Fatalf("aud %v, want %s", claimsOf(t, b["access_token"].(string))["aud"], tc.aud)
			}
		})
	}
}

// TestTargetsNotUTF8AndEcho (issue 20 P10): an audience, resource or scope
// that is not UTF-8 is refused, never issued as U+FFFD; an error that names
// a client's value echoes only RFC 6749 §5.2 characters.
func TestTargetsNotUTF8AndEcho(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	cases := []struct {
		name, param, value, code string
	}{
		{name: "audience", param: "audience", value: "https://a.example/\xff", code: "invalid_request"},
		{name: "resource", param: "resource", value: "https://r.example/\xc3", code: "invalid_request"},
		{name: "scope", param: "scope", value: "mcp:read\xfe", code: "invalid_request"},
		{name: "echoed audience", param: "audience", value: "https://é\"\\\u2028.example", code: "invalid_target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(call{form: form("grant_type", "client_credentials", "client_id", "narrow", "client_secret", secret, tc.param, tc.value)})
			b := decode(t, w)
			if w.Code != 400 || b["error"] != tc.code || b["access_token"] != nil {
				t.Fatalf("%d %v; want 400 %s", w.Code, b, tc.code)
			}
			d, _ := b["error_description"].(string)
			for i := 0; i < len(d); i++ {
				if c := d[i]; c < 0x20 || c == '"' || c == '\\' || c > 0x7e {
					t.Fatalf("description %q echoes %q", d, c)
				}
			}
		})
	}
}

// TestIntrospectionAudienceShape (issue 20 parity, RFC 7519 §4.1.3):
// introspection answers aud as a string for one audience and as an array
// for several, like the JWT itself.
func TestIntrospectionAudienceShape(t *testing.T) {
	f := newFixtures(t)
	hs := f.hs
	one := f.issueFor(t, "acme", "shark_agent_1", "audience", "https://mcp.example.com")
	two := f.issueFor(t, "acme", "shark_agent_1", "audience", "urn:a", "resource", "https://r.example/api")
	cases := []struct {
		name, token string
		want        any
	}{
		{name: "one audience", token: one, want: "https://mcp.example.com"},
		{name: "two audiences", token: two, want: []any{"urn:a", "https://r.example/api"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := hs.do(call{path: "/oauth/introspect", form: form("token", tc.token), headers: map[string]string{"Authorization": "Bearer " + hs.admin["acme"]}})
			b := decode(t, w)
			if w.Code != 200 || b["active"] != true || fmt.Sprint(b["aud"]) != fmt.Sprint(tc.want) || reflect.TypeOf(b["aud"]) != reflect.TypeOf(tc.want) {
				t.Fatalf("%d aud %#v, want %#v", w.Code, b["aud"], tc.want)
			}
			if c := claimsOf(t, tc.token); reflect.TypeOf(c["aud"]) != reflect.TypeOf(tc.want) {
				t.Fatalf("JWT aud %#v, want the form of %#v", c["aud"], tc.want)
			}
		})
	}
}

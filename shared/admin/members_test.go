package admin_test

import (
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/tenant"
)

// writeRoutes are every admin and platform route that takes a body, each with
// a body it accepts (members the SDK 0.1.1, the CLI and the dashboard send).
func writeRoutes(t *testing.T, h *harness) []struct {
	name, method, path, key string
	body                    map[string]any
} {
	t.Helper()
	a := h.agent(h.key, "", nil)
	b := h.agent(h.key, "", nil)
	u := h.user(h.key, "", "members@example.com")
	app := h.do("POST", "/api/v1/admin/apps", h.key, map[string]any{"name": "x"})
	app.want(201, "", "")
	key := h.do("POST", "/api/v1/api-keys", h.key, map[string]any{"name": "x"})
	key.want(201, "", "")
	aid, uid := a["id"].(string), u["id"].(string)
	jwk := map[string]any{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
	return []struct {
		name, method, path, key string
		body                    map[string]any
	}{
		{"create agent (SDK register_agent)", "POST", "/api/v1/agents", h.key,
			map[string]any{"name": "n", "scopes": []string{"mcp:read"}, "metadata": map[string]any{"app_id": "app_1", "anything": map[string]any{"nested": 1}}, "description": "d"}},
		{"update agent", "PATCH", "/api/v1/agents/" + aid, h.key, map[string]any{"name": "n2", "metadata": map[string]any{"app_id": "app_2"}}},
		{"rotate dpop key (SDK)", "POST", "/api/v1/agents/" + aid + "/rotate-dpop-key", h.key, map[string]any{"new_public_jwk": jwk, "reason": "r"}},
		{"agent policies", "POST", "/api/v1/agents/" + aid + "/policies", h.key, map[string]any{"policies": []any{map[string]any{"agent_id": b["id"], "scope": "mcp:read"}}}},
		{"rotate agent secret (CLI sends {})", "POST", "/api/v1/agents/" + aid + "/rotate-secret", h.key, map[string]any{}},
		{"revoke all tokens (CLI sends {})", "POST", "/api/v1/agents/" + aid + "/tokens/revoke-all", h.key, map[string]any{}},
		{"create user (SDK)", "POST", "/api/v1/admin/users", h.key, map[string]any{"email": "m2@example.com", "email_verified": false, "name": "M", "password": "pw"}},
		{"create user, short path", "POST", "/api/v1/users", h.key, map[string]any{"email": "m3@example.com"}},
		{"update user", "PATCH", "/api/v1/users/" + uid, h.key, map[string]any{"name": "N", "email_verified": true}},
		{"revoke user agents (SDK)", "POST", "/api/v1/users/" + uid + "/revoke-agents", h.key, map[string]any{"agent_ids": []string{}, "reason": "r"}},
		{"create app (SDK)", "POST", "/api/v1/admin/apps", h.key, map[string]any{"name": "A", "integration_mode": "custom", "redirect_uris": []string{"https://app.example/cb"}}},
		{"update app", "PATCH", "/api/v1/admin/apps/" + app.str("id"), h.key, map[string]any{"name": "B"}},
		{"rotate app secret", "POST", "/api/v1/admin/apps/" + app.str("id") + "/rotate-secret", h.key, map[string]any{}},
		{"create api key (SDK)", "POST", "/api/v1/api-keys", h.key, map[string]any{"name": "k", "scopes": []string{"*"}}},
		{"rotate api key", "POST", "/api/v1/api-keys/" + key.str("id") + "/rotate", h.key, map[string]any{}},
		{"create may-act grant (SDK)", "POST", "/api/v1/admin/may-act", h.key, map[string]any{"from_id": aid, "to_id": b["id"], "max_hops": 1, "scopes": []string{}}},
		{"rotate signing key", "POST", "/api/v1/admin/signing-keys/rotate", h.key, map[string]any{"mode": "scheduled"}},
		{"revoke by pattern (SDK)", "POST", "/api/v1/admin/oauth/revoke-by-pattern", h.key, map[string]any{"client_id_pattern": "shark_agent_none_*", "reason": "r"}},
		{"create tenant (CLI)", "POST", "/platform/v1/tenants", h.platform, map[string]any{"id": "members-t", "name": "T", "dcr_policy": "open", "hosts": []string{}}},
		{"update tenant", "PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"name": "Bravo"}},
		{"disable tenant", "POST", "/platform/v1/tenants/members-t/disable", h.platform, map[string]any{}},
	}
}

// TestWritesRefuseUnknownMembers sends every write route a body it accepts
// plus one member it does not know, at the top level or inside an object it
// types: the answer is 400 in the WIRE §3 shape naming the member, and nothing
// is written (no change, no audit event). The same body without the member is
// then accepted, so the refusal is about the member alone.
func TestWritesRefuseUnknownMembers(t *testing.T) {
	h := newHarness(t)
	for _, r := range writeRoutes(t, h) {
		t.Run(r.name, func(t *testing.T) {
			h.t = t
			for _, extra := range []struct{ at, member string }{{"", "bogus_member"}, {"", "Name"}} {
				body := map[string]any{}
				for k, v := range r.body {
					body[k] = v
				}
				body[extra.member] = "x"
				tn := root
				if strings.HasPrefix(r.path, "/platform/") {
					tn = bravo
				}
				before := len(h.events(tn)) + len(h.events(root))
				res := h.do(r.method, r.path, r.key, body)
				if res.status != 400 {
					t.Fatalf("member %q: status %d, want 400: %s", extra.member, res.status, res.raw)
				}
				if code := res.str("error"); code != "invalid_request" && code != "invalid_parameter" {
					t.Fatalf("member %q: error %q: %s", extra.member, code, res.raw)
				}
				if !strings.Contains(res.str("message"), extra.member) {
					t.Fatalf("message %q does not name %q", res.str("message"), extra.member)
				}
				if after := len(h.events(tn)) + len(h.events(root)); after != before {
					t.Fatalf("a refused write left %d audit events", after-before)
				}
			}
			res := h.do(r.method, r.path, r.key, r.body)
			if res.status >= 300 {
				t.Fatalf("the body without the unknown member: %d %s", res.status, res.raw)
			}
		})
	}
}

// TestUnknownMembersInsideTypedObjects refuses an unknown member nested in an
// object the API types (a software publisher, a policy), naming its path,
// while free-form objects (metadata) keep any member.
func TestUnknownMembersInsideTypedObjects(t *testing.T) {
	h := newHarness(t)
	a := h.agent(h.key, "", nil)
	pub := map[string]any{"iss": "https://pub.example", "jwks": map[string]any{"keys": []any{}}, "extra": 1}
	res := h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"software_publishers": []any{pub}})
	res.want(400, "invalid_parameter", "software_publishers.0.extra")
	b := h.agent(h.key, "", nil)
	res = h.do("POST", "/api/v1/agents/"+a["id"].(string)+"/policies", h.key,
		map[string]any{"policies": []any{map[string]any{"agent_id": b["id"], "color": "red"}}})
	res.want(400, "invalid_request", "policies.0.color")
	res = h.do("PATCH", "/api/v1/agents/"+a["id"].(string), h.key, map[string]any{"metadata": map[string]any{"free": map[string]any{"form": true}}})
	res.want(200, "", "")
}

// TestTenantAudiencesAndDPoPNonce is P14: a tenant's audience allow-list and
// its DPoP nonce requirement are set on create and PATCH, shown on GET and
// audited, and bad values are refused without a change.
func TestTenantAudiencesAndDPoPNonce(t *testing.T) {
	h := newHarness(t)
	res := h.do("POST", "/platform/v1/tenants", h.platform, map[string]any{
		"id": "p14", "audiences": []string{"https://api.p14.example", "https://mcp.p14.example/v1"}, "dpop_nonce": true,
	})
	res.want(201, "", "")
	got := res.obj()["tenant"].(map[string]any)
	if got["dpop_nonce"] != true || !sameStrings(got["audiences"], "https://api.p14.example", "https://mcp.p14.example/v1") {
		t.Fatalf("created tenant: %s", res.raw)
	}
	rec, err := h.env.Store.GetTenant(t.Context(), tenant.MustID("p14"))
	if err != nil || !rec.DPoPNonce || len(rec.Audiences) != 2 {
		t.Fatalf("stored tenant: %+v %v", rec, err)
	}

	// A fresh tenant shows the defaults.
	res = h.do("GET", "/platform/v1/tenants/bravo", h.platform, nil)
	res.want(200, "", "")
	if res.obj()["dpop_nonce"] != false || !sameStrings(res.obj()["audiences"]) {
		t.Fatalf("defaults: %s", res.raw)
	}

	res = h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"dpop_nonce": true, "audiences": []string{"https://api.bravo.example"}})
	res.want(200, "", "")
	if res.obj()["dpop_nonce"] != true || !sameStrings(res.obj()["audiences"], "https://api.bravo.example") {
		t.Fatalf("patched: %s", res.raw)
	}
	ev := h.lastEvent(bravo, "tenant.updated")
	if ev.Metadata["dpop_nonce"] != true || ev.Metadata["audiences"] == nil {
		t.Fatalf("tenant.updated metadata: %v", ev.Metadata)
	}
	res = h.do("GET", "/platform/v1/tenants/bravo", h.platform, nil)
	if res.obj()["dpop_nonce"] != true || !sameStrings(res.obj()["audiences"], "https://api.bravo.example") {
		t.Fatalf("GET after PATCH: %s", res.raw)
	}
	rec, _ = h.env.Store.GetTenant(t.Context(), bravo)
	if !rec.DPoPNonce || !sameStrings(toAny(rec.Audiences), "https://api.bravo.example") {
		t.Fatalf("stored after PATCH: %+v", rec)
	}

	// An empty list clears the allow-list; false turns nonces off.
	res = h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"dpop_nonce": false, "audiences": []string{}})
	res.want(200, "", "")
	if res.obj()["dpop_nonce"] != false || !sameStrings(res.obj()["audiences"]) {
		t.Fatalf("cleared: %s", res.raw)
	}

	// The default audience must be one the allow-list allows.
	res = h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"default_audience": "https://api.bravo.example", "audiences": []string{"https://api.bravo.example"}})
	res.want(200, "", "")

	long := "https://a.example/" + strings.Repeat("x", 2048)
	many := make([]string, 51)
	for i := range many {
		many[i] = "https://a" + string(rune('a'+i%26)) + ".example/" + strings.Repeat("y", i)
	}
	for _, c := range []struct {
		name    string
		body    map[string]any
		mention string
	}{
		{"relative", map[string]any{"audiences": []string{"api"}}, "audiences[0]"},
		{"fragment", map[string]any{"audiences": []string{"https://api.example#x"}}, "audiences[0]"},
		{"not http", map[string]any{"audiences": []string{"https://ok.example", "urn:x:y"}}, "audiences[1]"},
		{"user info", map[string]any{"audiences": []string{"https://u:p@api.example"}}, "audiences[0]"},
		{"space", map[string]any{"audiences": []string{"https://api.example/a b"}}, "audiences[0]"},
		{"too long", map[string]any{"audiences": []string{long}}, "audiences[0]"},
		{"empty", map[string]any{"audiences": []string{""}}, "audiences[0]"},
		{"twice", map[string]any{"audiences": []string{"https://api.bravo.example", "https://api.bravo.example"}}, "twice"},
		{"too many", map[string]any{"audiences": many}, "audiences"},
		{"null member", map[string]any{"audiences": []any{nil}}, "audiences"},
		{"not a list", map[string]any{"audiences": "https://api.example"}, "audiences"},
		{"nonce not a bool", map[string]any{"dpop_nonce": "yes"}, "dpop_nonce"},
		{"default outside the allow-list", map[string]any{"audiences": []string{"https://other.example"}}, "default_audience"},
		{"new default outside the allow-list", map[string]any{"default_audience": "https://other.example"}, "default_audience"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			before := len(h.events(bravo))
			res := h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, c.body)
			res.want(400, "invalid_parameter", c.mention)
			rec, _ := h.env.Store.GetTenant(t.Context(), bravo)
			if rec.DefaultAudience != "https://api.bravo.example" || !sameStrings(toAny(rec.Audiences), "https://api.bravo.example") || rec.DPoPNonce {
				t.Fatalf("a refused PATCH changed the tenant: %+v", rec)
			}
			if after := len(h.events(bravo)); after != before {
				t.Fatal("a refused PATCH wrote an audit event")
			}
			create := map[string]any{"id": "p14-bad"}
			for k, v := range c.body {
				create[k] = v
			}
			if c.name == "default outside the allow-list" {
				create["default_audience"] = "https://elsewhere.example"
			}
			if c.name == "new default outside the allow-list" {
				create["audiences"] = []string{"https://api.example"}
			}
			res = h.do("POST", "/platform/v1/tenants", h.platform, create)
			res.want(400, "invalid_parameter", c.mention)
		})
	}
	h.t = t
	if _, err := h.env.Store.GetTenant(t.Context(), tenant.MustID("p14-bad")); err == nil {
		t.Fatal("a refused create stored a tenant")
	}
}

func sameStrings(v any, want ...string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i, x := range list {
		if x != want[i] {
			return false
		}
	}
	return true
}

func toAny(s []string) any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// TestMetadataRegistersTheDPoPKey: an agent created with
// metadata.dpop_public_jwk (as SharkAuth's SDK users register one) has that
// key registered; a PATCH may repeat it but not swap it (that is a rotation,
// which revokes), and a private or broken key is refused.
func TestMetadataRegistersTheDPoPKey(t *testing.T) {
	h := newHarness(t)
	jwk := map[string]any{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
	a := h.agent(h.key, "", map[string]any{"metadata": map[string]any{"dpop_public_jwk": jwk, "app_id": "app_1"}})
	jkt, _ := a["dpop_jkt"].(string)
	if jkt == "" {
		t.Fatalf("no registered key: %v", a)
	}
	path := "/api/v1/agents/" + a["id"].(string)
	h.do("PATCH", path, h.key, map[string]any{"metadata": map[string]any{"dpop_public_jwk": jwk, "app_id": "app_2"}}).want(200, "", "")
	other := map[string]any{"kty": "EC", "crv": "P-256", "x": "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0", "y": "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}
	h.do("PATCH", path, h.key, map[string]any{"metadata": map[string]any{"dpop_public_jwk": other}}).want(400, "invalid_request", "rotate-dpop-key")
	priv := map[string]any{"d": "AAAA"}
	for k, v := range jwk {
		priv[k] = v
	}
	h.do("PATCH", path, h.key, map[string]any{"metadata": map[string]any{"dpop_public_jwk": priv}}).want(400, "invalid_jwk", "metadata.dpop_public_jwk")
	h.do("POST", "/api/v1/agents", h.key, map[string]any{"name": "x", "metadata": map[string]any{"dpop_public_jwk": "nope"}}).want(400, "invalid_jwk", "metadata.dpop_public_jwk")
	got := h.do("GET", path, h.key, nil)
	if got.obj()["dpop_jkt"] != jkt || got.obj()["metadata"].(map[string]any)["app_id"] != "app_2" {
		t.Fatalf("after refused PATCHes: %s", got.raw)
	}
}

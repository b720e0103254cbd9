package admin_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/tenant"
)

// TestTenantCIMDPolicy: a tenant's Client ID Metadata Document policy (on
// by default, allow and deny host lists) is set on create and PATCH, shown
// on GET, stored and audited; bad values are refused without a change.
func TestTenantCIMDPolicy(t *testing.T) {
	h := newHarness(t)

	// Defaults: on, no lists.
	res := h.do("GET", "/platform/v1/tenants/bravo", h.platform, nil)
	res.want(200, "", "")
	if res.obj()["cimd"] != true || !sameStrings(res.obj()["cimd_hosts"]) || !sameStrings(res.obj()["cimd_deny_hosts"]) {
		t.Fatalf("defaults: %s", res.raw)
	}
	if rec, _ := h.env.Store.GetTenant(t.Context(), bravo); !rec.CIMDEnabled() {
		t.Fatalf("stored default: %+v", rec)
	}

	res = h.do("POST", "/platform/v1/tenants", h.platform, map[string]any{
		"id": "cimd-off", "cimd": false, "cimd_hosts": []string{"*.claude.ai", "vscode.dev"}, "cimd_deny_hosts": []string{"evil.example.com"},
	})
	res.want(201, "", "")
	got := res.obj()["tenant"].(map[string]any)
	if got["cimd"] != false || !sameStrings(got["cimd_hosts"], "*.claude.ai", "vscode.dev") || !sameStrings(got["cimd_deny_hosts"], "evil.example.com") {
		t.Fatalf("created: %s", res.raw)
	}
	rec, err := h.env.Store.GetTenant(t.Context(), tenant.MustID("cimd-off"))
	if err != nil || rec.CIMDEnabled() || !slices.Equal(rec.CIMDHosts, []string{"*.claude.ai", "vscode.dev"}) || !slices.Equal(rec.CIMDDenyHosts, []string{"evil.example.com"}) {
		t.Fatalf("stored: %+v %v", rec, err)
	}

	res = h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"cimd": false, "cimd_hosts": []string{"app.example.com"}, "cimd_deny_hosts": []string{"*.bad.example"}})
	res.want(200, "", "")
	if res.obj()["cimd"] != false || !sameStrings(res.obj()["cimd_hosts"], "app.example.com") || !sameStrings(res.obj()["cimd_deny_hosts"], "*.bad.example") {
		t.Fatalf("patched: %s", res.raw)
	}
	ev := h.lastEvent(bravo, "tenant.updated")
	if ev.Metadata["cimd"] != false || ev.Metadata["cimd_hosts"] == nil || ev.Metadata["cimd_deny_hosts"] == nil {
		t.Fatalf("tenant.updated metadata: %v", ev.Metadata)
	}
	res = h.do("GET", "/platform/v1/tenants/bravo", h.platform, nil)
	if res.obj()["cimd"] != false || !sameStrings(res.obj()["cimd_hosts"], "app.example.com") {
		t.Fatalf("GET after PATCH: %s", res.raw)
	}

	// true turns it back on; [] clears a list.
	res = h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, map[string]any{"cimd": true, "cimd_hosts": []string{}})
	res.want(200, "", "")
	if res.obj()["cimd"] != true || !sameStrings(res.obj()["cimd_hosts"]) || !sameStrings(res.obj()["cimd_deny_hosts"], "*.bad.example") {
		t.Fatalf("re-enabled: %s", res.raw)
	}
	rec, _ = h.env.Store.GetTenant(t.Context(), bravo)
	if !rec.CIMDEnabled() || len(rec.CIMDHosts) != 0 {
		t.Fatalf("stored after re-enable: %+v", rec)
	}

	many := make([]string, 101)
	for i := range many {
		many[i] = "h" + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + ".example.com"
	}
	for _, c := range []struct {
		name    string
		body    map[string]any
		mention string
	}{
		{"not a bool", map[string]any{"cimd": "yes"}, "cimd"},
		{"scheme", map[string]any{"cimd_hosts": []string{"https://app.example.com"}}, "cimd_hosts[0]"},
		{"port", map[string]any{"cimd_hosts": []string{"app.example.com:443"}}, "cimd_hosts[0]"},
		{"upper case", map[string]any{"cimd_deny_hosts": []string{"App.example.com"}}, "cimd_deny_hosts[0]"},
		{"bare wildcard", map[string]any{"cimd_hosts": []string{"*"}}, "cimd_hosts[0]"},
		{"inner wildcard", map[string]any{"cimd_hosts": []string{"a.*.example.com"}}, "cimd_hosts[0]"},
		{"empty", map[string]any{"cimd_deny_hosts": []string{"ok.example.com", ""}}, "cimd_deny_hosts[1]"},
		{"twice", map[string]any{"cimd_hosts": []string{"a.example.com", "a.example.com"}}, "twice"},
		{"too many", map[string]any{"cimd_hosts": many}, "cimd_hosts"},
		{"not a list", map[string]any{"cimd_hosts": "a.example.com"}, "cimd_hosts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			before := len(h.events(bravo))
			res := h.do("PATCH", "/platform/v1/tenants/bravo", h.platform, c.body)
			res.want(400, "invalid_parameter", c.mention)
			rec, _ := h.env.Store.GetTenant(t.Context(), bravo)
			if !rec.CIMDEnabled() || len(rec.CIMDHosts) != 0 || !slices.Equal(rec.CIMDDenyHosts, []string{"*.bad.example"}) {
				t.Fatalf("a refused PATCH changed the tenant: %+v", rec)
			}
			if after := len(h.events(bravo)); after != before {
				t.Fatal("a refused PATCH wrote an audit event")
			}
			create := map[string]any{"id": "cimd-bad"}
			for k, v := range c.body {
				create[k] = v
			}
			res = h.do("POST", "/platform/v1/tenants", h.platform, create)
			res.want(400, "invalid_parameter", c.mention)
		})
	}
	h.t = t
	if _, err := h.env.Store.GetTenant(t.Context(), tenant.MustID("cimd-bad")); err == nil {
		t.Fatal("a refused create stored a tenant")
	}
}

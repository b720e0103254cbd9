package admin_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

var (
	agentIDPattern  = regexp.MustCompile(`^agent_[0-9A-Za-z_-]{21}$`)
	clientIDPattern = regexp.MustCompile(`^shark_agent_[0-9A-Za-z_-]{21}$`)
	secretPattern   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func TestCreateAgent(t *testing.T) {
	h := newHarness(t)
	u := h.user(h.key, "", "owner@example.com")
	r := h.do("POST", "/api/v1/agents", h.key, map[string]any{
		"name": "agent-alice", "scopes": []string{"mcp:read", "mcp:write"}, "metadata": map[string]any{"app_id": "app_abc123"},
		"description": "Agent for customer 42", "created_by": u["id"], "token_lifetime": 600, "dpop_bound_access_tokens": true,
		"audiences": []string{"https://mcp.example.com"},
	})
	r.want(201, "", "")
	a := r.obj()
	switch {
	case !agentIDPattern.MatchString(a["id"].(string)), !clientIDPattern.MatchString(a["client_id"].(string)):
		t.Fatalf("ids: %v %v", a["id"], a["client_id"])
	case !secretPattern.MatchString(r.str("client_secret")):
		t.Fatalf("secret %q is not 64 lowercase hex", r.str("client_secret"))
	case a["client_type"] != "confidential", a["auth_method"] != "client_secret_basic", a["active"] != true, a["dpop_jkt"] != nil:
		t.Fatalf("agent: %s", r.raw)
	case fmt.Sprint(a["grant_types"]) != "[client_credentials urn:ietf:params:oauth:grant-type:token-exchange]":
		t.Fatalf("default grant types: %v", a["grant_types"])
	case a["created_by"] != u["id"], a["token_lifetime"] != 600.0, a["description"] != "Agent for customer 42":
		t.Fatalf("agent: %s", r.raw)
	case a["metadata"].(map[string]any)["app_id"] != "app_abc123", fmt.Sprint(a["scopes"]) != "[mcp:read mcp:write]":
		t.Fatalf("agent: %s", r.raw)
	case !strings.HasSuffix(a["created_at"].(string), "Z"):
		t.Fatalf("created_at %v is not UTC RFC 3339", a["created_at"])
	}
	stored, err := h.env.Store.GetClient(t.Context(), root, a["client_id"].(string))
	if err != nil || !ids.Matches(r.str("client_secret"), stored.SecretHash) || strings.Contains(string(mustJSON(stored)), r.str("client_secret")) {
		t.Fatalf("stored secret: %v", err)
	}
	ev := h.lastEvent(root, "agent.created")
	// The actor is the application (metadata.app_id), as the customer-agents guide shows.
	if ev.ActorType != "app" || ev.ActorID != "app_abc123" || !strings.HasPrefix(fmt.Sprint(ev.Metadata["admin_key_id"]), "key_") || ev.TargetID != a["client_id"] || strings.Contains(string(mustJSON(ev)), r.str("client_secret")) {
		t.Fatalf("event: %+v", ev)
	}
	// user_id is an alias of created_by; the SDK shape works.
	alias := h.agent(h.key, "", map[string]any{"user_id": u["id"]})
	if alias["created_by"] != u["id"] {
		t.Fatalf("user_id alias: %v", alias)
	}
	jwt := h.agent(h.key, "", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": map[string]any{"keys": []any{ecJWK(t)}}})
	if jwt["auth_method"] != "private_key_jwt" || jwt["client_secret"] != nil {
		t.Fatalf("private_key_jwt agent: %v", jwt)
	}

	big := `{"name":"x","description":"` + strings.Repeat("a", 1<<20) + `"}`
	cases := []struct {
		name    string
		body    any
		status  int
		code    string
		mention string
	}{
		{"missing name", map[string]any{"scopes": []string{}}, 400, "invalid_request", "name"},
		{"empty name", map[string]any{"name": ""}, 400, "invalid_request", "name"},
		{"blank name", map[string]any{"name": "   "}, 400, "invalid_request", "name"},
		{"name with a control character", map[string]any{"name": "a\nb"}, 400, "invalid_request", "name"},
		{"duplicate member", `{"name":"a","name":"b"}`, 400, "invalid_request", "duplicate"},
		{"name of wrong type", map[string]any{"name": 42}, 400, "invalid_request", "name"},
		{"scopes of wrong type", map[string]any{"name": "x", "scopes": "mcp:read"}, 400, "invalid_request", "scopes"},
		{"bad scope token", map[string]any{"name": "x", "scopes": []string{"has space"}}, 400, "invalid_request", "scopes[0]"},
		{"metadata of wrong type", map[string]any{"name": "x", "metadata": []string{"a"}}, 400, "invalid_request", "metadata"},
		{"token_lifetime as text", map[string]any{"name": "x", "token_lifetime": "600"}, 400, "invalid_request", "token_lifetime"},
		{"token_lifetime out of range", map[string]any{"name": "x", "token_lifetime": 0}, 400, "invalid_request", "token_lifetime"},
		{"unsupported grant type", map[string]any{"name": "x", "grant_types": []string{"password"}}, 400, "invalid_request", "grant_types[0]"},
		{"empty grant types", map[string]any{"name": "x", "grant_types": []string{}}, 400, "invalid_request", "grant_types"},
		{"relative redirect URI", map[string]any{"name": "x", "redirect_uris": []string{"/cb"}}, 400, "invalid_request", "redirect_uris[0]"},
		{"unknown auth method", map[string]any{"name": "x", "token_endpoint_auth_method": "none"}, 400, "invalid_request", "token_endpoint_auth_method"},
		{"private_key_jwt without jwks", map[string]any{"name": "x", "token_endpoint_auth_method": "private_key_jwt"}, 400, "invalid_request", "jwks"},
		{"jwks with a private key", map[string]any{"name": "x", "jwks": map[string]any{"keys": []any{map[string]any{"kty": "oct", "k": "c2VjcmV0"}}}}, 400, "invalid_request", "jwks"},
		{"unknown creator", map[string]any{"name": "x", "created_by": "usr_nope"}, 400, "invalid_request", "created_by"},
		{"creator of another tenant", map[string]any{"name": "x", "created_by": h.user(h.bravoKey, "/t/bravo", "b@example.com")["id"]}, 400, "invalid_request", "created_by"},
		{"creator of wrong type", map[string]any{"name": "x", "created_by": 7}, 400, "invalid_request", "created_by"},
		{"dpop flag of wrong type", map[string]any{"name": "x", "dpop_bound_access_tokens": "yes"}, 400, "invalid_request", "dpop_bound_access_tokens"},
		{"not JSON", `{"name":`, 400, "invalid_request", "JSON"},
		{"array body", `[]`, 400, "invalid_request", ""},
		{"empty body", ``, 400, "invalid_request", ""},
		{"body over 1 MiB", big, 413, "invalid_request", "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do("POST", "/api/v1/agents", h.key, c.body).want(c.status, c.code, c.mention)
		})
	}
	h.t = t
	if list := h.do("GET", "/api/v1/agents", h.key, nil); list.obj()["total"] != 3.0 {
		t.Fatalf("a failed create left an agent: %s", list.raw)
	}
}

func mustJSON(v any) []byte {
	b, _ := jsonMarshal(v)
	return b
}

// ecJWK is a fresh public P-256 JWK as the SDK's prover sends it.
func ecJWK(t *testing.T) map[string]any {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])}
}

// thumbprint computes RFC 7638 by hand: the required members in
// lexicographic order, no whitespace, SHA-256, base64url.
func thumbprint(jwk map[string]any) string {
	canon := fmt.Sprintf(`{"crv":"%s","kty":"%s","x":"%s","y":"%s"}`, jwk["crv"], jwk["kty"], jwk["x"], jwk["y"])
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestAgentReadAndList(t *testing.T) {
	h := newHarness(t)
	u := h.user(h.key, "", "lister@example.com")
	a1 := h.agent(h.key, "", map[string]any{"name": "Alpha S", "metadata": map[string]any{"app_id": "app_one"}, "created_by": u["id"]})
	a2 := h.agent(h.key, "", map[string]any{"name": "Beta", "metadata": map[string]any{"app_id": "app_two"}})
	a3 := h.agent(h.key, "", map[string]any{"name": "Gamma", "metadata": map[string]any{"app_id": "app_one"}})
	h.do("DELETE", "/api/v1/agents/"+a3["id"].(string), h.key, nil).want(204, "", "")
	h.do("POST", "/api/v1/admin/apps", h.key, map[string]any{"name": "Not an agent"}).want(201, "", "")

	for _, id := range []string{a1["id"].(string), a1["client_id"].(string)} {
		r := h.do("GET", "/api/v1/agents/"+id, h.key, nil)
		r.want(200, "", "")
		if r.str("id") != a1["id"] || r.obj()["client_secret"] != nil {
			t.Fatalf("get %s: %s", id, r.raw)
		}
	}
	ids := func(r resp) []string {
		var out []string
		for _, x := range r.list("data") {
			out = append(out, x["id"].(string))
		}
		return out
	}
	id1, id2, id3 := a1["id"].(string), a2["id"].(string), a3["id"].(string)
	cases := []struct {
		name, query string
		want        []string
		total       float64
	}{
		{"all, newest first", "", []string{id3, id2, id1}, 3},
		// "Alpha S" has a space, which no id or client id holds (search also
		// matches ids: "alp" once matched a random "...aLp7").
		{"search by name", "?search=ha%20s", []string{id1}, 1},
		{"search by app id, as the SDK's list_agents(app_id=) sends it", "?search=app_one", []string{id3, id1}, 2},
		{"app_id filter", "?app_id=app_two", []string{id2}, 1},
		{"active", "?active=true", []string{id2, id1}, 2},
		{"inactive", "?active=false", []string{id3}, 1},
		{"created by", "?created_by_user_id=" + u["id"].(string), []string{id1}, 1},
		{"limit", "?limit=1", []string{id3}, 3},
		{"offset", "?limit=2&offset=2", []string{id1}, 3},
		{"nothing", "?search=zzz", nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			r := h.do("GET", "/api/v1/agents"+c.query, h.key, nil)
			r.want(200, "", "")
			if got := ids(r); !slices.Equal(got, c.want) || r.obj()["total"] != c.total {
				t.Fatalf("got %v total %v, want %v total %v", got, r.obj()["total"], c.want, c.total)
			}
		})
	}
	errs := []struct{ name, method, path, code, mention string }{
		{"unknown agent", "GET", "/api/v1/agents/agent_nope", "not_found", "agent"},
		{"an app is not an agent", "GET", "/api/v1/agents/" + h.do("GET", "/api/v1/admin/apps", h.key, nil).list("data")[0]["id"].(string), "not_found", "agent"},
		{"limit zero", "GET", "/api/v1/agents?limit=0", "invalid_request", "limit"},
		{"limit too big", "GET", "/api/v1/agents?limit=201", "invalid_request", "limit"},
		{"negative offset", "GET", "/api/v1/agents?offset=-1", "invalid_request", "offset"},
		{"bad active", "GET", "/api/v1/agents?active=maybe", "invalid_request", "active"},
		{"malformed query", "GET", "/api/v1/agents?limit=%zz", "invalid_request", "query"},
		{"tokens of unknown agent", "GET", "/api/v1/agents/agent_nope/tokens", "not_found", "agent"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			status := 400
			if c.code == "not_found" {
				status = 404
			}
			h.do(c.method, c.path, h.key, nil).want(status, c.code, c.mention)
		})
	}
}

func TestUpdateAndDeactivateAgent(t *testing.T) {
	h := newHarness(t)
	a := h.agent(h.key, "", map[string]any{"name": "before", "scopes": []string{"a"}})
	id := a["id"].(string)
	r := h.do("PATCH", "/api/v1/agents/"+id, h.key, map[string]any{"name": "after", "scopes": []string{"b", "c"}, "token_lifetime": 120, "metadata": map[string]any{"k": "v"}})
	r.want(200, "", "")
	if r.str("name") != "after" || fmt.Sprint(r.obj()["scopes"]) != "[b c]" || r.obj()["token_lifetime"] != 120.0 || r.str("client_id") != a["client_id"] {
		t.Fatalf("patch: %s", r.raw)
	}
	if ev := h.lastEvent(root, "agent.updated"); ev.TargetID != a["client_id"] || fmt.Sprint(ev.Metadata["fields"]) != "[metadata name scopes token_lifetime]" {
		t.Fatalf("event: %+v", ev)
	}
	errs := []struct {
		name    string
		path    string
		body    any
		status  int
		code    string
		mention string
	}{
		{"unknown agent", "/api/v1/agents/agent_nope", map[string]any{"name": "x"}, 404, "not_found", "agent"},
		{"wrong type", "/api/v1/agents/" + id, map[string]any{"active": "no"}, 400, "invalid_request", "active"},
		{"empty name", "/api/v1/agents/" + id, map[string]any{"name": ""}, 400, "invalid_request", "name"},
		{"creator cannot change", "/api/v1/agents/" + id, map[string]any{"created_by": "usr_x"}, 400, "invalid_request", "created_by"},
		{"bad grant type", "/api/v1/agents/" + id, map[string]any{"grant_types": []string{"implicit"}}, 400, "invalid_request", "grant_types"},
		{"not JSON", "/api/v1/agents/" + id, "nope", 400, "invalid_request", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do("PATCH", c.path, h.key, c.body).want(c.status, c.code, c.mention)
		})
	}
	h.t = t
	// PATCH active:false then true does not revive the tokens of before.
	early := h.token(root, a["client_id"].(string), id, "", "")
	h.do("PATCH", "/api/v1/agents/"+id, h.key, map[string]any{"active": false}).want(200, "", "")
	h.do("PATCH", "/api/v1/agents/"+id, h.key, map[string]any{"active": true}).want(200, "", "")
	if h.active(root, early) {
		t.Fatal("a token survived deactivation by PATCH and re-activation")
	}
	jti := h.token(root, a["client_id"].(string), id, "", "")
	if !h.active(root, jti) {
		t.Fatal("fresh token inactive")
	}
	h.do("DELETE", "/api/v1/agents/"+id, h.key, nil).want(204, "", "")
	if h.active(root, jti) {
		t.Fatal("token of a deactivated agent is active")
	}
	got := h.do("GET", "/api/v1/agents/"+id, h.key, nil)
	if got.obj()["active"] != false {
		t.Fatalf("after delete: %s", got.raw)
	}
	if ev := h.lastEvent(root, "agent.deactivated"); ev.TargetID != a["client_id"] {
		t.Fatalf("event: %+v", ev)
	}
	h.do("DELETE", "/api/v1/agents/agent_nope", h.key, nil).want(404, "not_found", "agent")
	// Re-activating does not revive the tokens revoked with the deactivation.
	h.do("PATCH", "/api/v1/agents/"+id, h.key, map[string]any{"active": true}).want(200, "", "")
	if h.active(root, jti) {
		t.Fatal("re-activation revived a revoked token")
	}
	if fresh := h.token(root, a["client_id"].(string), id, "", ""); !h.active(root, fresh) {
		t.Fatal("token issued after re-activation inactive")
	}
}

func TestAgentTokensRevokeAllAndRotateSecret(t *testing.T) {
	h := newHarness(t)
	a := h.agent(h.key, "", nil)
	id, cid := a["id"].(string), a["client_id"].(string)
	jtis := []string{h.token(root, cid, id, "", ""), h.token(root, cid, id, "jkt-x", "")}
	r := h.do("GET", "/api/v1/agents/"+id+"/tokens", h.key, nil)
	r.want(200, "", "")
	toks := r.list("data")
	if len(toks) != 2 || toks[0]["jti"] != jtis[1] || toks[0]["id"] != jtis[1] || toks[0]["token_id"] != jtis[1] || toks[0]["jkt"] != "jkt-x" ||
		toks[0]["agent_id"] != id || toks[0]["client_id"] != cid || toks[0]["active"] != true || toks[1]["jkt"] != nil || toks[0]["revoked_at"] != nil {
		t.Fatalf("tokens: %s", r.raw)
	}
	for _, f := range []string{"scope", "audience", "expires_at", "created_at"} {
		if toks[0][f] == nil {
			t.Fatalf("token lacks %s: %v", f, toks[0])
		}
	}
	rv := h.do("POST", "/api/v1/agents/"+cid+"/tokens/revoke-all", h.key, nil)
	rv.want(200, "", "")
	if rv.obj()["revoked_count"] != 2.0 || !strings.HasPrefix(rv.str("audit_event_id"), "aud_") {
		t.Fatalf("revoke-all: %s", rv.raw)
	}
	if ev := h.events(root)[rv.str("audit_event_id")]; ev.Event != "agent.tokens_revoked" || ev.Metadata["revoked_count"] != 2.0 && ev.Metadata["revoked_count"] != 2 {
		t.Fatalf("event: %+v", ev)
	}
	for _, jti := range jtis {
		if h.active(root, jti) {
			t.Fatal("token survived revoke-all")
		}
	}
	after := h.token(root, cid, id, "", "")
	if !h.active(root, after) {
		t.Fatal("token issued after revoke-all inactive")
	}
	if again := h.do("POST", "/api/v1/agents/"+id+"/tokens/revoke-all", h.key, nil); again.obj()["revoked_count"] != 1.0 {
		t.Fatalf("second revoke-all: %s", again.raw)
	}

	before, _ := h.env.Store.GetClient(t.Context(), root, cid)
	rot := h.do("POST", "/api/v1/agents/"+id+"/rotate-secret", h.key, nil)
	rot.want(200, "", "")
	secret := rot.str("client_secret")
	if rot.str("agent_id") != id || rot.str("client_id") != cid || !secretPattern.MatchString(secret) || rot.str("rotated_at") == "" {
		t.Fatalf("rotate: %s", rot.raw)
	}
	stored, _ := h.env.Store.GetClient(t.Context(), root, cid)
	if !ids.Matches(secret, stored.SecretHash) || hex.EncodeToString(stored.SecretHash) == hex.EncodeToString(before.SecretHash) {
		t.Fatal("the old secret still matches or the new one does not")
	}
	h.lastEvent(root, "agent.secret_rotated")
	for _, path := range []string{"/tokens/revoke-all", "/rotate-secret", "/rotate-dpop-key"} {
		h.do("POST", "/api/v1/agents/agent_nope"+path, h.key, map[string]any{"new_public_jwk": ecJWK(t)}).want(404, "not_found", "agent")
	}
	h.do("GET", "/api/v1/agents/"+id+"/tokens?limit=0", h.key, nil).want(400, "invalid_request", "limit")
	h.do("GET", "/api/v1/agents/"+id+"/tokens?cursor=garbage", h.key, nil).want(400, "invalid_request", "cursor")
}

func TestRotateDPoPKey(t *testing.T) {
	h := newHarness(t)
	a := h.agent(h.key, "", nil)
	id, cid := a["id"].(string), a["client_id"].(string)
	unbound := h.token(root, cid, id, "", "")
	first := ecJWK(t)
	r := h.do("POST", "/api/v1/agents/"+id+"/rotate-dpop-key", h.key, map[string]any{"new_public_jwk": first, "reason": "initial"})
	r.want(200, "", "")
	if r.str("new_jkt") != thumbprint(first) || r.obj()["old_jkt"] != nil || r.obj()["revoked_token_count"] != 1.0 || !strings.HasPrefix(r.str("audit_event_id"), "aud_") {
		t.Fatalf("rotate: %s", r.raw)
	}
	if h.active(root, unbound) {
		t.Fatal("with no key registered before, every earlier token is revoked")
	}
	if got := h.do("GET", "/api/v1/agents/"+id, h.key, nil); got.str("dpop_jkt") != thumbprint(first) {
		t.Fatalf("agent: %s", got.raw)
	}
	onFirst := h.token(root, cid, id, thumbprint(first), "")
	if !h.active(root, onFirst) {
		t.Fatal("token bound to the registered key inactive")
	}
	second := ecJWK(t)
	r = h.do("POST", "/api/v1/agents/"+cid+"/rotate-dpop-key", h.key, map[string]any{"new_public_jwk": second})
	r.want(200, "", "")
	if r.str("old_jkt") != thumbprint(first) || r.str("new_jkt") != thumbprint(second) || r.obj()["revoked_token_count"] != 1.0 {
		t.Fatalf("second rotate: %s", r.raw)
	}
	if h.active(root, onFirst) {
		t.Fatal("token bound to the old key still active")
	}
	if ev := h.events(root)[r.str("audit_event_id")]; ev.Event != "agent.dpop_key_rotated" || ev.Metadata["new_jkt"] != thumbprint(second) {
		t.Fatalf("event: %+v", ev)
	}
	if !h.active(root, h.token(root, cid, id, thumbprint(second), "")) {
		t.Fatal("token of the new key inactive")
	}

	withD := ecJWK(t)
	withD["d"] = "AAAA"
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	raw, _ := p384.PublicKey.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"private member d", map[string]any{"new_public_jwk": withD}, 400, "invalid_jwk"},
		{"symmetric key", map[string]any{"new_public_jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}, 400, "invalid_jwk"},
		{"EC P-384", map[string]any{"new_public_jwk": map[string]any{"kty": "EC", "crv": "P-384", "x": b64(raw[1:49]), "y": b64(raw[49:])}}, 400, "invalid_jwk"},
		{"point off the curve", map[string]any{"new_public_jwk": map[string]any{"kty": "EC", "crv": "P-256", "x": b64(make([]byte, 32)), "y": b64(make([]byte, 32))}}, 400, "invalid_jwk"},
		{"unknown kty", map[string]any{"new_public_jwk": map[string]any{"kty": "XYZ"}}, 400, "invalid_jwk"},
		{"not an object", map[string]any{"new_public_jwk": "a string"}, 400, "invalid_jwk"},
		{"missing", map[string]any{"reason": "x"}, 400, "invalid_request"},
		{"reason of wrong type", map[string]any{"new_public_jwk": ecJWK(t), "reason": 5}, 400, "invalid_request"},
		{"OKP Ed25519 is accepted", map[string]any{"new_public_jwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(edPub)}}, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			h.do("POST", "/api/v1/agents/"+id+"/rotate-dpop-key", h.key, c.body).want(c.status, c.code, "")
		})
	}
}

var _ = store.ErrNotFound

package app_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/audit/audittest"
	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// wireEvents is the name list of WIRE §8: the catalog must produce each.
var wireEvents = []string{
	"agent.created", "agent.updated", "agent.deactivated", "agent.tokens_revoked", "agent.secret_rotated", "agent.dpop_key_rotated",
	"oauth.token_issued", "oauth.token_exchanged", "oauth.token_revoked", "oauth.tokens_bulk_revoked",
	"oauth.client_registered", "oauth.client_updated", "oauth.client_deleted", "oauth.client_secret_rotated",
	"user.created", "user.updated", "user.deleted", "user.agents_revoked",
	"app.created", "app.updated", "app.deleted", "app.secret_rotated",
	"api_key.created", "api_key.revoked", "api_key.rotated", "may_act.granted", "may_act.revoked",
	"signing_key.rotated", "tenant.created", "tenant.updated",
}

// documentedExtras are the events outside WIRE §8's list that the code
// documents (shared/audit: initial access tokens, the purge's own record).
var documentedExtras = []string{"initial_access_token.created", "initial_access_token.revoked", "audit.purged",
	"resource_server.created", "resource_server.updated", "resource_server.deleted", "resource_server.secret_rotated",
	"signin_link.created"}

// ev is an expected event: every field of WIRE §8 that names who and what,
// and the metadata members it must carry (a subset; nil value = present).
type ev struct {
	name                 string
	actorType, actorID   string
	targetType, targetID string
	meta                 map[string]any
}

// catalog is the run's state: the stack, its clock, what earlier steps made,
// and every secret the run handed out.
type catalog struct {
	*served
	clock    *storetest.Clock
	secrets  []string
	produced map[string]bool
	holder   *ecdsa.PrivateKey // agent alpha's DPoP key
	rotated  *ecdsa.PrivateKey // the key alpha rotates to

	platformKeyID, key, keyID            string // the "cat" tenant's first admin key
	user, app, apiKey, apiKeyNext, grant string
	alpha, alphaClient, alphaSecret      string
	beta, betaClient, betaSecret         string
	tokenA, tokenAJTI, tokenX, tokenXJTI string
	kid, iat                             string
	dcr, dcrClient, dcrRAT, dcrSecret    string
	tokenY, tokenYJTI                    string // beta's token the admin revokes alone
	rs, rsClient                         string // a resource server
	link, linkID, linkKeyID              string // a sign-in link, and the admin key it minted
}

func (c *catalog) keep(vs ...any) {
	for _, v := range vs {
		if s, ok := v.(string); ok && s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
}

func (c *catalog) admin(method, path, body string) answer {
	c.t.Helper()
	return c.call(method, "/t/cat"+path, "", c.key, body)
}

func (c *catalog) platform(method, path, body string) answer {
	c.t.Helper()
	return c.call(method, path, "", c.boot.PlatformKey, body)
}

// form posts to the token function of "cat"; auth is "" or an admin key.
func (c *catalog) form(path, auth string, v url.Values, headers ...string) answer {
	c.t.Helper()
	return c.call("POST", "/t/cat"+path, "", auth, v.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// proof is a DPoP proof of key for the token endpoint of "cat", as the SDK signs it.
func (c *catalog) proof(key *ecdsa.PrivateKey) string {
	c.t.Helper()
	p, err := dpop.NewProverWith(key)
	if err != nil {
		c.t.Fatal(err)
	}
	out, err := p.Proof(dpop.ProofClaims{HTM: "POST", HTU: c.url + "/t/cat/oauth/token", IAT: c.clock.Now()})
	if err != nil {
		c.t.Fatal(err)
	}
	c.keep(out)
	return out
}

func thumbprint(t *testing.T, k *ecdsa.PrivateKey) string {
	b, err := (&jose.JSONWebKey{Key: &k.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func publicJWK(k *ecdsa.PrivateKey) string {
	b, _ := json.Marshal(jose.JSONWebKey{Key: &k.PublicKey})
	return string(b)
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jti reads the jti claim of a compact JWT (the test issued it; no check needed).
func jti(t *testing.T, token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.20s", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		ID string `json:"jti"`
	}
	json.Unmarshal(raw, &claims)
	return claims.ID
}

func str(a answer, k string) string { s, _ := a.body[k].(string); return s }

// step is one mutation (or refused mutation) of the catalog.
type step struct {
	name   string
	trail  string // the tenant whose trail holds the events
	call   func(c *catalog) answer
	status int
	after  func(c *catalog, a answer) // records what the response made
	want   func(c *catalog) []ev      // nil: no event at all
}

// TestAuditCatalog performs every mutation route of every function over HTTP,
// in order, and proves each wrote exactly its events of WIRE §8 with actor and
// target as WIRE gives them, that each refused mutation wrote none, that every
// WIRE §8 name was produced, and that no stored event of any tenant holds a
// secret, token, proof or key material the run handed out.
func TestAuditCatalog(t *testing.T) {
	clock := storetest.NewClock()
	c := &catalog{
		served:   serveStackWith(t, "", app.Options{Now: clock.Now, LogOutput: io.Discard}),
		clock:    clock,
		produced: map[string]bool{},
		holder:   newKey(t),
		rotated:  newKey(t),
	}
	c.keep(c.boot.AdminKey, c.boot.PlatformKey)
	for _, k := range []*ecdsa.PrivateKey{c.holder, c.rotated} {
		c.keep(base64.RawURLEncoding.EncodeToString(k.D.FillBytes(make([]byte, 32))), k.D.String())
	}
	pk, err := c.env.Store.PlatformKeyByHash(t.Context(), ids.Hash(c.boot.PlatformKey))
	if err != nil {
		t.Fatal(err)
	}
	c.platformKeyID = pk.ID
	admin := func(c *catalog) (string, string) { return "admin_key", c.keyID }
	tokenForm := func(grant string, kv ...string) url.Values {
		v := url.Values{"grant_type": {grant}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	const exchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	const accessTokenType = "urn:ietf:params:oauth:token-type:access_token"

	steps := []step{
		// Platform API (admin function, platform key).
		{name: "platform: tenant create", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.platform("POST", "/platform/v1/tenants", `{"id":"cat","name":"Catalog"}`)
			},
			after: func(c *catalog, a answer) {
				c.key = str(a, "admin_key")
				c.keep(c.key)
				k, err := c.env.Store.APIKeyByHash(t.Context(), tenant.MustID("cat"), ids.Hash(c.key))
				if err != nil {
					t.Fatal(err)
				}
				c.keyID = k.ID
				sk, err := c.env.Store.SigningKeys(t.Context(), tenant.MustID("cat"))
				if err != nil || len(sk) != 1 {
					t.Fatalf("cat's signing keys: %v %v", sk, err)
				}
				c.kid = sk[0].KID
			},
			want: func(c *catalog) []ev {
				p := c.platformKeyID
				return []ev{
					{"tenant.created", "platform", p, "tenant", "cat", map[string]any{"name": "Catalog"}},
					{"signing_key.rotated", "platform", p, "signing_key", c.kid, nil},
					{"api_key.created", "platform", p, "api_key", c.keyID, map[string]any{"scopes": []any{"*"}}},
				}
			}},
		{name: "platform: duplicate tenant refused", trail: "cat", status: 409,
			call: func(c *catalog) answer { return c.platform("POST", "/platform/v1/tenants", `{"id":"cat"}`) }},
		{name: "platform: tenant update", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.platform("PATCH", "/platform/v1/tenants/cat", `{"name":"Catalog 2"}`)
			},
			want: func(c *catalog) []ev {
				return []ev{{"tenant.updated", "platform", c.platformKeyID, "tenant", "cat", map[string]any{"name": "Catalog 2"}}}
			}},
		{name: "platform: update with a bad host refused", trail: "cat", status: 400,
			call: func(c *catalog) answer {
				return c.platform("PATCH", "/platform/v1/tenants/cat", `{"hosts":["localhost"]}`)
			}},
		{name: "platform: update of an unknown tenant refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.platform("PATCH", "/platform/v1/tenants/nope", `{"name":"x"}`) }},
		{name: "platform: second tenant create", trail: "gone", status: 201,
			call:  func(c *catalog) answer { return c.platform("POST", "/platform/v1/tenants", `{"id":"gone"}`) },
			after: func(c *catalog, a answer) { c.keep(str(a, "admin_key")) },
			want: func(c *catalog) []ev {
				p := c.platformKeyID
				return []ev{{"tenant.created", "platform", p, "tenant", "gone", nil}, {"signing_key.rotated", "platform", p, "signing_key", "", nil},
					{"api_key.created", "platform", p, "api_key", "", nil}}
			}},
		{name: "platform: tenant disable", trail: "gone", status: 200,
			call: func(c *catalog) answer { return c.platform("POST", "/platform/v1/tenants/gone/disable", "") },
			want: func(c *catalog) []ev {
				return []ev{{"tenant.updated", "platform", c.platformKeyID, "tenant", "gone", map[string]any{"disabled": true}}}
			}},

		{name: "platform: disable of a disabled tenant writes nothing", trail: "gone", status: 200,
			call: func(c *catalog) answer { return c.platform("POST", "/platform/v1/tenants/gone/disable", "") }},
		{name: "platform: a PATCH that changes nothing writes nothing", trail: "gone", status: 200,
			call: func(c *catalog) answer { return c.platform("PATCH", "/platform/v1/tenants/gone", "{}") }},
		// Admin API: users.
		{name: "admin: user create", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/users", `{"email":"ada@example.com","name":"Ada"}`)
			},
			after: func(c *catalog, a answer) { c.user = str(a, "id") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"user.created", at, ai, "user", c.user, map[string]any{"email": "ada@example.com"}}}
			}},
		{name: "admin: user create on the /api/v1/users alias", trail: "cat", status: 201,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/users", `{"email":"bob@example.com"}`) },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"user.created", at, ai, "user", "", map[string]any{"email": "bob@example.com"}}}
			}},
		{name: "admin: user without an email refused", trail: "cat", status: 400,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/users", `{"name":"nobody"}`) }},
		{name: "admin: duplicate user refused", trail: "cat", status: 409,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/admin/users", `{"email":"ada@example.com"}`) }},
		{name: "admin: user patch", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("PATCH", "/api/v1/users/"+c.user, `{"name":"Ada L."}`) },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"user.updated", at, ai, "user", c.user, nil}}
			}},
		{name: "admin: patch of an unknown user refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("PATCH", "/api/v1/users/usr_nobody", `{"name":"x"}`) }},

		// Admin API: applications.
		{name: "admin: app create", trail: "cat", status: 201,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/admin/apps", `{"name":"Console"}`) },
			after: func(c *catalog, a answer) {
				c.app = str(a, "id")
				c.keep(a.body["client_secret"])
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"app.created", at, ai, "app", c.app, map[string]any{"name": "Console", "client_id": nil}}}
			}},
		{name: "admin: app without a name refused", trail: "cat", status: 400,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/admin/apps", `{}`) }},
		{name: "admin: app patch", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("PATCH", "/api/v1/admin/apps/"+c.app, `{"name":"Console 2"}`) },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"app.updated", at, ai, "app", c.app, nil}}
			}},
		{name: "admin: app rotate-secret", trail: "cat", status: 200,
			call:  func(c *catalog) answer { return c.admin("POST", "/api/v1/admin/apps/"+c.app+"/rotate-secret", "") },
			after: func(c *catalog, a answer) { c.keep(a.body["client_secret"]) },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"app.secret_rotated", at, ai, "app", c.app, nil}}
			}},
		{name: "admin: app delete", trail: "cat", status: 204,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/admin/apps/"+c.app, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"app.deleted", at, ai, "app", c.app, nil}}
			}},
		{name: "admin: delete of a deleted app refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/admin/apps/"+c.app, "") }},

		// Admin API: agents.
		{name: "admin: agent create", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/agents", `{"name":"alpha","scopes":["mcp:read","mcp:write"],"created_by":"`+c.user+`"}`)
			},
			after: func(c *catalog, a answer) {
				c.alpha, c.alphaClient, c.alphaSecret = str(a, "id"), str(a, "client_id"), str(a, "client_secret")
				c.keep(c.alphaSecret)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.created", at, ai, "agent", c.alphaClient, nil}}
			}},
		{name: "admin: agent of an unknown user refused", trail: "cat", status: 400,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/agents", `{"name":"x","created_by":"usr_nobody"}`)
			}},
		{name: "admin: second agent create", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/agents", `{"name":"beta","scopes":["mcp:read"]}`)
			},
			after: func(c *catalog, a answer) {
				c.beta, c.betaClient, c.betaSecret = str(a, "id"), str(a, "client_id"), str(a, "client_secret")
				c.keep(c.betaSecret)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.created", at, ai, "agent", c.betaClient, nil}}
			}},
		{name: "admin: agent patch", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("PATCH", "/api/v1/agents/"+c.alpha, `{"description":"the first"}`)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.updated", at, ai, "agent", c.alphaClient, map[string]any{"agent_id": c.alpha}}}
			}},
		{name: "admin: patch of an unknown agent refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("PATCH", "/api/v1/agents/agent_nobody", `{"name":"x"}`) }},
		{name: "admin: agent rotate-secret", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/agents/"+c.alpha+"/rotate-secret", "") },
			after: func(c *catalog, a answer) {
				c.alphaSecret = str(a, "client_secret")
				c.keep(c.alphaSecret)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.secret_rotated", at, ai, "agent", c.alphaClient, nil}}
			}},

		// Token function.
		{name: "token: client_credentials with DPoP", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.form("/oauth/token", "", tokenForm("client_credentials", "client_id", c.alphaClient, "client_secret", c.alphaSecret, "scope", "mcp:read"),
					"DPoP", c.proof(c.holder))
			},
			after: func(c *catalog, a answer) {
				c.tokenA = str(a, "access_token")
				c.tokenAJTI = jti(t, c.tokenA)
				c.keep(c.tokenA)
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.token_issued", "client", c.alphaClient, "token", c.tokenAJTI, map[string]any{
					"scope": "mcp:read", "jkt": thumbprint(t, c.holder), "aud": []any{c.alphaClient}, "grant_type": "client_credentials"}}}
			}},
		{name: "token: a wrong secret refused", trail: "cat", status: 401,
			call: func(c *catalog) answer {
				return c.form("/oauth/token", "", tokenForm("client_credentials", "client_id", c.alphaClient, "client_secret", strings.Repeat("0", 64)))
			}},
		{name: "token: a scope not allowed refused", trail: "cat", status: 400,
			call: func(c *catalog) answer {
				return c.form("/oauth/token", "", tokenForm("client_credentials", "client_id", c.alphaClient, "client_secret", c.alphaSecret, "scope", "admin"),
					"DPoP", c.proof(c.holder))
			}},
		{name: "admin: may-act create", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/may-act", `{"from_id":"`+c.beta+`","to_id":"`+c.alphaClient+`","max_hops":1}`)
			},
			after: func(c *catalog, a answer) { c.grant = str(a, "id") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"may_act.granted", at, ai, "may_act", c.grant, map[string]any{"from_id": c.beta, "to_id": c.alphaClient}}}
			}},
		{name: "admin: may-act without to_id refused", trail: "cat", status: 400,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/admin/may-act", `{"from_id":"`+c.beta+`"}`) }},
		{name: "token: exchange under the grant", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.form("/oauth/token", "", tokenForm(exchange, "client_id", c.betaClient, "client_secret", c.betaSecret,
					"subject_token", c.tokenA, "subject_token_type", accessTokenType))
			},
			after: func(c *catalog, a answer) {
				c.tokenX = str(a, "access_token")
				c.tokenXJTI = jti(t, c.tokenX)
				c.keep(c.tokenX)
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.token_exchanged", "client", c.betaClient, "token", c.tokenXJTI, map[string]any{
					"scope": "mcp:read", "grant_type": exchange, "subject_jti": c.tokenAJTI, "subject": c.alphaClient, "jkt": "", "aud": nil}}}
			}},
		{name: "admin: may-act revoke", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/admin/may-act/"+c.grant, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"may_act.revoked", at, ai, "may_act", c.grant, nil}}
			}},
		{name: "admin: revoke of an unknown grant refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/admin/may-act/mag_nobody", "") }},
		{name: "token: exchange after the grant's revocation refused", trail: "cat", status: 403,
			call: func(c *catalog) answer {
				return c.form("/oauth/token", "", tokenForm(exchange, "client_id", c.betaClient, "client_secret", c.betaSecret,
					"subject_token", c.tokenA, "subject_token_type", accessTokenType))
			}},
		{name: "token: revoke by its client", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.form("/oauth/revoke", "", url.Values{"token": {c.tokenA}, "client_id": {c.alphaClient}, "client_secret": {c.alphaSecret}})
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.token_revoked", "client", c.alphaClient, "token", c.tokenAJTI, map[string]any{"client_id": c.alphaClient}}}
			}},
		{name: "token: revoke by an admin key", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.form("/oauth/revoke", c.key, url.Values{"token": {c.tokenX}}) },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"oauth.token_revoked", at, ai, "token", c.tokenXJTI, map[string]any{"client_id": c.betaClient}}}
			}},
		{name: "token: a second revoke by an admin key writes nothing", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.form("/oauth/revoke", c.key, url.Values{"token": {c.tokenX}}) }},
		{name: "token: a second revoke by its client writes nothing", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.form("/oauth/revoke", "", url.Values{"token": {c.tokenA}, "client_id": {c.alphaClient}, "client_secret": {c.alphaSecret}})
			}},
		{name: "token: revoke of an unknown token writes nothing", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.form("/oauth/revoke", c.key, url.Values{"token": {"not-a-token"}}) }},
		{name: "token: revoke without caller auth refused", trail: "cat", status: 401,
			call: func(c *catalog) answer { return c.form("/oauth/revoke", "", url.Values{"token": {c.tokenX}}) }},

		// Admin API: one token of an agent revoked by an admin key.
		{name: "token: client_credentials for beta", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.form("/oauth/token", "", tokenForm("client_credentials", "client_id", c.betaClient, "client_secret", c.betaSecret, "scope", "mcp:read"))
			},
			after: func(c *catalog, a answer) {
				c.tokenY = str(a, "access_token")
				c.tokenYJTI = jti(t, c.tokenY)
				c.keep(c.tokenY)
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.token_issued", "client", c.betaClient, "token", c.tokenYJTI, map[string]any{"grant_type": "client_credentials"}}}
			}},
		{name: "admin: single-token revoke", trail: "cat", status: 204,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/agents/"+c.beta+"/tokens/"+c.tokenYJTI+"/revoke", `{"reason":"leaked"}`)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"oauth.token_revoked", at, ai, "token", c.tokenYJTI, map[string]any{"agent_id": c.beta, "client_id": c.betaClient, "reason": "leaked"}}}
			}},
		{name: "admin: single-token revoke again writes nothing", trail: "cat", status: 204,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/agents/"+c.beta+"/tokens/"+c.tokenYJTI+"/revoke", "")
			}},
		{name: "admin: single-token revoke of another agent's token refused", trail: "cat", status: 404,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/agents/"+c.alpha+"/tokens/"+c.tokenYJTI+"/revoke", "")
			}},

		// Admin API: agent token operations.
		{name: "admin: agent revoke-all", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/agents/"+c.alpha+"/tokens/revoke-all", "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.tokens_revoked", at, ai, "agent", c.alphaClient, map[string]any{"agent_id": c.alpha, "revoked_count": nil}}}
			}},
		{name: "admin: revoke-all of an unknown agent refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/agents/agent_nobody/tokens/revoke-all", "") }},
		{name: "admin: agent rotate-dpop-key", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/agents/"+c.alpha+"/rotate-dpop-key", `{"new_public_jwk":`+publicJWK(c.rotated)+`,"reason":"laptop lost"}`)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.dpop_key_rotated", at, ai, "agent", c.alphaClient, map[string]any{
					"old_jkt": "", "new_jkt": thumbprint(t, c.rotated), "reason": "laptop lost"}}}
			}},
		{name: "admin: rotate-dpop-key with a private JWK refused", trail: "cat", status: 400,
			call: func(c *catalog) answer {
				jwk, _ := json.Marshal(jose.JSONWebKey{Key: c.rotated})
				return c.admin("POST", "/api/v1/agents/"+c.alpha+"/rotate-dpop-key", `{"new_public_jwk":`+string(jwk)+`}`)
			}},
		{name: "admin: bulk revoke by pattern", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/oauth/revoke-by-pattern", `{"client_id_pattern":"shark_agent_*","reason":"incident"}`)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"oauth.tokens_bulk_revoked", at, ai, "client_id_pattern", "shark_agent_*", map[string]any{"reason": "incident"}}}
			}},
		{name: "admin: bulk revoke without a pattern refused", trail: "cat", status: 400,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/oauth/revoke-by-pattern", `{"reason":"x"}`)
			}},

		// Admin API: API keys.
		{name: "admin: api-key create", trail: "cat", status: 201,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/api-keys", `{"name":"ci"}`) },
			after: func(c *catalog, a answer) {
				c.apiKey = str(a, "id")
				c.keep(a.body["key"])
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"api_key.created", at, ai, "api_key", c.apiKey, map[string]any{"name": "ci"}}}
			}},
		{name: "admin: api-key rotate", trail: "cat", status: 201,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/api-keys/"+c.apiKey+"/rotate", "") },
			after: func(c *catalog, a answer) {
				c.apiKeyNext = str(a, "id")
				c.keep(a.body["key"])
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"api_key.rotated", at, ai, "api_key", c.apiKey, map[string]any{"new_key_id": c.apiKeyNext}}}
			}},
		{name: "admin: api-key revoke", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/api-keys/"+c.apiKeyNext, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"api_key.revoked", at, ai, "api_key", c.apiKeyNext, nil}}
			}},
		{name: "admin: revoking the last admin key refused", trail: "cat", status: 409,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/api-keys/"+c.keyID, "") }},

		// Admin API: resource servers (issue 24).
		{name: "admin: resource server create", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/resource-servers", `{"name":"notes mcp","resources":["https://mcp.example.com/mcp"]}`)
			},
			after: func(c *catalog, a answer) {
				c.rs, c.rsClient = str(a, "id"), str(a, "client_id")
				c.keep(a.body["client_secret"])
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"resource_server.created", at, ai, "resource_server", c.rs, map[string]any{"client_id": c.rsClient,
					"resources": []any{"https://mcp.example.com/mcp"}, "auth_method": "client_secret_basic"}}}
			}},
		{name: "admin: resource server without resources refused", trail: "cat", status: 400,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/resource-servers", `{"name":"nothing"}`) }},
		{name: "admin: resource server update", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("PATCH", "/api/v1/resource-servers/"+c.rs, `{"name":"notes"}`) },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"resource_server.updated", at, ai, "resource_server", c.rs, map[string]any{"client_id": c.rsClient}}}
			}},
		{name: "admin: resource server rotate-secret", trail: "cat", status: 200,
			call:  func(c *catalog) answer { return c.admin("POST", "/api/v1/resource-servers/"+c.rs+"/rotate-secret", "") },
			after: func(c *catalog, a answer) { c.keep(a.body["client_secret"]) },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"resource_server.secret_rotated", at, ai, "resource_server", c.rs, map[string]any{"client_id": c.rsClient}}}
			}},
		{name: "admin: resource server delete", trail: "cat", status: 204,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/resource-servers/"+c.rs, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"resource_server.deleted", at, ai, "resource_server", c.rs, map[string]any{"client_id": c.rsClient}}}
			}},
		{name: "admin: delete of a deleted resource server refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/resource-servers/"+c.rs, "") }},

		// A one-time dashboard sign-in link (issue 25): made by the system
		// (shark serve, recover-key --link), redeemed over HTTP for an admin key.
		{name: "system+admin: sign-in link made and redeemed", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				from := c.env.Store.Now()
				secret, _, err := c.env.MintSignInLink(c.t.Context(), tenant.MustID("cat"), "recover-key")
				if err != nil {
					c.t.Fatal(err)
				}
				c.link = secret
				c.keep(secret)
				for _, e := range audittest.Since(c.t, c.env.Store, tenant.MustID("cat"), from) {
					if e.Event == "signin_link.created" {
						c.linkID = e.TargetID
					}
				}
				return c.call("POST", "/t/cat/api/v1/admin/sign-in-links/redeem", "", "", `{"link":"`+secret+`"}`)
			},
			after: func(c *catalog, a answer) {
				c.linkKeyID = str(a, "key_id")
				c.keep(a.body["admin_key"])
			},
			want: func(c *catalog) []ev {
				return []ev{
					{"signin_link.created", "system", "recover-key", "signin_link", c.linkID, map[string]any{"expires_at": nil}},
					{"api_key.created", "signin_link", c.linkID, "api_key", c.linkKeyID, map[string]any{"scopes": []any{"*"}, "via": "signin_link", "expires_at": nil}},
				}
			}},
		{name: "admin: a used sign-in link refused", trail: "cat", status: 401,
			call: func(c *catalog) answer {
				return c.call("POST", "/t/cat/api/v1/admin/sign-in-links/redeem", "", "", `{"link":"`+c.link+`"}`)
			}},

		// Admin API: signing keys.
		{name: "admin: signing-key rotate", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/signing-keys/rotate", `{"mode":"scheduled"}`)
			},
			after: func(c *catalog, a answer) { c.kid = str(a, "kid") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"signing_key.rotated", at, ai, "signing_key", c.kid, map[string]any{"mode": "scheduled", "new_kid": c.kid}}}
			}},
		{name: "admin: signing-key rotate with an unknown mode refused", trail: "cat", status: 400,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/admin/signing-keys/rotate", `{"mode":"now"}`) }},

		// Register function (RFC 7591/7592).
		{name: "register: register", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.call("POST", "/t/cat/oauth/register", "", "", `{"client_name":"mcp","scope":"mcp:read"}`)
			},
			after: func(c *catalog, a answer) {
				c.dcrClient, c.dcrSecret, c.dcrRAT = str(a, "client_id"), str(a, "client_secret"), str(a, "registration_access_token")
				c.keep(c.dcrSecret, c.dcrRAT)
				g := c.admin("GET", "/api/v1/agents/"+c.dcrClient, "")
				c.dcr = str(g, "id")
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.client_registered", "client", c.dcrClient, "agent", c.dcr, nil}}
			}},
		{name: "register: without client_name refused", trail: "cat", status: 400,
			call: func(c *catalog) answer {
				return c.call("POST", "/t/cat/oauth/register", "", "", `{"scope":"mcp:read"}`)
			}},
		{name: "register: PUT", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.call("PUT", "/t/cat/oauth/register/"+c.dcrClient, "", c.dcrRAT, `{"client_id":"`+c.dcrClient+`","client_name":"mcp 2","scope":"mcp:read"}`)
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.client_updated", "client", c.dcrClient, "agent", c.dcr, nil}}
			}},
		{name: "register: PUT with a wrong RAT refused", trail: "cat", status: 401,
			call: func(c *catalog) answer {
				return c.call("PUT", "/t/cat/oauth/register/"+c.dcrClient, "", c.dcrSecret, `{"client_id":"`+c.dcrClient+`","client_name":"x"}`)
			}},
		{name: "register: secret rotation", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.call("POST", "/t/cat/oauth/register/"+c.dcrClient+"/secret", "", c.dcrRAT, "")
			},
			after: func(c *catalog, a answer) {
				c.dcrSecret = str(a, "client_secret")
				c.keep(c.dcrSecret)
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.client_secret_rotated", "client", c.dcrClient, "agent", c.dcr, nil}}
			}},
		{name: "register: RAT rotation", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.call("DELETE", "/t/cat/oauth/register/"+c.dcrClient+"/registration-token", "", c.dcrRAT, "")
			},
			after: func(c *catalog, a answer) {
				c.dcrRAT = str(a, "registration_access_token")
				c.keep(c.dcrRAT)
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.client_updated", "client", c.dcrClient, "agent", c.dcr, map[string]any{"registration_access_token": "rotated"}}}
			}},
		{name: "register: DELETE", trail: "cat", status: 204,
			call: func(c *catalog) answer {
				return c.call("DELETE", "/t/cat/oauth/register/"+c.dcrClient, "", c.dcrRAT, "")
			},
			want: func(c *catalog) []ev {
				return []ev{{"oauth.client_deleted", "client", c.dcrClient, "agent", c.dcr, nil}}
			}},
		{name: "register: DELETE of a deleted client refused", trail: "cat", status: 401,
			call: func(c *catalog) answer {
				return c.call("DELETE", "/t/cat/oauth/register/"+c.dcrClient, "", c.dcrRAT, "")
			}},

		// Initial access tokens (admin routes of the register package).
		{name: "admin: initial access token create", trail: "cat", status: 201,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/initial-access-tokens", `{"name":"ci"}`)
			},
			after: func(c *catalog, a answer) {
				c.iat = str(a, "id")
				c.keep(a.body["token"])
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"initial_access_token.created", at, ai, "initial_access_token", c.iat, map[string]any{"name": "ci"}}}
			}},
		{name: "admin: initial access token with a short life refused", trail: "cat", status: 400,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/initial-access-tokens", `{"expires_in":5}`)
			}},
		{name: "admin: initial access token revoke", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/admin/initial-access-tokens/"+c.iat, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"initial_access_token.revoked", at, ai, "initial_access_token", c.iat, nil}}
			}},

		// Admin API: the user's cascade, and deletions.
		{name: "admin: revoke-agents naming only another's agent revokes nothing", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/users/"+c.user+"/revoke-agents", `{"agent_ids":["`+c.beta+`"]}`)
			}},
		{name: "admin: user revoke-agents", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/users/"+c.user+"/revoke-agents", `{"reason":"offboarding"}`)
			},
			want: func(c *catalog) []ev {
				return []ev{{"user.agents_revoked", "user", c.user, "user", c.user, map[string]any{
					"revoked_count": 1.0, "reason": "offboarding", "agent_ids": []any{c.alpha}}}}
			}},
		// The response of revoke-agents carries an audit_event_id (WIRE §7.2),
		// so a cascade that finds nothing left is recorded too, with a zero count.
		{name: "admin: user revoke-agents again (documented: recorded, count 0)", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/users/"+c.user+"/revoke-agents", `{"reason":"again"}`)
			},
			want: func(c *catalog) []ev {
				return []ev{{"user.agents_revoked", "user", c.user, "user", c.user, map[string]any{"revoked_count": 0.0, "reason": "again", "agent_ids": []any{}}}}
			}},
		{name: "admin: revoke-agents of an unknown user (documented: 200, recorded)", trail: "cat", status: 200,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/users/usr_nobody/revoke-agents", `{}`) },
			want: func(c *catalog) []ev {
				return []ev{{"user.agents_revoked", "user", "usr_nobody", "user", "usr_nobody", map[string]any{"revoked_count": 0.0, "reason": ""}}}
			}},
		// DELETE moves the agent's revocation time even when it is inactive
		// (a PATCH active:false revokes nothing), so it is a change, audited.
		{name: "admin: delete of a deactivated agent (documented: a change, recorded)", trail: "cat", status: 204,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/agents/"+c.alpha, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.deactivated", at, ai, "agent", c.alphaClient, map[string]any{"agent_id": c.alpha}}}
			}},
		{name: "admin: agent delete", trail: "cat", status: 204,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/agents/"+c.beta, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"agent.deactivated", at, ai, "agent", c.betaClient, map[string]any{"agent_id": c.beta}}}
			}},
		{name: "admin: delete of an unknown agent refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/agents/agent_nobody", "") }},
		{name: "admin: user delete", trail: "cat", status: 204,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/users/"+c.user, "") },
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"user.deleted", at, ai, "user", c.user, nil}}
			}},
		{name: "admin: delete of a deleted user refused", trail: "cat", status: 404,
			call: func(c *catalog) answer { return c.admin("DELETE", "/api/v1/users/"+c.user, "") }},

		// Audit function.
		{name: "audit: purge dry run writes nothing", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/audit-logs/purge", `{"before":"2026-01-01T00:00:00Z","dry_run":true}`)
			}},
		{name: "audit: purge", trail: "cat", status: 200,
			call: func(c *catalog) answer {
				return c.admin("POST", "/api/v1/admin/audit-logs/purge", `{"before":"2026-01-01T00:00:00Z"}`)
			},
			want: func(c *catalog) []ev {
				at, ai := admin(c)
				return []ev{{"audit.purged", at, ai, "audit_log", "cat", map[string]any{"before": "2026-01-01T00:00:00Z", "count": 0.0}}}
			}},
		{name: "audit: purge without before refused", trail: "cat", status: 400,
			call: func(c *catalog) answer { return c.admin("POST", "/api/v1/admin/audit-logs/purge", `{"dry_run":false}`) }},
	}

	wanted := 0
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			c.t = t
			c.clock.Advance(time.Millisecond) // this step's events are newer than every earlier one
			from := c.env.Store.Now()
			a := st.call(c)
			if a.status != st.status {
				t.Fatalf("%d %s, want %d", a.status, a.raw, st.status)
			}
			if st.after != nil {
				st.after(c, a)
			}
			got := audittest.Since(t, c.env.Store, tenant.MustID(st.trail), from)
			var want []ev
			if st.want != nil {
				want = st.want(c)
			}
			exactly(t, got, want)
			wanted += len(want)
			if id, ok := a.body["audit_event_id"].(string); ok && !slices.ContainsFunc(got, func(e store.AuditEvent) bool { return e.ID == id }) {
				t.Fatalf("audit_event_id %s names none of the events written %s", id, describeEvents(got))
			}
			for _, e := range got {
				c.produced[e.Event] = true
			}
		})
		if !ok {
			t.Fatalf("step %q failed; the steps after it depend on it", st.name)
		}
	}
	c.t = t

	t.Run("every WIRE §8 name is produced", func(t *testing.T) {
		for _, name := range append(slices.Clone(wireEvents), documentedExtras...) {
			if !c.produced[name] {
				t.Errorf("no step produced %s", name)
			}
		}
		for name := range c.produced {
			if !slices.Contains(wireEvents, name) && !slices.Contains(documentedExtras, name) {
				t.Errorf("%s is neither a WIRE §8 name nor a documented extra", name)
			}
		}
	})

	t.Run("no stored event holds a secret", func(t *testing.T) {
		page, err := c.env.Store.ListTenants(t.Context(), store.PageRequest{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var all []store.AuditEvent
		seen := map[string]bool{}
		for _, tn := range page.Items {
			seen[tn.ID] = true
			all = append(all, audittest.Since(t, c.env.Store, tenant.MustID(tn.ID), time.Time{})...)
		}
		for _, id := range []string{"default", "cat", "gone"} {
			if !seen[id] {
				t.Fatalf("tenant %s not listed among %v", id, seen)
			}
		}
		if len(all) < wanted || len(c.secrets) < 20 {
			t.Fatalf("%d events, %d secrets: the run did not happen", len(all), len(c.secrets))
		}
		audittest.NoSecrets(t, all, c.secrets...)
	})
}

// exactly fails t unless got holds exactly the events want (any order), each
// with its actor, target and metadata.
func exactly(t *testing.T, got []store.AuditEvent, want []ev) {
	t.Helper()
	left := slices.Clone(got)
	for _, w := range want {
		i := slices.IndexFunc(left, func(e store.AuditEvent) bool {
			return e.Event == w.name && e.ActorType == w.actorType && e.ActorID == w.actorID &&
				e.TargetType == w.targetType && (w.targetID == "" || e.TargetID == w.targetID)
		})
		if i < 0 {
			t.Fatalf("no event %+v among %s", w, describeEvents(got))
		}
		e := left[i]
		if w.actorID == "" || e.TargetID == "" || e.Status != "success" || e.Metadata == nil {
			t.Fatalf("event %s: empty actor or target, or status %q: %+v", e.Event, e.Status, e)
		}
		raw, _ := json.Marshal(e.Metadata)
		var meta map[string]any
		json.Unmarshal(raw, &meta)
		for k, v := range w.meta {
			m, ok := meta[k]
			if !ok || (v != nil && !reflect.DeepEqual(m, v)) {
				t.Fatalf("event %s: metadata %s = %v, want %v (all: %s)", e.Event, k, m, v, raw)
			}
		}
		left = slices.Delete(left, i, i+1)
	}
	if len(left) > 0 {
		t.Fatalf("unexpected events %s (wanted %d)", describeEvents(left), len(want))
	}
}

func describeEvents(evs []store.AuditEvent) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = fmt.Sprintf("%s(actor %s/%s, target %s/%s)", e.Event, e.ActorType, e.ActorID, e.TargetType, e.TargetID)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

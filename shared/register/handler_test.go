package register

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

const (
	guideBasic = `{"client_name":"my-agent","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_basic","scope":"mcp:read mcp:write"}`
	guideFull  = `{"client_name":"my-mcp-agent","grant_types":["client_credentials"],"scope":"mcp:read mcp:write"}`
	cursorLike = `{"client_name":"Cursor","redirect_uris":["cursor://anysphere.cursor-retrieval/oauth/user-callback","https://cursor.com/oauth/callback","http://localhost:8787/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"cursor_extra":{"v":1}}`
	claudeLike = `{"client_name":"Claude","redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"client_secret_post"}`
)

func TestRegisterGuideSnippetsGetTokens(t *testing.T) {
	hs := newHarness(t, false)
	for _, body := range []string{guideBasic, guideFull} {
		doc := hs.registered(body)
		id, secret := str(doc, "client_id"), str(doc, "client_secret")
		if !strings.HasPrefix(id, "shark_dcr_") || len(secret) != 64 || doc["client_secret_expires_at"] != float64(0) ||
			str(doc, "registration_client_uri") != rootIssuer+"/oauth/register/"+id || len(str(doc, "registration_access_token")) < 32 ||
			doc["client_id_issued_at"] != float64(t0.Unix()) || str(doc, "scope") != "mcp:read mcp:write" ||
			str(doc, "token_endpoint_auth_method") != "client_secret_basic" {
			t.Fatalf("document: %v", doc)
		}
		// The SDK authenticates with client_secret_post, whatever was registered.
		w := hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
			"scope": {"mcp:read"}, "audience": {"https://mcp.example.com"}}, "")
		if w.Code != http.StatusOK {
			t.Fatalf("token (post): %d %s", w.Code, w.Body)
		}
		w = hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(id, secret))
		if w.Code != http.StatusOK {
			t.Fatalf("token (basic): %d %s", w.Code, w.Body)
		}
		// The client is an agent of the tenant, stored with only hashes.
		c, err := hs.st.GetClient(t.Context(), tenant.MustID("acme"), id)
		if err != nil || c.Kind != "dcr" || !strings.HasPrefix(c.ID, "agent_") || !c.Active ||
			!ids.Matches(secret, c.SecretHash) || !ids.Matches(str(doc, "registration_access_token"), c.RATHash) {
			t.Fatalf("stored client: %+v %v", c, err)
		}
		if strings.Contains(string(c.Registration), secret) || strings.Contains(string(c.Registration), str(doc, "registration_access_token")) {
			t.Fatal("the stored registration holds a credential")
		}
	}
}

func basic(id, secret string) string {
	return "Basic " + base64std(url.QueryEscape(id)+":"+url.QueryEscape(secret))
}

func TestRegisterRealClientShapes(t *testing.T) {
	hs := newHarness(t, false)
	cases := []struct {
		name, body string
		secret     bool
		redirects  int
	}{
		{"cursor", cursorLike, false, 3},
		{"claude", claudeLike, true, 1},
		{"vscode native", `{"client_name":"Visual Studio Code","application_type":"native","redirect_uris":["vscode://vscode.github-authentication/did-authenticate","http://127.0.0.1:33418/"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}`, false, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := hs.registered(c.body)
			_, hasSecret := doc["client_secret"]
			if hasSecret != c.secret || len(doc["redirect_uris"].([]any)) != c.redirects || doc["cursor_extra"] != nil {
				t.Fatalf("document: %v", doc)
			}
			// A public client identifies itself by client_id alone for the
			// user grants (an unknown code or refresh token is invalid_grant)
			// and may use no machine grant.
			redirect := doc["redirect_uris"].([]any)[0].(string)
			userGrant := url.Values{"code": {"x"}, "refresh_token": {"x"}, "redirect_uri": {redirect}, "code_verifier": {strings.Repeat("v", 43)}}
			if !c.secret {
				for _, gt := range []string{"authorization_code", "refresh_token"} {
					v := url.Values{"grant_type": {gt}, "client_id": {str(doc, "client_id")}}
					for k, vs := range userGrant {
						v[k] = vs
					}
					wantError(t, hs.form("", "/oauth/token", v, ""), 400, "invalid_grant")
				}
				for _, gt := range []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"} {
					w := hs.form("", "/oauth/token", url.Values{"grant_type": {gt}, "client_id": {str(doc, "client_id")}}, "")
					wantError(t, w, 400, "unauthorized_client")
				}
			}
			if c.secret {
				// A confidential client must authenticate: client_id alone is not enough.
				wantError(t, hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {str(doc, "client_id")}}, ""), 401, "invalid_client")
				v := url.Values{"grant_type": {"authorization_code"}, "client_id": {str(doc, "client_id")}, "client_secret": {str(doc, "client_secret")}}
				for k, vs := range userGrant {
					v[k] = vs
				}
				wantError(t, hs.form("", "/oauth/token", v, ""), 400, "invalid_grant")
				w := hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"},
					"client_id": {str(doc, "client_id")}, "client_secret": {str(doc, "client_secret")}}, "")
				wantError(t, w, 400, "unauthorized_client")
			}
		})
	}
}

func TestPublicClientIdentification(t *testing.T) {
	hs := newHarness(t, false)
	pub := hs.registered(cursorLike)
	conf := hs.registered(guideBasic)
	deleted := hs.registered(cursorLike)
	if w := hs.manage("DELETE", str(deleted, "client_id"), str(deleted, "registration_access_token"), "", ""); w.Code != 204 {
		t.Fatal(w.Body)
	}
	// A public client whose grants were widened (as an admin could) is
	// still refused every served grant.
	widened := store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_dcr_"), Kind: "dcr", Name: "widened", AuthMethod: "none",
		GrantTypes: []string{"client_credentials"}, Active: true, CreatedAt: hs.now}
	if err := hs.st.CreateClient(t.Context(), tenant.MustID("acme"), widened, store.AuditEvent{ID: ids.New("aud_"), CreatedAt: hs.now}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"public client with widened grants", url.Values{"grant_type": {"client_credentials"}, "client_id": {widened.ClientID}}, 400, "unauthorized_client"},
		{"public client, authorization_code with an unknown code", url.Values{"grant_type": {"authorization_code"}, "client_id": {str(pub, "client_id")},
			"code": {"x"}, "redirect_uri": {pub["redirect_uris"].([]any)[0].(string)}, "code_verifier": {strings.Repeat("v", 43)}}, 400, "invalid_grant"},
		{"public client, client_credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {str(pub, "client_id")}}, 400, "unauthorized_client"},
		{"confidential client without secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {str(conf, "client_id")}}, 401, "invalid_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"shark_dcr_nope"}}, 401, "invalid_client"},
		{"deleted public client", url.Values{"grant_type": {"authorization_code"}, "client_id": {str(deleted, "client_id")}}, 401, "invalid_client"},
		{"no client_id", url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, hs.form("", "/oauth/token", c.form, ""), c.status, c.code)
		})
	}
	// Revocation and introspection never accept a public client.
	wantError(t, hs.form("", "/oauth/introspect", url.Values{"token": {"x"}, "client_id": {str(pub, "client_id")}}, ""), 401, "invalid_client")
}

func TestRegisterErrors(t *testing.T) {
	hs := newHarness(t, false)
	big := `{"client_name":"a","x":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name   string
		q      req
		status int
		code   string
	}{
		{"form body", req{body: "client_name=a", ctype: "application/x-www-form-urlencoded"}, 400, "invalid_request"},
		{"text body", req{body: guideFull, ctype: "text/plain"}, 400, "invalid_request"},
		{"no content type", req{body: guideFull, ctype: "-"}, 400, "invalid_request"},
		{"malformed json", req{body: `{"client_name":"a",}`}, 400, "invalid_client_metadata"},
		{"wrong field type", req{body: `{"client_name":"a","grant_types":"client_credentials"}`}, 400, "invalid_client_metadata"},
		{"unknown grant type", req{body: `{"client_name":"a","grant_types":["urn:ietf:params:oauth:grant-type:device_code"]}`}, 400, "invalid_client_metadata"},
		{"unknown auth method", req{body: `{"client_name":"a","token_endpoint_auth_method":"tls_client_auth"}`}, 400, "invalid_client_metadata"},
		{"http redirect off loopback", req{body: `{"client_name":"a","redirect_uris":["http://evil.example/cb"],"token_endpoint_auth_method":"none"}`}, 400, "invalid_redirect_uri"},
		{"fragment", req{body: `{"client_name":"a","redirect_uris":["https://a.example/cb#x"],"token_endpoint_auth_method":"none"}`}, 400, "invalid_redirect_uri"},
		{"javascript", req{body: `{"client_name":"a","redirect_uris":["javascript:alert(1)"],"token_endpoint_auth_method":"none"}`}, 400, "invalid_redirect_uri"},
		{"wildcard", req{body: `{"client_name":"a","redirect_uris":["https://*.example/cb"],"token_endpoint_auth_method":"none"}`}, 400, "invalid_redirect_uri"},
		{"over 1 MiB", req{body: big}, 413, "invalid_request"},
		{"GET collection", req{method: http.MethodGet}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.q.ctype == "-" {
				c.q.ctype = ""
				c.q.headers = map[string]string{"Content-Type": ""}
			}
			w := hs.do(c.q)
			if c.status == 0 {
				if w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusNotFound {
					t.Fatalf("GET /oauth/register: %d", w.Code)
				}
				return
			}
			wantError(t, w, c.status, c.code)
		})
	}
}

func TestRegisterTenantScopes(t *testing.T) {
	hs := newHarness(t, false)
	hs.addTenant("scoped", "http://localhost:8080/t/scoped", store.Tenant{Scopes: []string{"mcp:read", "mcp:write"}})
	if w := hs.do(req{tenant: "scoped", body: guideFull}); w.Code != http.StatusCreated {
		t.Fatalf("offered scopes: %d %s", w.Code, w.Body)
	}
	w := hs.do(req{tenant: "scoped", body: `{"client_name":"a","scope":"mcp:read admin"}`})
	wantError(t, w, 400, "invalid_client_metadata")
}

// withID adds client_id to a JSON object body, as an RFC 7592 update needs.
func withID(id, body string) string {
	return `{"client_id":"` + id + `",` + strings.TrimPrefix(body, "{")
}

// manage runs an RFC 7592 request for client id with the RAT.
func (hs *harness) manage(method, id, rat, suffix, body string) *httptestRecorder {
	auth := ""
	if rat != "" {
		auth = "Bearer " + rat
	}
	return hs.do(req{method: method, path: "/oauth/register/" + id + suffix, auth: auth, body: body})
}

func TestManagementWithRAT(t *testing.T) {
	hs := newHarness(t, false)
	doc := hs.registered(guideBasic)
	id, rat, secret := str(doc, "client_id"), str(doc, "registration_access_token"), str(doc, "client_secret")

	t.Run("GET", func(t *testing.T) {
		w := hs.manage("GET", id, rat, "", "")
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		got := decode(t, w)
		if str(got, "client_id") != id || str(got, "client_name") != "my-agent" || got["client_secret"] != nil || got["registration_access_token"] != nil ||
			str(got, "registration_client_uri") != rootIssuer+"/oauth/register/"+id {
			t.Fatalf("read: %v", got)
		}
	})

	denied := []struct {
		name, method, id, auth, suffix string
	}{
		{"GET without RAT", "GET", id, "", ""},
		{"GET with wrong RAT", "GET", id, "Bearer " + ids.NewSecret(), ""},
		{"GET with Basic", "GET", id, basic(id, secret), ""},
		{"GET with the client secret as RAT", "GET", id, "Bearer " + secret, ""},
		{"GET of another client", "GET", "shark_dcr_other", "Bearer " + rat, ""},
		{"PUT without RAT", "PUT", id, "", ""},
		{"DELETE with wrong RAT", "DELETE", id, "Bearer x", ""},
		{"secret rotation without RAT", "POST", id, "", "/secret"},
		{"RAT rotation with wrong RAT", "DELETE", id, "Bearer nope", "/registration-token"},
	}
	for _, c := range denied {
		t.Run(c.name, func(t *testing.T) {
			w := hs.do(req{method: c.method, path: "/oauth/register/" + c.id + c.suffix, auth: c.auth, body: guideBasic})
			wantError(t, w, 401, "invalid_token")
			if ch := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer ") || !strings.Contains(ch, `error="invalid_token"`) {
				t.Fatalf("challenge %q", ch)
			}
		})
	}

	t.Run("RAT of tenant A on tenant B", func(t *testing.T) {
		w := hs.do(req{tenant: "beta", method: "GET", path: "/oauth/register/" + id, auth: "Bearer " + rat})
		wantError(t, w, 401, "invalid_token")
	})

	t.Run("an admin-created agent cannot be managed with a guessed RAT", func(t *testing.T) {
		c := store.Client{ID: ids.New("agent_"), ClientID: ids.New("shark_agent_"), Kind: "agent", Name: "x", Active: true, CreatedAt: hs.now, RATHash: ids.Hash("known")}
		if err := hs.st.CreateClient(t.Context(), tenant.MustID("acme"), c, store.AuditEvent{ID: ids.New("aud_"), CreatedAt: hs.now}); err != nil {
			t.Fatal(err)
		}
		wantError(t, hs.manage("GET", c.ClientID, "known", "", ""), 401, "invalid_token")
	})

	t.Run("PUT replaces the metadata, client_id immutable", func(t *testing.T) {
		w := hs.manage("PUT", id, rat, "", `{"client_id":"`+id+`","client_name":"renamed","grant_types":["client_credentials"],"scope":"mcp:read","token_endpoint_auth_method":"client_secret_post"}`)
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		got := decode(t, w)
		if str(got, "client_name") != "renamed" || str(got, "scope") != "mcp:read" || got["client_secret"] != nil || str(got, "token_endpoint_auth_method") != "client_secret_post" {
			t.Fatalf("update: %v", got)
		}
		c, _ := hs.st.GetClient(t.Context(), tenant.MustID("acme"), id)
		if c.Name != "renamed" || !slices.Equal(c.Scopes, []string{"mcp:read"}) || !ids.Matches(secret, c.SecretHash) {
			t.Fatalf("stored: %+v", c)
		}
		wantError(t, hs.manage("PUT", id, rat, "", `{"client_id":"shark_dcr_other","client_name":"x"}`), 400, "invalid_client_metadata")
		wantError(t, hs.manage("PUT", id, rat, "", withID(id, `{"client_name":"x","redirect_uris":["http://evil.example/cb"],"token_endpoint_auth_method":"none"}`)), 400, "invalid_redirect_uri")
		wantError(t, hs.manage("PUT", id, rat, "", withID(id, `{"client_name":5}`)), 400, "invalid_client_metadata")
		wantError(t, hs.do(req{method: "PUT", path: "/oauth/register/" + id, auth: "Bearer " + rat, body: "client_name=x", ctype: "application/x-www-form-urlencoded"}), 400, "invalid_request")
		// Omitted fields are removed (full replacement): scope is gone.
		w = hs.manage("PUT", id, rat, "", withID(id, `{"client_name":"bare"}`))
		if got := decode(t, w); w.Code != 200 || got["scope"] != nil {
			t.Fatalf("replacement kept the scope: %v", got)
		}
	})

	t.Run("secret rotation", func(t *testing.T) {
		w := hs.manage("POST", id, rat, "/secret", "")
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		fresh := str(decode(t, w), "client_secret")
		if len(fresh) != 64 || fresh == secret {
			t.Fatalf("new secret %q", fresh)
		}
		wantError(t, hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, ""), 401, "invalid_client")
		if w := hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {fresh}}, ""); w.Code != 200 {
			t.Fatalf("new secret refused: %s", w.Body)
		}
		secret = fresh
	})

	t.Run("RAT rotation", func(t *testing.T) {
		w := hs.manage("DELETE", id, rat, "/registration-token", "")
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		fresh := str(decode(t, w), "registration_access_token")
		if fresh == "" || fresh == rat {
			t.Fatalf("new RAT %q", fresh)
		}
		wantError(t, hs.manage("GET", id, rat, "", ""), 401, "invalid_token")
		if w := hs.manage("GET", id, fresh, "", ""); w.Code != 200 {
			t.Fatalf("new RAT refused: %s", w.Body)
		}
		rat = fresh
	})

	t.Run("DELETE makes its tokens inactive at once", func(t *testing.T) {
		w := hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, "")
		if w.Code != 200 {
			t.Fatalf("token: %s", w.Body)
		}
		at := str(decode(t, w), "access_token")
		introspect := func() map[string]any {
			w := hs.form("", "/oauth/introspect", url.Values{"token": {at}}, "Bearer "+hs.admin["acme"])
			if w.Code != 200 {
				t.Fatalf("introspect: %d %s", w.Code, w.Body)
			}
			return decode(t, w)
		}
		if introspect()["active"] != true {
			t.Fatal("token inactive before delete")
		}
		w = hs.manage("DELETE", id, rat, "", "")
		if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
			t.Fatalf("delete: %d %s", w.Code, w.Body)
		}
		if got := introspect(); len(got) != 1 || got["active"] != false {
			t.Fatalf("after delete: %v", got)
		}
		wantError(t, hs.manage("GET", id, rat, "", ""), 401, "invalid_token")
		wantError(t, hs.manage("DELETE", id, rat, "", ""), 401, "invalid_token")
		wantError(t, hs.form("", "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, ""), 401, "invalid_client")
		c, err := hs.st.GetClient(t.Context(), tenant.MustID("acme"), id)
		if err != nil || c.Active || c.RevokedBefore.IsZero() || len(c.RATHash) != 0 || len(c.SecretHash) != 0 {
			t.Fatalf("deleted client: %+v %v", c, err)
		}
	})

	t.Run("secret rotation of a public client", func(t *testing.T) {
		pub := hs.registered(cursorLike)
		wantError(t, hs.manage("POST", str(pub, "client_id"), str(pub, "registration_access_token"), "/secret", ""), 400, "invalid_request")
	})

	t.Run("PUT from public to confidential issues a secret", func(t *testing.T) {
		pub := hs.registered(cursorLike)
		w := hs.manage("PUT", str(pub, "client_id"), str(pub, "registration_access_token"), "", withID(str(pub, "client_id"), `{"client_name":"now confidential"}`))
		if got := decode(t, w); w.Code != 200 || len(str(got, "client_secret")) != 64 {
			t.Fatalf("%d %v", w.Code, got)
		}
	})
}

func TestPolicies(t *testing.T) {
	hs := newHarness(t, false)
	hs.addTenant("closed", "http://localhost:8080/t/closed", store.Tenant{DCRPolicy: PolicyClosed})
	hs.addTenant("gated", "http://localhost:8080/t/gated", store.Tenant{DCRPolicy: PolicyInitialAccessToken})
	publisher := newKey(t, "pub-1")
	stranger := newKey(t, "pub-1")
	hs.addTenant("signed", "http://localhost:8080/t/signed", store.Tenant{DCRPolicy: PolicySoftwareStatement,
		SoftwarePublishers: []store.SoftwarePublisher{{Issuer: "https://publisher.example", JWKS: json.RawMessage(publisher.jwks())}}})

	gated := tenant.MustID("gated")
	mint := func(single bool, ttl time.Duration) string {
		secret := ids.NewSecret()
		k := store.InitialAccessToken{ID: ids.New("iat_"), Hash: ids.Hash(secret), SingleUse: single, ExpiresAt: hs.now.Add(ttl), CreatedAt: hs.now}
		if err := hs.st.CreateInitialAccessToken(t.Context(), gated, k, store.AuditEvent{ID: ids.New("aud_"), CreatedAt: hs.now}); err != nil {
			t.Fatal(err)
		}
		return k.ID + "|" + secret
	}
	single := strings.Split(mint(true, time.Hour), "|")[1]
	multi := mint(false, time.Hour)
	expiring := strings.Split(mint(false, time.Minute), "|")[1]
	revoked := strings.Split(multi, "|")

	statement := func(k ecKey, claims map[string]any) string {
		base := map[string]any{"iss": "https://publisher.example", "software_id": "sw-1", "client_name": "Signed Agent", "scope": "mcp:read", "iat": hs.now.Unix(), "exp": hs.now.Add(time.Hour).Unix()}
		for k, v := range claims {
			base[k] = v
		}
		return k.sign(t, base)
	}
	withStatement := func(s string) string {
		return `{"client_name":"requested","scope":"mcp:read mcp:write","software_statement":"` + s + `"}`
	}

	cases := []struct {
		name   string
		q      req
		status int
		code   string
		check  func(doc map[string]any) bool
	}{
		{"open by default", req{body: guideFull}, 201, "", nil},
		{"closed", req{tenant: "closed", body: guideFull}, 403, "access_denied", nil},
		{"iat: anonymous", req{tenant: "gated", body: guideFull}, 401, "invalid_token", nil},
		{"iat: unknown token", req{tenant: "gated", body: guideFull, auth: "Bearer " + ids.NewSecret()}, 401, "invalid_token", nil},
		{"iat: Basic instead of Bearer", req{tenant: "gated", body: guideFull, auth: basic("a", single)}, 401, "invalid_token", nil},
		{"iat: single-use accepted", req{tenant: "gated", body: guideFull, auth: "Bearer " + single}, 201, "", nil},
		{"iat: single-use reused", req{tenant: "gated", body: guideFull, auth: "Bearer " + single}, 401, "invalid_token", nil},
		{"iat: multi-use once", req{tenant: "gated", body: guideFull, auth: "Bearer " + revoked[1]}, 201, "", nil},
		{"iat: multi-use twice", req{tenant: "gated", body: guideFull, auth: "Bearer " + revoked[1]}, 201, "", nil},
		{"iat: token of another tenant", req{tenant: "acme", body: guideFull, auth: "Bearer " + single}, 201, "", nil}, // open tenant: header ignored
		{"ss: missing statement", req{tenant: "signed", body: guideFull}, 400, "invalid_software_statement", nil},
		{"ss: trusted statement, claims override", req{tenant: "signed", body: withStatement(statement(publisher, nil))}, 201, "",
			func(doc map[string]any) bool {
				return str(doc, "client_name") == "Signed Agent" && str(doc, "scope") == "mcp:read" && str(doc, "software_id") == "sw-1"
			}},
		{"ss: bad signature", req{tenant: "signed", body: withStatement(statement(stranger, nil))}, 400, "invalid_software_statement", nil},
		{"ss: tampered payload", req{tenant: "signed", body: withStatement(tamper(statement(publisher, nil)))}, 400, "invalid_software_statement", nil},
		{"ss: unknown issuer", req{tenant: "signed", body: withStatement(statement(publisher, map[string]any{"iss": "https://other.example"}))}, 400, "unapproved_software_statement", nil},
		{"ss: expired", req{tenant: "signed", body: withStatement(statement(publisher, map[string]any{"exp": hs.now.Add(-time.Hour).Unix()}))}, 400, "invalid_software_statement", nil},
		{"ss: not a JWT", req{tenant: "signed", body: withStatement("not.a.jwt")}, 400, "invalid_software_statement", nil},
		{"ss: unsigned alg none", req{tenant: "signed", body: withStatement(unsigned(map[string]any{"iss": "https://publisher.example", "client_name": "x"}))}, 400, "invalid_software_statement", nil},
		{"ss: claims that break the metadata", req{tenant: "signed", body: withStatement(statement(publisher, map[string]any{"redirect_uris": []string{"http://evil.example/cb"}, "token_endpoint_auth_method": "none"}))}, 400, "invalid_redirect_uri", nil},
		{"ss: statement on an open tenant that trusts no one", req{body: withStatement(statement(publisher, nil))}, 400, "unapproved_software_statement", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "iat: multi-use twice" {
				defer func() {
					// then revoke it: it stops working at once
					if _, err := hs.st.RevokeInitialAccessToken(t.Context(), gated, revoked[0], store.AuditEvent{ID: ids.New("aud_"), CreatedAt: hs.now}); err != nil {
						t.Fatal(err)
					}
					wantError(t, hs.do(req{tenant: "gated", body: guideFull, auth: "Bearer " + revoked[1]}), 401, "invalid_token")
				}()
			}
			w := hs.do(c.q)
			if c.status != 201 {
				wantError(t, w, c.status, c.code)
				if c.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
					t.Fatalf("challenge %q", w.Header().Get("WWW-Authenticate"))
				}
				return
			}
			if w.Code != 201 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if c.check != nil && !c.check(decode(t, w)) {
				t.Fatalf("document: %s", w.Body)
			}
		})
	}
	t.Run("ss: an update needs a statement too", func(t *testing.T) {
		w := hs.do(req{tenant: "signed", body: withStatement(statement(publisher, nil))})
		doc := decode(t, w)
		path := "/oauth/register/" + str(doc, "client_id")
		auth := "Bearer " + str(doc, "registration_access_token")
		wantError(t, hs.do(req{tenant: "signed", method: "PUT", path: path, auth: auth, body: withID(str(doc, "client_id"), `{"client_name":"free","scope":"mcp:admin"}`)}), 400, "invalid_software_statement")
		w = hs.do(req{tenant: "signed", method: "PUT", path: path, auth: auth, body: withID(str(doc, "client_id"), withStatement(statement(publisher, map[string]any{"client_name": "Signed Agent v2"})))})
		if got := decode(t, w); w.Code != 200 || str(got, "client_name") != "Signed Agent v2" || str(got, "scope") != "mcp:read" {
			t.Fatalf("%d %v", w.Code, got)
		}
	})
	t.Run("iat: expired", func(t *testing.T) {
		hs.now = hs.now.Add(2 * time.Minute)
		wantError(t, hs.do(req{tenant: "gated", body: guideFull, auth: "Bearer " + expiring}), 401, "invalid_token")
	})
}

func tamper(jws string) string {
	parts := strings.Split(jws, ".")
	payload, _ := base64url(parts[1])
	payload = []byte(strings.Replace(string(payload), "Signed Agent", "Evil Agent!!", 1))
	parts[1] = encodeURL(payload)
	return strings.Join(parts, ".")
}

func unsigned(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	return encodeURL([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + encodeURL(b) + "."
}

func TestRateLimits(t *testing.T) {
	hs := newHarness(t, false)
	hs.reg.Limits = Limits{PerAddress: 2, PerTenant: 3, Window: time.Minute}
	for i := range 2 {
		if w := hs.do(req{body: guideFull, remote: "198.51.100.7:1000"}); w.Code != 201 {
			t.Fatalf("registration %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := hs.do(req{body: guideFull, remote: "198.51.100.7:2000"})
	wantError(t, w, 429, "slow_down")
	if ra := w.Header().Get("Retry-After"); ra != "60" {
		t.Fatalf("Retry-After %q", ra)
	}
	// Another address still fits the tenant's limit, then the tenant's limit holds for everyone.
	if w := hs.do(req{body: guideFull, remote: "198.51.100.8:1000"}); w.Code != 201 {
		t.Fatalf("other address: %d %s", w.Code, w.Body)
	}
	wantError(t, hs.do(req{body: guideFull, remote: "198.51.100.9:1000"}), 429, "slow_down")
	// Another tenant has its own counters.
	if w := hs.do(req{tenant: "beta", body: guideFull, remote: "198.51.100.7:1000"}); w.Code != 201 {
		t.Fatalf("other tenant: %d %s", w.Code, w.Body)
	}
	// The next window admits again; Retry-After counts down within a window.
	hs.now = hs.now.Add(30 * time.Second)
	if w := hs.do(req{body: guideFull, remote: "198.51.100.7:1000"}); w.Header().Get("Retry-After") != "30" {
		t.Fatalf("Retry-After mid-window %q", w.Header().Get("Retry-After"))
	}
	hs.now = hs.now.Add(30 * time.Second)
	if w := hs.do(req{body: guideFull, remote: "198.51.100.7:1000"}); w.Code != 201 {
		t.Fatalf("next window: %d %s", w.Code, w.Body)
	}
}

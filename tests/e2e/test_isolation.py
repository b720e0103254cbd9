"""Tenant isolation over HTTP: for every route, a credential, token or id of tenant A
is refused on tenant B's URL (and B's answer never changes A). Both directions, the
root tenant and a path tenant."""
import pytest
import requests
from shark_auth import Client, DPoPHTTPClient, DPoPProver, OAuthClient

from conftest import free_port
from test_guides import ResourceServer, mcp_server_bin  # noqa: F401  (fixture)

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"


class Tenant:
    def __init__(self, base, key):
        self.base, self.key = base, key
        self.admin = Client(base_url=base, token=key)
        self.h = {"Authorization": f"Bearer {key}"}
        self.user = self.admin.users.create_user(f"owner@{base.rsplit('/', 1)[-1].replace(':', '-')}.example.com")
        self.agent = self.admin.agents.register_agent(app_id="app_iso", name="agent-iso", scopes=["mcp:read"],
                                                      created_by=self.user["id"])
        self.app = self.admin.apps.create(name="iso-app")
        self.api_key = requests.post(f"{base}/api/v1/api-keys", json={"name": "second", "scopes": ["*"]}, headers=self.h).json()
        other = self.admin.agents.register_agent(app_id="app_iso", name="agent-iso-2", scopes=["mcp:read"])
        grant = requests.post(f"{base}/api/v1/admin/may-act", json={"from_id": other["id"], "to_id": self.agent["id"]},
                              headers=self.h)
        assert grant.status_code == 201, grant.text
        self.grant = grant.json()
        dcr = requests.post(f"{base}/oauth/register", json={"client_name": "iso-dcr", "scope": "mcp:read"})
        assert dcr.status_code == 201, dcr.text
        self.dcr = dcr.json()
        self.prover = DPoPProver.generate()
        self.token = OAuthClient(base).get_token_with_dpop(
            grant_type="client_credentials", dpop_prover=self.prover, client_id=self.agent["client_id"],
            client_secret=self.agent["client_secret"], scope="mcp:read").access_token

    def introspect(self, token):
        return requests.post(f"{self.base}/oauth/introspect", data={"token": token}, headers=self.h).json()


@pytest.fixture(params=["root-then-acme", "acme-then-root"])
def pair(stack, request):
    created = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": "acme"},
                            headers={"Authorization": f"Bearer {stack.key('platform')}"})
    assert created.status_code == 201, created.text
    root = Tenant(stack.url, stack.key("admin"))
    acme = Tenant(created.json()["issuer"], created.json()["admin_key"])
    return (root, acme) if request.param == "root-then-acme" else (acme, root)


def test_admin_key_of_a_is_refused_on_b(pair):
    a, b = pair
    for method, path in [("GET", "/api/v1/agents"), ("POST", "/api/v1/agents"), ("GET", "/api/v1/users"),
                         ("GET", "/api/v1/admin/apps"), ("GET", "/api/v1/api-keys"), ("GET", "/api/v1/admin/may-act"),
                         ("GET", "/api/v1/admin/signing-keys"), ("POST", "/api/v1/admin/oauth/revoke-by-pattern"),
                         ("GET", f"/api/v1/agents/{b.agent['id']}")]:
        r = requests.request(method, b.base + path, headers=a.h, json={})
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert r.json()["error"] == "unauthorized"
    # A's admin key cannot introspect or revoke on B either.
    for path in ("/oauth/introspect", "/oauth/revoke"):
        r = requests.post(b.base + path, data={"token": b.token}, headers=a.h)
        assert r.status_code == 401 and r.json()["error"] == "invalid_client", (path, r.text)
    assert b.introspect(b.token)["active"] is True


def test_client_secret_of_a_is_refused_on_b(pair):
    a, b = pair
    creds = {"client_id": a.agent["client_id"], "client_secret": a.agent["client_secret"]}
    for path, form in [("/oauth/token", {"grant_type": "client_credentials", **creds}),
                       ("/oauth/introspect", {"token": a.token, **creds}),
                       ("/oauth/revoke", {"token": a.token, **creds})]:
        r = requests.post(b.base + path, data=form)
        assert r.status_code == 401 and r.json()["error"] == "invalid_client", (path, r.text)
        basic = requests.post(b.base + path, data={k: v for k, v in form.items() if not k.startswith("client_")},
                              auth=(creds["client_id"], creds["client_secret"]))
        assert basic.status_code == 401 and basic.json()["error"] == "invalid_client", (path, basic.text)
        assert "Basic" in basic.headers.get("WWW-Authenticate", "")
    assert a.introspect(a.token)["active"] is True


def test_token_of_a_is_unknown_to_b(pair):
    a, b = pair
    # B's admin introspects A's token: inactive; B's revoke of it changes nothing at A.
    assert b.introspect(a.token) == {"active": False}
    assert requests.post(f"{b.base}/oauth/revoke", data={"token": a.token}, headers=b.h).status_code == 200
    assert a.introspect(a.token)["active"] is True
    # A subject token of A cannot be exchanged at B, even by B's agent naming itself.
    prover = DPoPProver.generate()
    r = requests.post(f"{b.base}/oauth/token", data={
        "grant_type": EXCHANGE, "subject_token": a.token, "subject_token_type": AT,
        "client_id": b.agent["client_id"], "client_secret": b.agent["client_secret"]},
        headers={"DPoP": prover.make_proof("POST", f"{b.base}/oauth/token")})
    assert r.status_code in (400, 403), r.text
    assert r.json()["error"] in ("invalid_grant", "access_denied", "invalid_request"), r.text


def test_token_of_a_is_refused_by_bs_resource_server(pair, mcp_server_bin):
    a, b = pair
    port = free_port()
    rs = ResourceServer(b.base, f"http://127.0.0.1:{port}", port=port)
    try:
        # A's token, even with A's key and an audience matching B's server, is not B's.
        t = OAuthClient(a.base).get_token_with_dpop(
            grant_type="client_credentials", dpop_prover=a.prover, client_id=a.agent["client_id"],
            client_secret=a.agent["client_secret"], scope="mcp:read", audience=rs.url)
        r = DPoPHTTPClient(rs.url).get_with_dpop("/x", token=t.access_token, prover=a.prover)
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        mine = OAuthClient(b.base).get_token_with_dpop(
            grant_type="client_credentials", dpop_prover=b.prover, client_id=b.agent["client_id"],
            client_secret=b.agent["client_secret"], scope="mcp:read", audience=rs.url)
        assert DPoPHTTPClient(rs.url).get_with_dpop("/x", token=mine.access_token, prover=b.prover).status_code == 200
    finally:
        rs.stop()


def test_registration_access_token_of_a_is_refused_on_b(pair):
    a, b = pair
    rat = {"Authorization": f"Bearer {a.dcr['registration_access_token']}"}
    cid = a.dcr["client_id"]
    for method, path, body in [("GET", f"/oauth/register/{cid}", None),
                               ("PUT", f"/oauth/register/{cid}", {"client_id": cid, "client_name": "hijack"}),
                               ("DELETE", f"/oauth/register/{cid}", None),
                               ("POST", f"/oauth/register/{cid}/secret", None),
                               ("DELETE", f"/oauth/register/{cid}/registration-token", None),
                               # B's own client with A's RAT.
                               ("GET", f"/oauth/register/{b.dcr['client_id']}", None)]:
        r = requests.request(method, b.base + path, headers=rat, json=body)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token", (method, path, r.text)
    r = requests.get(f"{a.base}/oauth/register/{cid}", headers=rat)
    assert r.status_code == 200 and r.json()["client_name"] == "iso-dcr"


def test_ids_of_a_are_not_found_on_b(pair):
    a, b = pair
    aid, cid, uid = a.agent["id"], a.agent["client_id"], a.user["id"]
    cases = [
        ("GET", f"/api/v1/agents/{aid}", None), ("GET", f"/api/v1/agents/{cid}", None),
        ("PATCH", f"/api/v1/agents/{aid}", {"name": "x"}), ("DELETE", f"/api/v1/agents/{aid}", None),
        ("GET", f"/api/v1/agents/{aid}/tokens", None), ("POST", f"/api/v1/agents/{aid}/tokens/revoke-all", None),
        ("POST", f"/api/v1/agents/{aid}/rotate-secret", None),
        ("POST", f"/api/v1/agents/{aid}/rotate-dpop-key", {"new_public_jwk": DPoPProver.generate().public_jwk}),
        ("GET", f"/api/v1/agents/{a.dcr['client_id']}", None),
        ("GET", f"/api/v1/users/{uid}", None), ("PATCH", f"/api/v1/users/{uid}", {"name": "x"}),
        ("DELETE", f"/api/v1/users/{uid}", None), ("GET", f"/api/v1/users/{uid}/agents", None),
        ("GET", f"/api/v1/admin/apps/{a.app['id']}", None), ("PATCH", f"/api/v1/admin/apps/{a.app['id']}", {"name": "x"}),
        ("DELETE", f"/api/v1/admin/apps/{a.app['id']}", None), ("POST", f"/api/v1/admin/apps/{a.app['id']}/rotate-secret", None),
        ("GET", f"/api/v1/api-keys/{a.api_key['id']}", None), ("DELETE", f"/api/v1/api-keys/{a.api_key['id']}", None),
        ("POST", f"/api/v1/api-keys/{a.api_key['id']}/rotate", None),
        ("GET", f"/api/v1/admin/may-act/{a.grant['id']}", None), ("DELETE", f"/api/v1/admin/may-act/{a.grant['id']}", None),
    ]
    for method, path, body in cases:
        r = requests.request(method, b.base + path, headers=b.h, json=body)
        assert r.status_code == 404 and r.json()["error"] == "not_found", (method, path, r.status_code, r.text)
    # A user id of A names nobody at B: the cascade revokes nothing, at B or at A.
    r = requests.post(f"{b.base}/api/v1/users/{uid}/revoke-agents", json={}, headers=b.h)
    assert r.status_code == 200 and r.json()["revoked_agent_ids"] == []
    assert a.introspect(a.token)["active"] is True
    assert a.admin.agents.get_agent(aid)["active"] is True
    assert a.admin.users.get_user(uid)["id"] == uid


def test_audit_cursor_and_event_ids_of_a_are_refused_on_b(pair):
    a, b = pair
    page = requests.get(f"{a.base}/api/v1/audit-logs", params={"limit": 1}, headers=a.h)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["has_more"] and body["next_cursor"]
    event_id = body["data"][0]["id"]
    r = requests.get(f"{b.base}/api/v1/audit-logs/{event_id}", headers=b.h)
    assert r.status_code == 404 and r.json()["error"] == "not_found", r.text
    r = requests.get(f"{b.base}/api/v1/audit-logs", params={"limit": 1, "cursor": body["next_cursor"]}, headers=b.h)
    assert r.status_code == 400 and r.json()["error"] in ("invalid_parameter", "invalid_request"), r.text
    r = requests.get(f"{b.base}/api/v1/audit-logs", headers=a.h)
    assert r.status_code == 401
    # B's log names none of A's ids.
    everything = requests.get(f"{b.base}/api/v1/audit-logs", params={"limit": 200}, headers=b.h).json()["data"]
    for ev in everything:
        assert a.agent["id"] not in str(ev) and a.agent["client_id"] not in str(ev) and a.user["id"] not in str(ev)

"""Registration policy end to end (issue 20, P1/P3/P11), on the embedded engine and,
with SHARK_E2E_LAMBDA=1, through aws-lambda-rie on DynamoDB: what an anonymous
registrant may assign itself (the tenant's dcr_scopes), the admin's settings as the
ceiling of RFC 7592 updates, and the end of self-management on deactivation."""
import time

import pytest
import requests
from shark_auth import DPoPProver, OAuthClient, SharkAPIError


def platform(stack, method, path, **kw):
    return requests.request(method, f"{stack.url}/platform/v1{path}",
                            headers={"Authorization": f"Bearer {stack.key('platform')}"}, **kw)


def token(base, creds, scope=None):
    data = {"grant_type": "client_credentials", "client_id": creds["client_id"], "client_secret": creds["client_secret"]}
    if scope is not None:
        data["scope"] = scope
    return requests.post(f"{base}/oauth/token", data=data)


def test_anonymous_registration_cannot_assign_itself_any_scope(stack):
    # A tenant created without dcr_scopes shows and applies the safe default.
    r = platform(stack, "POST", "/tenants", json={"id": "anon"})
    assert r.status_code == 201, r.text
    assert r.json()["tenant"]["dcr_scopes"] == ["mcp:read", "mcp:write"]
    base = f"{stack.url}/t/anon"

    r = requests.post(f"{base}/oauth/register", json={"client_name": "anon", "scope": "mcp:admin billing:write *"})
    assert r.status_code == 201, r.text
    creds = r.json()
    assert "scope" not in creds  # nothing was granted
    for s in ("mcp:admin", "billing:write", "*", "mcp:admin billing:write *"):
        r = token(base, creds, s)
        assert r.status_code == 400 and r.json()["error"] == "invalid_scope", r.text
    r = token(base, creds)
    assert r.status_code == 200 and "scope" not in r.json(), r.text

    # The MCP guide's registration is granted in full, and its token follows.
    r = requests.post(f"{base}/oauth/register", json={"client_name": "guide", "grant_types": ["client_credentials"],
                                                      "scope": "mcp:read mcp:write mcp:admin"})
    assert r.status_code == 201 and r.json()["scope"] == "mcp:read mcp:write", r.text
    prover = DPoPProver.generate()
    tok = OAuthClient(base).get_token_with_dpop(grant_type="client_credentials", dpop_prover=prover,
                                                client_id=r.json()["client_id"], client_secret=r.json()["client_secret"],
                                                scope="mcp:read mcp:write")
    assert tok.scope == "mcp:read mcp:write"


def test_the_first_boot_tenant_gets_the_default(stack):
    # The root tenant's record is written at first boot without dcr_scopes: the default applies.
    assert platform(stack, "GET", "/tenants/default").json()["dcr_scopes"] == ["mcp:read", "mcp:write"]
    r = requests.post(f"{stack.url}/oauth/register", json={"client_name": "anon", "scope": "mcp:admin mcp:read billing:write"})
    assert r.status_code == 201 and r.json()["scope"] == "mcp:read", r.text


def test_dcr_scopes_through_the_platform_api(stack):
    r = platform(stack, "POST", "/tenants", json={"id": "tools", "dcr_scopes": ["tools:call"]})
    assert r.status_code == 201, r.text
    assert r.json()["tenant"]["dcr_scopes"] == ["tools:call"]
    base = f"{stack.url}/t/tools"
    r = requests.post(f"{base}/oauth/register", json={"client_name": "a", "scope": "tools:call mcp:read"})
    assert r.status_code == 201 and r.json()["scope"] == "tools:call", r.text

    r = platform(stack, "PATCH", "/tenants/tools", json={"dcr_scopes": []})
    assert r.status_code == 200 and r.json()["dcr_scopes"] == [], r.text
    assert platform(stack, "GET", "/tenants/tools").json()["dcr_scopes"] == []
    # Other function containers see the change within the tenant cache TTL (2 s here).
    deadline = time.monotonic() + 10
    while True:
        r = requests.post(f"{base}/oauth/register", json={"client_name": "b", "scope": "tools:call"})
        assert r.status_code == 201, r.text
        if "scope" not in r.json() or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert "scope" not in r.json(), r.text

    for bad in ({"dcr_scopes": "tools:call"}, {"dcr_scopes": ["two words"]}, {"dcr_scopes": [""]}):
        r = platform(stack, "PATCH", "/tenants/tools", json=bad)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_parameter" or r.json()["error"] == "invalid_request", r.text


def register_guide(base, **extra):
    body = {"client_name": "managed", "grant_types": ["client_credentials"], "scope": "mcp:read mcp:write", **extra}
    r = requests.post(f"{base}/oauth/register", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def put(base, creds, **fields):
    return requests.put(f"{base}/oauth/register/{creds['client_id']}", json={"client_id": creds["client_id"], **fields},
                        headers={"Authorization": f"Bearer {creds['registration_access_token']}"})


def test_an_update_cannot_undo_an_admins_narrowing(stack):
    base, admin = stack.url, {"Authorization": f"Bearer {stack.key('admin')}"}
    creds = register_guide(base)
    r = requests.patch(f"{base}/api/v1/agents/{creds['client_id']}", headers=admin,
                       json={"scopes": ["mcp:read"], "dpop_bound_access_tokens": True})
    assert r.status_code == 200, r.text

    r = put(base, creds, client_name="managed", grant_types=["client_credentials"], scope="mcp:read mcp:write",
            dpop_bound_access_tokens=False)
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "mcp:read" and r.json()["dpop_bound_access_tokens"] is True
    agent = requests.get(f"{base}/api/v1/agents/{creds['client_id']}", headers=admin).json()
    assert agent["scopes"] == ["mcp:read"] and agent["dpop_bound_access_tokens"] is True
    r = token(base, creds, "mcp:write")
    assert r.status_code == 400, r.text

    r = requests.patch(f"{base}/api/v1/agents/{creds['client_id']}", headers=admin, json={"grant_types": ["client_credentials"]})
    assert r.status_code == 200, r.text
    r = put(base, creds, client_name="managed", scope="mcp:read",
            grant_types=["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata", r.text


@pytest.mark.parametrize("how", ["delete", "patch"])
def test_admin_deactivation_ends_self_management(stack, how):
    base, admin = stack.url, {"Authorization": f"Bearer {stack.key('admin')}"}
    creds = register_guide(base)
    cid, rat = creds["client_id"], creds["registration_access_token"]
    if how == "delete":
        r = requests.delete(f"{base}/api/v1/agents/{cid}", headers=admin)
        assert r.status_code == 204, r.text
    else:
        r = requests.patch(f"{base}/api/v1/agents/{cid}", headers=admin, json={"active": False})
        assert r.status_code == 200, r.text
    bearer = {"Authorization": f"Bearer {rat}"}
    for method, suffix, body in [("GET", "", None), ("PUT", "", {"client_id": cid, "client_name": "revived"}),
                                 ("POST", "/secret", None), ("DELETE", "/registration-token", None), ("DELETE", "", None)]:
        r = requests.request(method, f"{base}/oauth/register/{cid}{suffix}", headers=bearer, json=body)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token", (method, suffix, r.text)
        assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    # Re-activating the agent does not revive its registration access token.
    if how == "patch":
        r = requests.patch(f"{base}/api/v1/agents/{cid}", headers=admin, json={"active": True})
        assert r.status_code == 200, r.text
        r = requests.get(f"{base}/oauth/register/{cid}", headers=bearer)
        assert r.status_code == 401, r.text
    agent = requests.get(f"{base}/api/v1/agents/{cid}", headers=admin).json()
    assert agent["name"] == "managed"

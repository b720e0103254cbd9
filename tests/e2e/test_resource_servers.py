"""Resource servers (issue 24): a least-privilege credential that introspects exactly the tokens
meant for its resources, calls no admin route and is never issued a token; an admin key with scope
`introspect`. Over HTTP, on both engines (the `stack` fixture; SHARK_E2E_LAMBDA=1 for DynamoDB)."""
import requests

MCP = "https://mcp.example.com/mcp"
API = "https://api.example.com"
INACTIVE = {"active": False}


def post(base, path, key, body):
    return requests.post(base + path, json=body, headers={"Authorization": f"Bearer {key}"})


def token_for(base, agent, resource):
    r = requests.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", "scope": "mcp:read", "resource": resource},
                      auth=(agent["client_id"], agent["client_secret"]))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def introspect(base, rs, token):
    r = requests.post(f"{base}/oauth/introspect", data={"token": token}, auth=(rs["client_id"], rs["client_secret"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_resource_server_credential(stack):
    base, key = stack.url, stack.key("admin")
    r = post(base, "/api/v1/resource-servers", key, {"name": "notes mcp", "resources": [MCP]})
    assert r.status_code == 201, r.text
    rs = r.json()
    assert rs["id"].startswith("rs_") and rs["client_id"].startswith("shark_rs_") and len(rs["client_secret"]) == 64
    assert rs["resources"] == [MCP] and rs["token_endpoint_auth_method"] == "client_secret_basic"
    got = requests.get(f"{base}/api/v1/resource-servers/{rs['id']}", headers={"Authorization": f"Bearer {key}"})
    assert got.status_code == 200 and rs["client_secret"] not in got.text

    agent = post(base, "/api/v1/agents", key, {"name": "caller", "scopes": ["mcp:read"]}).json()
    mine, other = token_for(base, agent, MCP), token_for(base, agent, API)

    # Its audience: active, with the RFC 7662 members; another audience: exactly {"active":false}.
    active = introspect(base, rs, mine)
    assert active["active"] is True and active["client_id"] == agent["client_id"] and active["aud"] == MCP
    assert introspect(base, rs, other) == INACTIVE
    # Revoked by the admin: inactive for the resource server at once.
    revoked = token_for(base, agent, MCP)
    assert requests.post(f"{base}/oauth/revoke", data={"token": revoked}, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert introspect(base, rs, revoked) == INACTIVE

    # It revokes nothing (400 unauthorized_client), and the token stays active.
    r = requests.post(f"{base}/oauth/revoke", data={"token": mine}, auth=(rs["client_id"], rs["client_secret"]))
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client", r.text
    assert introspect(base, rs, mine)["active"] is True

    # It is never issued a token.
    for grant in ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange", "refresh_token"]:
        r = requests.post(f"{base}/oauth/token", data={"grant_type": grant, "subject_token": mine, "refresh_token": "x",
                                                       "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"},
                          auth=(rs["client_id"], rs["client_secret"]))
        assert r.status_code == 400 and r.json()["error"] == "unauthorized_client", (grant, r.text)

    # It calls no admin route, whichever way it presents its credential.
    for method, path in [("GET", "/api/v1/agents"), ("POST", "/api/v1/agents"), ("GET", "/api/v1/resource-servers"),
                         ("POST", "/api/v1/api-keys"), ("GET", "/api/v1/admin/apps"), ("GET", "/api/v1/audit-logs"),
                         ("POST", "/api/v1/admin/oauth/revoke-by-pattern")]:
        for kw in [{"auth": (rs["client_id"], rs["client_secret"])}, {"headers": {"Authorization": f"Bearer {rs['client_secret']}"}}]:
            r = requests.request(method, base + path, json={}, **kw)
            assert r.status_code in (401, 403), (method, path, r.status_code, r.text)
    # It is no agent.
    agents = requests.get(f"{base}/api/v1/agents", headers={"Authorization": f"Bearer {key}"}).json()
    assert rs["id"] not in str(agents)

    # Rotation: the old secret stops working, the new one introspects.
    rot = post(base, f"/api/v1/resource-servers/{rs['id']}/rotate-secret", key, None)
    assert rot.status_code == 200, rot.text
    stale = requests.post(f"{base}/oauth/introspect", data={"token": mine}, auth=(rs["client_id"], rs["client_secret"]))
    assert stale.status_code == 401 and stale.json()["error"] == "invalid_client"
    rs["client_secret"] = rot.json()["client_secret"]
    assert introspect(base, rs, mine)["active"] is True

    # Deleted: its credential stops working.
    assert requests.delete(f"{base}/api/v1/resource-servers/{rs['id']}", headers={"Authorization": f"Bearer {key}"}).status_code == 204
    gone = requests.post(f"{base}/oauth/introspect", data={"token": mine}, auth=(rs["client_id"], rs["client_secret"]))
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_client"

    events = requests.get(f"{base}/api/v1/audit-logs", params={"limit": 200}, headers={"Authorization": f"Bearer {key}"}).json()
    for name in ["resource_server.created", "resource_server.secret_rotated", "resource_server.deleted"]:
        assert name in str(events), name
    assert rot.json()["client_secret"] not in str(events)


def test_resource_server_isolation_and_introspect_key(stack):
    base, key = stack.url, stack.key("admin")
    created = requests.post(f"{base}/platform/v1/tenants", json={"id": "acme"}, headers={"Authorization": f"Bearer {stack.key('platform')}"})
    assert created.status_code == 201, created.text
    acme, acme_key = created.json()["issuer"], created.json()["admin_key"]
    rs_root = post(base, "/api/v1/resource-servers", key, {"name": "mcp", "resources": [MCP]}).json()
    rs_acme = post(acme, "/api/v1/resource-servers", acme_key, {"name": "mcp", "resources": [MCP]}).json()
    agent = post(base, "/api/v1/agents", key, {"name": "caller", "scopes": ["mcp:read"]}).json()
    tok = token_for(base, agent, MCP)
    assert introspect(base, rs_root, tok)["active"] is True
    # Another tenant's resource server, for the same resource URL: inactive.
    assert introspect(acme, rs_acme, tok) == INACTIVE
    # A resource server's credential on another tenant's URL authenticates nothing.
    r = requests.post(f"{acme}/oauth/introspect", data={"token": tok}, auth=(rs_root["client_id"], rs_root["client_secret"]))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text

    # API key scopes are an allow-list; scope introspect works at /oauth/introspect only.
    r = post(base, "/api/v1/api-keys", key, {"name": "bad", "scopes": ["agents:read"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request" and "agents:read" in r.json()["message"], r.text
    ik = post(base, "/api/v1/api-keys", key, {"name": "introspector", "scopes": ["introspect"]})
    assert ik.status_code == 201, ik.text
    h = {"Authorization": f"Bearer {ik.json()['key']}"}
    for t in [tok, token_for(base, agent, API)]:
        r = requests.post(f"{base}/oauth/introspect", data={"token": t}, headers=h)
        assert r.status_code == 200 and r.json()["active"] is True, r.text
    r = requests.post(f"{base}/oauth/revoke", data={"token": tok}, headers=h)
    assert r.status_code == 403 and r.json()["error"] == "access_denied", r.text
    assert introspect(base, rs_root, tok)["active"] is True
    r = requests.get(f"{base}/api/v1/agents", headers=h)
    assert r.status_code == 403, r.text
    r = requests.post(f"{acme}/oauth/introspect", data={"token": tok}, headers=h)
    assert r.status_code == 401, r.text

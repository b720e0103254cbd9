"""The admin API as the published SDK (shark-auth 0.1.1) drives it against the real local
stack (bin/shark serve): the calls of issue 7's "Must show", with the statuses the SDK
accepts and the fields it reads."""
import re

import pytest
import requests
from shark_auth import Client, DPoPProver, MayActClient, OAuthClient, SharkAPIError


@pytest.fixture
def admin(stack):
    return Client(base_url=stack.url, token=stack.key("admin"))


def test_register_agent_as_in_the_guide(stack, admin):
    agent = admin.agents.register_agent(
        app_id="app_abc123", name="agent-alice", scopes=["mcp:read", "mcp:write"],
        description="Agent for customer 42",
    )
    assert re.fullmatch(r"agent_[0-9A-Za-z_-]{21}", agent["id"])
    assert re.fullmatch(r"shark_agent_[0-9A-Za-z_-]{21}", agent["client_id"])
    assert re.fullmatch(r"[0-9a-f]{64}", agent["client_secret"])
    assert agent["scopes"] == ["mcp:read", "mcp:write"]
    assert agent["metadata"]["app_id"] == "app_abc123"

    got = admin.agents.get_agent(agent["client_id"])
    assert got["id"] == agent["id"] and "client_secret" not in got
    assert [a["id"] for a in admin.agents.list_agents(app_id="app_abc123")] == [agent["id"]]
    assert admin.agents.list_agents(app_id="app_other") == []
    assert admin.agents.list_tokens(agent["id"]) == []
    assert admin.agents.revoke_all(agent["id"]).revoked_count == 0

    creds = admin.agents.rotate_secret(agent["id"])
    assert creds.client_id == agent["client_id"] and creds.client_secret != agent["client_secret"]
    assert re.fullmatch(r"[0-9a-f]{64}", creds.client_secret)

    assert admin.agents.revoke_agent(agent["id"]) is None  # 204
    assert admin.agents.get_agent(agent["id"])["active"] is False
    with pytest.raises(SharkAPIError) as err:
        admin.agents.get_agent("agent_nope")
    assert err.value.status == 404


def test_user_cascade_revokes_its_agents(stack, admin):
    user = admin.users.create_user("alice@example.com", name="Alice", password="s3cret-pass")
    assert user["id"].startswith("usr_") and "password" not in user and "password_hash" not in user
    with pytest.raises(SharkAPIError) as err:
        admin.users.create_user("ALICE@example.com")
    assert err.value.status == 409
    assert [u["id"] for u in admin.users.list_users(email="alice@example.com")] == [user["id"]]

    agent = admin.agents.register_agent(app_id="app_abc123", name="agent-alice", scopes=["mcp:read"], created_by=user["id"])
    bystander = admin.agents.register_agent(app_id="app_abc123", name="other")
    listed = admin.users.list_agents(user["id"])
    assert [a["id"] for a in listed.data] == [agent["id"]] and listed.total == 1

    result = admin.users.revoke_agents(user["id"], reason="cancelled")
    assert result.revoked_agent_ids == [agent["id"]]
    assert result.audit_event_id.startswith("aud_")
    assert admin.agents.get_agent(agent["id"])["active"] is False
    assert admin.agents.get_agent(bystander["id"])["active"] is True

    # The guide's full example uses a placeholder id: not an error.
    placeholder = admin.users.revoke_agents("usr_alice_id", reason="cancelled")
    assert placeholder.revoked_agent_ids == []

    admin.users.delete_user(user["id"])  # 204
    with pytest.raises(SharkAPIError) as err:
        admin.users.get_user(user["id"])
    assert err.value.status == 404


def test_rotate_dpop_key(stack, admin):
    agent = admin.agents.register_agent(app_id="app_abc123", name="dpop-agent", scopes=["mcp:read"])
    prover = DPoPProver.generate()
    result = admin.agents.rotate_dpop_key(agent["id"], new_public_key_jwk=prover.public_jwk, reason="scheduled rotation")
    assert result.new_jkt == prover.jkt
    assert result.audit_event_id.startswith("aud_")
    assert admin.agents.get_agent(agent["id"])["dpop_jkt"] == prover.jkt

    again = DPoPProver.generate()
    second = admin.agents.rotate_dpop_key(agent["id"], new_public_key_jwk=again.public_jwk)
    assert (second.old_jkt, second.new_jkt) == (prover.jkt, again.jkt)

    bad = dict(prover.public_jwk, d="AAAA")
    resp = requests.post(f"{stack.url}/api/v1/agents/{agent['id']}/rotate-dpop-key",
                         headers={"Authorization": f"Bearer {stack.key('admin')}"}, json={"new_public_jwk": bad})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_jwk"


def test_api_keys(stack, admin):
    created = admin.api_keys.create("ci", scopes=["*"])
    assert created["id"].startswith("key_") and created["key"].startswith("sk_live_")
    assert created["key_prefix"] == created["key"][:12]
    listed = admin.api_keys.list()
    assert {k["id"] for k in listed} >= {created["id"]}
    assert all("key" not in k for k in listed)
    assert admin.api_keys.get(created["id"])["name"] == "ci"

    rotated = admin.api_keys.rotate(created["id"])
    assert rotated["id"] != created["id"] and rotated["key"].startswith("sk_live_")
    assert Client(base_url=stack.url, token=rotated["key"]).api_keys.list()
    with pytest.raises(SharkAPIError) as err:
        Client(base_url=stack.url, token=created["key"]).api_keys.list()
    assert err.value.status == 401

    admin.api_keys.revoke(rotated["id"])
    first = next(k for k in admin.api_keys.list() if k["revoked_at"] is None)
    with pytest.raises(SharkAPIError) as err:
        admin.api_keys.revoke(first["id"])  # the last admin key
    assert err.value.status == 409


def test_apps_grants_signing_keys_and_bulk_revoke(stack, admin):
    app = admin.apps.create(name="My App")
    assert app["id"].startswith("app_") and app["client_id"].startswith("shark_app_") and app["client_secret"]
    assert [a["id"] for a in admin.apps.list()] == [app["id"]]
    assert admin.apps.get(app["id"])["name"] == "My App"
    assert admin.apps.update(app["id"], name="Renamed")["name"] == "Renamed"
    assert admin.apps.rotate_secret(app["id"])["client_secret"] != app["client_secret"]
    admin.apps.delete(app["id"])
    assert admin.apps.list() == []

    a = admin.agents.register_agent(app_id="app_x", name="a")
    b = admin.agents.register_agent(app_id="app_x", name="b")
    may_act = MayActClient(stack.url, stack.key("admin"))
    grant = may_act.create(a["id"], b["id"], max_hops=2, scopes=["mcp:read"])
    assert grant["id"].startswith("mag_") and grant["max_hops"] == 2
    assert [g["id"] for g in may_act.find(from_id=a["id"])] == [grant["id"]]
    assert may_act.revoke(grant["id"])["revoked_at"]
    assert may_act.find(from_id=a["id"]) == []
    assert [g["id"] for g in may_act.find(from_id=a["id"], include_revoked=True)] == [grant["id"]]

    headers = {"Authorization": f"Bearer {stack.key('admin')}"}
    keys = requests.get(f"{stack.url}/api/v1/admin/signing-keys", headers=headers).json()["data"]
    assert [k["state"] for k in keys] == ["current"]
    rotated = requests.post(f"{stack.url}/api/v1/admin/signing-keys/rotate", headers=headers, json={"mode": "emergency"})
    assert rotated.status_code == 200 and rotated.json()["state"] == "current"
    jwks = requests.get(f"{stack.url}/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in jwks] == [rotated.json()["kid"]]

    bulk = OAuthClient(base_url=stack.url, token=stack.key("admin")).bulk_revoke_by_pattern(
        client_id_pattern="shark_agent_*", reason="incident")
    assert bulk.pattern_matched == "shark_agent_*" and bulk.audit_event_id.startswith("aud_")


def test_path_tenant_admin_api_and_isolation(stack, admin):
    """/t/{tenant}/api/v1 is routed by the template to the admin function; a tenant's
    key works only on its own URL, and nothing crosses tenants."""
    created = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": "acme"},
                            headers={"Authorization": f"Bearer {stack.key('platform')}"})
    assert created.status_code == 201, created.text
    acme = Client(base_url=f"{stack.url}/t/acme", token=created.json()["admin_key"])
    agent = acme.agents.register_agent(app_id="app_acme", name="acme-agent", scopes=["mcp:read"])
    assert [a["id"] for a in acme.agents.list_agents()] == [agent["id"]]
    assert admin.agents.list_agents() == []
    with pytest.raises(SharkAPIError) as err:
        admin.agents.get_agent(agent["id"])
    assert err.value.status == 404
    cross = Client(base_url=f"{stack.url}/t/acme", token=stack.key("admin"))
    with pytest.raises(SharkAPIError) as err:
        cross.agents.list_agents()
    assert err.value.status == 401
    unknown = requests.get(f"{stack.url}/t/nope/api/v1/agents", headers={"Authorization": f"Bearer {stack.key('admin')}"})
    assert unknown.status_code == 404 and unknown.json()["message"] == "unknown tenant"

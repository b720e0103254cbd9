"""The audit trail as the published SDK (shark-auth 0.1.1) and plain requests read it from the
real local stack: the customer-agents guide's audit section (issue 10's "Must show"), the
SDK's AuditClient (list, get, export, purge) and agents.get_audit_logs under both names."""
import csv
import io
import json
import re

import pytest
import requests
from shark_auth import Client, DPoPProver, OAuthClient, SharkAPIError


@pytest.fixture
def admin(stack):
    return Client(base_url=stack.url, token=stack.key("admin"))


def events(stack, **params):
    r = requests.get(f"{stack.url}/api/v1/audit-logs", params={"limit": 200, **params},
                     headers={"Authorization": f"Bearer {stack.key('admin')}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "next_cursor", "has_more"}
    return body["data"]


def test_the_guides_audit_section(stack, admin):
    user = admin.users.create_user("alice@example.com", name="Alice")
    agent = admin.agents.register_agent(app_id="app_abc123", name="agent-alice",
                                        scopes=["mcp:read", "mcp:write"], created_by=user["id"])
    prover = DPoPProver.generate()
    token = OAuthClient(stack.url).get_token_with_dpop(
        grant_type="client_credentials", dpop_prover=prover, client_id=agent["client_id"],
        client_secret=agent["client_secret"], scope="mcp:read mcp:write")
    admin.users.revoke_agents(user["id"], reason="cancelled")

    created = [e for e in events(stack, action="agent.created") if e["target_id"] == agent["client_id"]]
    assert len(created) == 1 and created[0]["event"] == created[0]["action"] == "agent.created"

    issued = events(stack, event="oauth.token_issued", actor_id=agent["client_id"])
    assert len(issued) == 1
    assert issued[0]["metadata"]["scope"] == "mcp:read mcp:write"
    assert issued[0]["metadata"]["jkt"] == prover.jkt

    revoked = events(stack, event="user.agents_revoked", actor_id=user["id"])
    assert len(revoked) == 1 and revoked[0]["metadata"]["revoked_count"] == 1

    # No stored event of the run carries a secret, a token, a proof or key material.
    trail = Client(base_url=stack.url, token=stack.key("admin")).audit.export(format="ndjson")
    assert trail.count("\n") >= 4
    for secret in (agent["client_secret"], token.access_token, stack.key("admin"), stack.key("platform")):
        assert secret not in trail
    assert not re.search(r'sk_live_[0-9A-Za-z]{8}|sk_platform_[0-9A-Za-z]{8}|eyJ[0-9A-Za-z_-]{8,}\.|"d"\s*:|BEGIN', trail)

    # users.get_audit_logs: the events whose actor or target is the user.
    mine = admin.users.get_audit_logs(user["id"], limit=50)
    assert "user.agents_revoked" in [e["event"] for e in mine]
    assert all(user["id"] in (e["actor_id"], e["target_id"]) for e in mine)

    # agents.get_audit_logs passes whichever name the caller holds: both find the token.
    for name in (agent["id"], agent["client_id"]):
        got = admin.agents.get_audit_logs(name, limit=50)
        assert "oauth.token_issued" in [e.event for e in got], name


def test_the_sdk_audit_client(stack, admin):
    agent = admin.agents.register_agent(app_id="app_abc123", name="listed", scopes=["mcp:read"])
    page = admin.audit.list(action="agent.created", limit=1)
    assert len(page["events"]) == 1
    ev = admin.audit.get(page["events"][0]["id"])
    assert ev["target_id"] == agent["client_id"]
    with pytest.raises(SharkAPIError) as err:
        admin.audit.get("aud_nope")
    assert err.value.status == 404
    with pytest.raises(SharkAPIError) as err:
        admin.audit.list(since="yesterday")
    assert err.value.status == 400

    text = admin.audit.export(format="csv", since="2000-01-01T00:00:00Z", action="agent.created")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["id", "event", "action"] and len(rows) == 2
    lines = admin.audit.export(format="ndjson").strip().split("\n")
    assert all(json.loads(line)["id"].startswith("aud_") for line in lines)

    dry = admin.audit.purge(before="2000-01-01T00:00:00Z", dry_run=True)
    assert dry["dry_run"] is True and dry["deleted"] == 0


def test_cursors_and_events_stay_in_their_tenant(stack):
    pk = stack.key("platform")
    made = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": "acme"},
                         headers={"Authorization": f"Bearer {pk}"})
    assert made.status_code == 201
    acme_key = made.json()["admin_key"]
    root = {"Authorization": f"Bearer {stack.key('admin')}"}
    acme = {"Authorization": f"Bearer {acme_key}"}

    page = requests.get(f"{stack.url}/t/acme/api/v1/audit-logs", params={"limit": 1}, headers=acme).json()
    assert page["has_more"] is True
    acme_event = page["data"][0]["id"]
    # acme's cursor on the root tenant, acme's event id on the root tenant, acme's key at the root.
    r = requests.get(f"{stack.url}/api/v1/audit-logs", params={"limit": 1, "cursor": page["next_cursor"]}, headers=root)
    assert r.status_code == 400 and r.json()["error"] == "invalid_parameter"
    assert requests.get(f"{stack.url}/api/v1/audit-logs/{acme_event}", headers=root).status_code == 404
    r = requests.get(f"{stack.url}/api/v1/audit-logs", headers=acme)
    assert r.status_code == 401 and r.json()["message"] == "invalid API key"

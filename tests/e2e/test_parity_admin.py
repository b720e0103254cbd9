"""SharkAuth parity of the admin API (issue 20), through the published SDK
(shark-auth 0.1.1) where it has a call and plain requests where SharkAuth users
call the route directly: what code written against SharkAuth relies on."""
import pytest
import requests
from shark_auth import Client, DPoPProver, DPoPRotationResult, MayActClient, SharkAPIError

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


@pytest.fixture
def admin(stack):
    return Client(base_url=stack.url, token=stack.key("admin"))


def auth(stack):
    return {"Authorization": f"Bearer {stack.key('admin')}"}


def token(base, agent, prover=None, scope="mcp:read"):
    """A client_credentials token of agent (DPoP-bound when prover is given): the response."""
    headers = {"DPoP": prover.make_proof(htm="POST", htu=f"{base}/oauth/token")} if prover else {}
    return requests.post(f"{base}/oauth/token", headers=headers, data={
        "grant_type": "client_credentials", "client_id": agent["client_id"],
        "client_secret": agent["client_secret"], "scope": scope})


def introspect(stack, tok):
    return requests.post(f"{stack.url}/oauth/introspect", data={"token": tok}, headers=auth(stack)).json()


def test_revoke_agents_ignores_agents_of_other_users(stack, admin):
    alice = admin.users.create_user("alice@example.com")
    bob = admin.users.create_user("bob@example.com")
    mine = admin.agents.register_agent(app_id="app_1", name="alice-agent", scopes=["mcp:read"], created_by=alice["id"])
    kept = admin.agents.register_agent(app_id="app_1", name="alice-other", scopes=["mcp:read"], created_by=alice["id"])
    bobs = admin.agents.register_agent(app_id="app_1", name="bob-agent", scopes=["mcp:read"], created_by=bob["id"])
    bobs_token = token(stack.url, bobs).json()["access_token"]

    result = admin.users.revoke_agents(alice["id"], agent_ids=[mine["id"], bobs["id"], "agent_nope"], reason="r")
    assert result.revoked_agent_ids == [mine["id"]]
    assert result.audit_event_id.startswith("aud_")
    raw = requests.post(f"{stack.url}/api/v1/users/{alice['id']}/revoke-agents", headers=auth(stack),
                        json={"agent_ids": [bobs["client_id"], mine["id"]]})
    assert raw.status_code == 200, raw.text
    assert raw.json()["ignored_agent_ids"] == [bobs["client_id"]]
    assert raw.json()["revoked_agent_ids"] == []  # already inactive

    assert admin.agents.get_agent(mine["id"])["active"] is False
    assert admin.agents.get_agent(kept["id"])["active"] is True
    assert admin.agents.get_agent(bobs["id"])["active"] is True
    assert introspect(stack, bobs_token)["active"] is True

    # Only foreign ids: nothing revoked, nothing audited.
    only = admin.users.revoke_agents(alice["id"], agent_ids=[bobs["id"]])
    assert only.revoked_agent_ids == [] and only.audit_event_id is None


def test_rotate_dpop_key_of_an_agent_registered_with_a_key(stack, admin):
    old = DPoPProver.generate()
    agent = admin.agents.register_agent(
        app_id="app_rot", name="rotating", scopes=["mcp:read"], token_endpoint_auth_method="client_secret_post",
        grant_types=["client_credentials"], metadata={"dpop_public_jwk": old.public_jwk})
    assert agent["dpop_jkt"] == old.jkt
    first = token(stack.url, agent, old)
    assert first.status_code == 200, first.text
    assert introspect(stack, first.json()["access_token"])["active"] is True
    # The registered key is the agent's key: another key's proof is refused.
    assert token(stack.url, agent, DPoPProver.generate()).json()["error"] == "invalid_dpop_proof"

    new = DPoPProver.generate()
    result = admin.agents.rotate_dpop_key(agent["id"], new_public_key_jwk=new.public_jwk, reason="scheduled")
    assert isinstance(result, DPoPRotationResult)
    assert (result.old_jkt, result.new_jkt) == (old.jkt, new.jkt)
    assert result.revoked_token_count == 1
    assert result.audit_event_id.startswith("aud_")
    assert introspect(stack, first.json()["access_token"]) == {"active": False}

    again = token(stack.url, agent, new)
    assert again.status_code == 200, again.text
    assert introspect(stack, again.json()["access_token"])["active"] is True
    assert token(stack.url, agent, old).json()["error"] == "invalid_dpop_proof"
    got = admin.agents.get_agent(agent["id"])
    assert got["dpop_jkt"] == new.jkt and got["metadata"]["dpop_public_jwk"] == new.public_jwk

    bad = requests.post(f"{stack.url}/api/v1/agents", headers=auth(stack),
                        json={"name": "bad", "metadata": {"dpop_public_jwk": dict(old.public_jwk, d="AAAA")}})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_jwk"


def test_user_cascade_event_carries_both_names(stack, admin):
    user = admin.users.create_user("carol@example.com")
    admin.agents.register_agent(app_id="app_1", name="carol-agent", created_by=user["id"])
    result = admin.users.revoke_agents(user["id"], reason="cancelled")

    def listed(**filters):
        r = requests.get(f"{stack.url}/api/v1/audit-logs", headers=auth(stack), params=filters)
        assert r.status_code == 200, r.text
        return r.json()["data"]

    for name in ("user.agents_revoked", "user.cascade_revoked_agents"):
        for param in ("action", "event"):
            got = listed(**{param: name})
            assert [e["id"] for e in got] == [result.audit_event_id], (param, name)
            assert got[0]["event"] == "user.agents_revoked"
            assert got[0]["action"] == "user.cascade_revoked_agents"
    # The SDK's own filter (AuditClient.list(action=...)), as SharkAuth's users call it.
    sdk = admin.audit.list(action="user.cascade_revoked_agents")
    events = sdk.get("events") or sdk.get("data")
    assert [e["id"] for e in events] == [result.audit_event_id]
    one = requests.get(f"{stack.url}/api/v1/audit-logs/{result.audit_event_id}", headers=auth(stack)).json()
    assert (one["event"], one["action"]) == ("user.agents_revoked", "user.cascade_revoked_agents")
    other = listed(action="agent.created")
    assert all(e["event"] == e["action"] == "agent.created" for e in other) and other


def test_agent_created_event_names_the_application(stack, admin):
    agent = admin.agents.register_agent(app_id="app_abc123", name="agent-alice", scopes=["mcp:read"])
    events = requests.get(f"{stack.url}/api/v1/audit-logs", headers=auth(stack),
                          params={"action": "agent.created"}).json()["data"]
    assert len(events) == 1
    ev = events[0]
    assert (ev["actor_id"], ev["actor_type"], ev["target_id"]) == ("app_abc123", "app", agent["client_id"])
    assert ev["metadata"]["admin_key_id"].startswith("key_")
    # Without an application the admin key stays the actor.
    requests.post(f"{stack.url}/api/v1/agents", headers=auth(stack), json={"name": "plain"})
    plain = requests.get(f"{stack.url}/api/v1/audit-logs", headers=auth(stack),
                         params={"action": "agent.created", "limit": 1}).json()["data"][0]
    assert plain["actor_type"] == "admin_key" and plain["actor_id"].startswith("key_")


def test_agent_audit_route(stack, admin):
    agent = admin.agents.register_agent(app_id="app_1", name="audited", scopes=["mcp:read"])
    other = admin.agents.register_agent(app_id="app_1", name="bystander", scopes=["mcp:read"])
    for _ in range(3):
        assert token(stack.url, agent).status_code == 200
    admin.agents.rotate_secret(agent["id"])
    assert token(stack.url, other).status_code == 200

    url = f"{stack.url}/api/v1/agents/{agent['id']}/audit"
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = requests.get(url, headers=auth(stack), params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"data", "next_cursor", "has_more"}
        seen += body["data"]
        pages += 1
        cursor = body["next_cursor"]
        assert body["has_more"] == (cursor is not None)
        if not cursor:
            break
    names = [e["event"] for e in seen]
    assert names == ["agent.secret_rotated", "oauth.token_issued", "oauth.token_issued", "oauth.token_issued", "agent.created"]
    assert pages == 3 and len({e["id"] for e in seen}) == len(seen)
    assert [e["created_at"] for e in seen] == sorted((e["created_at"] for e in seen), reverse=True)
    # By client_id too; another agent's events are not there.
    by_client = requests.get(f"{stack.url}/api/v1/agents/{agent['client_id']}/audit", headers=auth(stack)).json()["data"]
    assert [e["id"] for e in by_client] == [e["id"] for e in seen]

    assert requests.get(url).status_code == 401
    assert requests.get(url, headers=auth(stack), params={"cursor": "nope"}).status_code == 400
    assert requests.get(f"{stack.url}/api/v1/agents/agent_nope/audit", headers=auth(stack)).status_code == 404

    # Another tenant's key: 404, as for any agent it does not hold.
    made = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": "acme"},
                         headers={"Authorization": f"Bearer {stack.key('platform')}"})
    acme = {"Authorization": f"Bearer {made.json()['admin_key']}"}
    foreign = requests.get(f"{stack.url}/t/acme/api/v1/agents/{agent['id']}/audit", headers=acme)
    assert foreign.status_code == 404 and foreign.json()["error"] == "not_found"


def test_agent_policies_round_trip_and_authorize_exchange(stack, admin):
    actor = admin.agents.register_agent(app_id="app_1", name="email-service", scopes=["mcp:read"])
    subject = admin.agents.register_agent(app_id="app_1", name="user-proxy", scopes=["mcp:read", "mcp:write"])
    third = admin.agents.register_agent(app_id="app_1", name="followup", scopes=["mcp:read"])
    url = f"{stack.url}/api/v1/agents/{actor['id']}/policies"

    empty = requests.get(url, headers=auth(stack))
    assert empty.status_code == 200 and empty.json()["policies"] == []

    # Without the policy, the actor may not act for the subject.
    subject_token = token(stack.url, subject, scope="mcp:read mcp:write").json()["access_token"]

    def exchange():
        return requests.post(f"{stack.url}/oauth/token", data={
            "grant_type": EXCHANGE, "subject_token": subject_token, "subject_token_type": ACCESS_TOKEN,
            "client_id": actor["client_id"], "client_secret": actor["client_secret"], "scope": "mcp:read"})
    assert exchange().status_code in (400, 403)

    # SharkAuth's two shapes: {"policies":[{delegate_to_id, scope}]} and {"may_act":[{agent_id, scopes}]}.
    saved = requests.post(url, headers=auth(stack), json={"policies": [{"delegate_to_id": subject["id"], "scope": "mcp:read"}]})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["agent_id"] == actor["id"]
    [p] = body["policies"]
    assert (p["agent_id"], p["delegate_to_id"], p["scope"], p["scopes"]) == (subject["id"], subject["id"], "mcp:read", ["mcp:read"])
    assert body["may_act"] == body["policies"]
    got = requests.get(url, headers=auth(stack)).json()
    assert got["policies"] == body["policies"] and got["data"] == body["policies"]

    # The policy is a may-act grant: the grants API shows it and token exchange honours it.
    grants = MayActClient(stack.url, stack.key("admin")).find(from_id=actor["id"])
    assert [(g["to_id"], g["scopes"]) for g in grants] == [(subject["client_id"], ["mcp:read"])]
    ex = exchange()
    assert ex.status_code == 200, ex.text

    # Posting back what GET shows changes nothing (and audits nothing).
    before = requests.get(f"{stack.url}/api/v1/audit-logs", headers=auth(stack), params={"action": "agent.policies_updated"}).json()["data"]
    same = requests.post(url, headers=auth(stack), json={"policies": got["policies"]})
    assert same.status_code == 200 and same.json()["policies"] == got["policies"]
    assert MayActClient(stack.url, stack.key("admin")).find(from_id=actor["id"]) == grants
    after = requests.get(f"{stack.url}/api/v1/audit-logs", headers=auth(stack), params={"action": "agent.policies_updated"}).json()["data"]
    assert len(after) == len(before) == 1
    assert after[0]["target_id"] == actor["client_id"]

    # The may_act shape replaces the set.
    two = requests.post(url, headers=auth(stack), json={"may_act": [
        {"agent_id": third["client_id"], "scopes": ["mcp:read"]}, {"agent_id": subject["id"], "scopes": ["mcp:read"], "max_hops": 2}]})
    assert two.status_code == 200, two.text
    assert sorted((p["agent_id"], p["max_hops"]) for p in two.json()["policies"]) == sorted([(third["id"], 1), (subject["id"], 2)])

    # An empty list clears them: the exchange is refused again.
    cleared = requests.post(url, headers=auth(stack), json={"policies": []})
    assert cleared.status_code == 200 and cleared.json()["policies"] == []
    assert requests.get(url, headers=auth(stack)).json()["policies"] == []
    assert MayActClient(stack.url, stack.key("admin")).find(from_id=actor["id"]) == []
    assert exchange().status_code in (400, 403)
    events = requests.get(f"{stack.url}/api/v1/audit-logs", headers=auth(stack), params={"action": "agent.policies_updated"}).json()["data"]
    assert len(events) == 3

    # Errors: no key 401; unknown agent 404; bad bodies 400 without a change.
    assert requests.post(url, json={"policies": []}).status_code == 401
    assert requests.get(url).status_code == 401
    assert requests.post(f"{stack.url}/api/v1/agents/agent_nope/policies", headers=auth(stack), json={"policies": []}).status_code == 404
    for bad in ({"bad_field": "x"}, {}, {"policies": "x"}, {"policies": [{"scope": "mcp:read"}]},
                {"policies": [{"agent_id": "agent_nope"}]}, {"policies": [{"agent_id": actor["id"]}]},
                {"policies": [], "may_act": []}, {"policies": [{"agent_id": subject["id"], "color": "red"}]}):
        r = requests.post(url, headers=auth(stack), json=bad)
        assert r.status_code == 400 and r.json()["error"] == "invalid_request", (bad, r.text)
    assert requests.get(url, headers=auth(stack)).json()["policies"] == []


def test_update_user_metadata_as_the_sdk_sends_it(stack, admin):
    """users.update_user(metadata=...) sends the metadata as a JSON string (the SDK's
    "raw JSON metadata string"); an object works too."""
    user = admin.users.create_user("dave@example.com")
    updated = admin.users.update_user(user["id"], metadata='{"plan": "pro", "seats": 3}')
    assert updated["metadata"] == {"plan": "pro", "seats": 3}
    assert admin.users.get_user(user["id"])["metadata"] == {"plan": "pro", "seats": 3}
    r = requests.patch(f"{stack.url}/api/v1/users/{user['id']}", headers=auth(stack), json={"metadata": {"plan": "free"}})
    assert r.status_code == 200 and r.json()["metadata"] == {"plan": "free"}
    for bad in ("not json", "[1, 2]", '"s"', "null"):
        with pytest.raises(SharkAPIError) as err:
            admin.users.update_user(user["id"], metadata=bad)
        assert err.value.status == 400
    assert admin.users.get_user(user["id"])["metadata"] == {"plan": "free"}

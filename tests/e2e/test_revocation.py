"""Revocation is never reversible, and a delegated token dies with everyone it was
delegated from or through (issue 20, P4, P5, P8 and the agent tokens list), through HTTP
and the published SDK, on whichever engine the `stack` runs."""
import pytest
import requests
from shark_auth import Client, DPoPProver, MayActClient, OAuthClient

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


class Tenant:
    def __init__(self, base, key):
        self.base, self.key = base, key
        self.admin = Client(base_url=base, token=key)
        self.h = {"Authorization": f"Bearer {key}"}

    def agent(self, name, **extra):
        return self.admin.agents.register_agent(app_id="app_revo", name=name, scopes=["mcp:read"], **extra)

    def token(self, agent, prover=None):
        if prover is not None:
            return OAuthClient(self.base).get_token_with_dpop(
                grant_type="client_credentials", dpop_prover=prover, client_id=agent["client_id"],
                client_secret=agent["client_secret"], scope="mcp:read").access_token
        resp = requests.post(f"{self.base}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": agent["client_id"],
            "client_secret": agent["client_secret"], "scope": "mcp:read"})
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def exchange(self, actor, subject_token):
        resp = requests.post(f"{self.base}/oauth/token", data={
            "grant_type": EXCHANGE, "client_id": actor["client_id"], "client_secret": actor["client_secret"],
            "subject_token": subject_token, "subject_token_type": ACCESS_TOKEN, "scope": "mcp:read"})
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def grant(self, actor, subject, max_hops=1):
        MayActClient(self.base, self.key).create(actor["id"], subject["client_id"], max_hops=max_hops)

    def introspect(self, token):
        resp = requests.post(f"{self.base}/oauth/introspect", data={"token": token}, headers=self.h)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def active(self, token):
        return self.introspect(token)["active"]

    def tokens(self, agent):
        resp = requests.get(f"{self.base}/api/v1/agents/{agent['id']}/tokens", headers=self.h)
        assert resp.status_code == 200, resp.text
        return {t["jti"]: t for t in resp.json()["data"]}


@pytest.fixture
def tenant(stack):
    return Tenant(stack.url, stack.key("admin"))


def jti(t, token):
    return t.introspect(token)["jti"]


# Each way of revoking the subject, an actor or their users; every one kills the delegated token.
REVOCATIONS = {
    "subject deleted": lambda t, s, a, u: t.admin.agents.revoke_agent(s["id"]),
    "subject revoke-all": lambda t, s, a, u: t.admin.agents.revoke_all(s["id"]),
    "subject deactivated": lambda t, s, a, u: requests.patch(
        f"{t.base}/api/v1/agents/{s['id']}", json={"active": False}, headers=t.h).raise_for_status(),
    "subject's user cascade": lambda t, s, a, u: t.admin.users.revoke_agents(u["subject"]["id"]),
    "subject's DPoP key rotated": lambda t, s, a, u: t.admin.agents.rotate_dpop_key(
        s["id"], new_public_key_jwk=DPoPProver.generate().public_jwk),
    "subject by pattern": lambda t, s, a, u: OAuthClient(t.base, token=t.key).bulk_revoke_by_pattern(
        client_id_pattern=s["client_id"], reason="incident"),
    "actor deleted": lambda t, s, a, u: t.admin.agents.revoke_agent(a["id"]),
    "actor revoke-all": lambda t, s, a, u: t.admin.agents.revoke_all(a["id"]),
    "actor's user cascade": lambda t, s, a, u: t.admin.users.revoke_agents(u["actor"]["id"]),
}


def test_delegated_token_dies_with_its_subject_and_every_actor(tenant):
    t = tenant
    for n, (name, revoke) in enumerate(REVOCATIONS.items()):
        users = {r: t.admin.users.create_user(f"{r}{n}@example.com") for r in ("subject", "actor")}
        subject = t.agent(f"subject-{n}", created_by=users["subject"]["id"])
        actor = t.agent(f"actor-{n}", created_by=users["actor"]["id"])
        t.grant(actor, subject)
        delegated = t.exchange(actor, t.token(subject))
        claims = t.introspect(delegated)
        assert claims["active"] and claims["sub"] == subject["client_id"], (name, claims)
        assert claims["act"]["sub"] == actor["client_id"], (name, claims)
        revoke(t, subject, actor, users)
        assert t.introspect(delegated) == {"active": False}, name
        # The actor's tokens list shows the delegated token revoked, as introspection does.
        listed = t.tokens(actor)[claims["jti"]]
        assert listed["active"] is False and listed["revoked_reason"], (name, listed)


def test_a_token_delegated_twice_dies_with_the_first_actor(tenant):
    t = tenant
    subject, first, second = t.agent("subject"), t.agent("first"), t.agent("second")
    t.grant(first, subject, max_hops=2)
    t.grant(second, subject, max_hops=2)
    once = t.exchange(first, t.token(subject))
    twice = t.exchange(second, once)
    claims = t.introspect(twice)
    assert claims["act"]["sub"] == second["client_id"] and claims["act"]["act"]["sub"] == first["client_id"]
    bystander = t.exchange(second, t.exchange(first, t.token(subject)))
    t.admin.agents.revoke_all(first["id"])
    assert not t.active(twice) and not t.active(bystander)
    # The chain's own tokens after the revocation are delegated afresh and live.
    assert t.active(t.exchange(second, t.exchange(first, t.token(subject))))
    # A self-exchange keeps the chain: it dies with the first actor too.
    again = t.exchange(second, t.exchange(first, t.token(subject)))
    narrowed = t.exchange(second, again)
    t.admin.agents.revoke_agent(first["id"])
    assert not t.active(again) and not t.active(narrowed)


def test_reenabling_a_tenant_revives_no_token(stack):
    platform = {"Authorization": f"Bearer {stack.key('platform')}"}
    for how in ("disable route", "PATCH"):
        tid = "revo-" + how.split()[0].lower()
        created = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": tid}, headers=platform)
        assert created.status_code == 201, created.text
        t = Tenant(created.json()["issuer"], created.json()["admin_key"])
        agent = t.agent("agent")
        before = t.token(agent)
        assert t.active(before)
        if how == "PATCH":
            resp = requests.patch(f"{stack.url}/platform/v1/tenants/{tid}", json={"disabled": True}, headers=platform)
        else:
            resp = requests.post(f"{stack.url}/platform/v1/tenants/{tid}/disable", headers=platform)
        assert resp.status_code == 200 and resp.json()["disabled"] is True, resp.text
        resp = requests.patch(f"{stack.url}/platform/v1/tenants/{tid}", json={"disabled": False}, headers=platform)
        assert resp.status_code == 200 and resp.json()["disabled"] is False, resp.text
        assert t.introspect(before) == {"active": False}, how
        listed = t.tokens(agent)[jti_of(before)]
        assert listed["active"] is False and listed["revoked_reason"] == "tenant_disabled", listed
        after = t.token(agent)
        assert t.active(after), how


def jti_of(token):
    import jwt
    return jwt.decode(token, options={"verify_signature": False})["jti"]


def test_rotating_back_to_an_earlier_dpop_key_revives_no_token(tenant):
    t = tenant
    agent = t.agent("rotator")
    first, second = DPoPProver.generate(), DPoPProver.generate()
    bearer = t.token(agent)
    bound_before_registration = t.token(agent, first)
    t.admin.agents.rotate_dpop_key(agent["id"], new_public_key_jwk=first.public_jwk)
    assert not t.active(bearer) and not t.active(bound_before_registration)
    old = t.token(agent, first)
    assert t.active(old)
    t.admin.agents.rotate_dpop_key(agent["id"], new_public_key_jwk=second.public_jwk)
    assert not t.active(old)
    back = t.admin.agents.rotate_dpop_key(agent["id"], new_public_key_jwk=first.public_jwk)
    assert (back.old_jkt, back.new_jkt) == (second.jkt, first.jkt)
    assert t.introspect(old) == {"active": False}
    listed = t.tokens(agent)
    assert listed[jti_of(old)]["active"] is False
    assert listed[jti_of(old)]["revoked_reason"] == "dpop_key_rotated"
    fresh = t.token(agent, first)
    assert t.active(fresh)
    assert t.tokens(agent)[jti_of(fresh)]["active"] is True


def test_agent_tokens_list_shows_the_five_layer_state(tenant):
    t = tenant
    user = t.admin.users.create_user("owner@example.com")
    agent = t.agent("listed", created_by=user["id"])
    by_jti = t.token(agent)
    t.admin.agents.revoke_all(agent["id"])  # no revoked_at on the records: L2
    live = t.token(agent)
    OAuthClient(t.base, token=t.key).revoke_token(by_jti)  # L1 after L2: revoked_at set
    listed = t.tokens(agent)
    assert listed[jti_of(by_jti)]["active"] is False and listed[jti_of(by_jti)]["revoked_at"]
    assert listed[jti_of(by_jti)]["revoked_reason"] == "revoked"
    assert listed[jti_of(live)]["active"] is True and listed[jti_of(live)]["revoked_reason"] is None
    assert listed[jti_of(live)]["revoked_at"] is None

    revoked_all = t.token(agent)
    t.admin.agents.revoke_all(agent["id"])
    state = t.tokens(agent)[jti_of(revoked_all)]
    assert (state["active"], state["revoked_reason"], state["revoked_at"]) == (False, "client_revoked", None)

    t.admin.users.revoke_agents(user["id"])
    for jti_, state in t.tokens(agent).items():
        assert state["active"] is False, (jti_, state)
    # The SDK still reads the list (its TokenInfo fields are unchanged).
    infos = t.admin.agents.list_tokens(agent["id"])
    assert {i.token_id for i in infos} == set(t.tokens(agent)) and all(i.agent_id == agent["id"] for i in infos)

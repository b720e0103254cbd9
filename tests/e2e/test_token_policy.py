"""Token endpoint policy through the stack, on both engines (issue 20): the
audience allow-lists apply to the audience the server chooses (P2); a DPoP
proof or client assertion whose signature verified is spent even when the
request is refused (P9); an agent created with grant_types
["client_credentials"] may exchange as the actor of a live may-act grant
(SharkAuth parity), through the published SDK."""
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from shark_auth import Client, DPoPProver, MayActClient, OAuthClient
from shark_auth.errors import OAuthError

RS = "https://rs.example.com/mcp"
A = "https://a.example.com"
B = "https://b.example.com"


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def token(base, agent, prover, **kw):
    return OAuthClient(base).get_token_with_dpop(
        grant_type="client_credentials", dpop_prover=prover,
        client_id=agent["client_id"], client_secret=agent["client_secret"], **kw)


def test_default_audience_obeys_the_allow_lists(stack):
    base, admin = stack.url, Client(base_url=stack.url, token=stack.key("admin"))
    r = requests.patch(f"{base}/platform/v1/tenants/default", json={"default_audience": RS},
                       headers={"Authorization": f"Bearer {stack.key('platform')}"})
    assert r.status_code == 200, r.text
    anyone = admin.agents.register_agent(app_id="app_p2", name="any", scopes=["mcp:read"])
    one = admin.agents.register_agent(app_id="app_p2", name="one", scopes=["mcp:read"], audiences=[A])
    two = admin.agents.register_agent(app_id="app_p2", name="two", scopes=["mcp:read"], audiences=[A, B])
    prover = DPoPProver.generate()

    # No audience named, two allowed, the default outside them: refused, like naming it.
    for kw in ({}, {"audience": RS}):
        with pytest.raises(OAuthError) as e:
            token(base, two, prover, **kw)
        assert (e.value.status_code, e.value.error) == (400, "invalid_target"), kw
    # The one audience the agent may have replaces the default it may not.
    assert claims_of(token(base, one, prover).access_token)["aud"] == A  # one audience: a string
    assert claims_of(token(base, two, prover, audience=B).access_token)["aud"] == B
    assert claims_of(token(base, anyone, prover).access_token)["aud"] == RS


def test_refused_request_spends_its_dpop_proof(stack):
    base, admin = stack.url, Client(base_url=stack.url, token=stack.key("admin"))
    agent = admin.agents.register_agent(app_id="app_p9", name="spender", scopes=["mcp:read"])
    prover = DPoPProver.generate()
    ok = {"grant_type": "client_credentials", "client_id": agent["client_id"], "client_secret": agent["client_secret"]}
    for refused, code in [({"scope": "admin"}, "invalid_scope"), ({"resource": "/relative"}, "invalid_target"),
                          ({"grant_type": "password"}, "unsupported_grant_type"),
                          ({"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"}, "invalid_request")]:
        proof = prover.make_proof(htm="POST", htu=f"{base}/oauth/token")
        first = requests.post(f"{base}/oauth/token", data={**ok, **refused}, headers={"DPoP": proof})
        assert (first.status_code, first.json()["error"]) == (400, code), first.text
        replay = requests.post(f"{base}/oauth/token", data=ok, headers={"DPoP": proof})
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_dpop_proof", (code, replay.text)
    # A fresh proof still works, and a wrong secret spends nothing.
    proof = prover.make_proof(htm="POST", htu=f"{base}/oauth/token")
    wrong = requests.post(f"{base}/oauth/token", data={**ok, "client_secret": "wrong"}, headers={"DPoP": proof})
    assert wrong.status_code == 401
    fresh = requests.post(f"{base}/oauth/token", data=ok, headers={"DPoP": proof})
    assert fresh.status_code == 200, fresh.text


def test_refused_request_spends_its_client_assertion(stack):
    base = stack.url
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1", "alg": "ES256", "use": "sig"}
    reg = requests.post(f"{base}/oauth/register", json={
        "client_name": "p9-pkjwt", "grant_types": ["client_credentials"], "scope": "mcp:read",
        "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [jwk]}})
    assert reg.status_code == 201, reg.text
    client_id = reg.json()["client_id"]

    def assertion():
        now = int(time.time())
        return jwt.encode({"iss": client_id, "sub": client_id, "aud": f"{base}/oauth/token", "jti": uuid.uuid4().hex,
                           "iat": now, "exp": now + 60}, key, algorithm="ES256", headers={"kid": "k1"})

    def form(a, **extra):
        return {"grant_type": "client_credentials", "client_assertion": a,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", **extra}

    for refused, code in [({"scope": "admin"}, "invalid_scope"), ({"grant_type": "password"}, "unsupported_grant_type")]:
        a = assertion()
        first = requests.post(f"{base}/oauth/token", data=form(a, **refused))
        assert (first.status_code, first.json()["error"]) == (400, code), first.text
        replay = requests.post(f"{base}/oauth/token", data=form(a))
        assert replay.status_code == 401 and replay.json()["error"] == "invalid_client", (code, replay.text)
    assert requests.post(f"{base}/oauth/token", data=form(assertion())).status_code == 200


def test_client_credentials_agent_exchanges_as_actor_of_a_may_act_grant(stack):
    base, key = stack.url, stack.key("admin")
    admin = Client(base_url=base, token=key)
    boss = admin.agents.register_agent(app_id="app_act", name="boss", scopes=["mcp:read", "mcp:write"])
    actor = admin.agents.register_agent(app_id="app_act", name="actor", scopes=["mcp:read"],
                                        grant_types=["client_credentials"])
    loner = admin.agents.register_agent(app_id="app_act", name="loner", scopes=["mcp:read"],
                                        grant_types=["client_credentials"])
    prover = DPoPProver.generate()
    subject = token(base, boss, prover, scope="mcp:read mcp:write").access_token
    oauth = OAuthClient(base)

    def exchange(agent, **kw):
        return oauth.token_exchange(subject_token=subject, client_id=agent["client_id"],
                                    client_secret=agent["client_secret"], dpop_prover=prover, **kw)

    # Without a grant the agent is not registered for the exchange: unauthorized_client.
    with pytest.raises(OAuthError) as e:
        exchange(actor)
    assert (e.value.status_code, e.value.error) == (400, "unauthorized_client")

    grant = MayActClient(base, key).create(actor["id"], boss["client_id"], max_hops=1, scopes=["mcp:read"])
    child = exchange(actor, scope="mcp:read")
    c = claims_of(child.access_token)
    assert c["sub"] == boss["client_id"] and c["client_id"] == actor["client_id"]
    assert c["act"]["sub"] == actor["client_id"] and child.cnf_jkt == prover.jkt
    assert OAuthClient(base, token=key).introspect_token(child.access_token)["act"]["sub"] == actor["client_id"]
    # Another client_credentials agent, without a grant, stays refused.
    with pytest.raises(OAuthError) as e:
        exchange(loner)
    assert (e.value.status_code, e.value.error) == (400, "unauthorized_client")
    # The grant revoked, the actor is refused again.
    MayActClient(base, key).revoke(grant["id"])
    with pytest.raises(OAuthError) as e:
        exchange(actor, scope="mcp:read")
    assert (e.value.status_code, e.value.error) == (400, "unauthorized_client")

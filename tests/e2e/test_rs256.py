"""RS256 access tokens for resource servers whose JWT libraries verify RS256 only
(SharkAuth parity, issue 20): a client or agent set to `access_token_alg: RS256` gets
tokens signed by the tenant's RS256 key, published in its JWKS beside the ES256 key,
which an RS256-only verifier (PyJWT with algorithms=["RS256"]) accepts. ES256 stays
the default. Runs on both engines (make e2e; SHARK_E2E_LAMBDA=1 on moto, envelope keys)."""
import base64
import json
import time

import jwt
import pytest
import requests
from jwt import PyJWKClient
from shark_auth import Client, DPoPProver, OAuthClient
from shark_auth import SharkAPIError
from shark_auth.tokens import clear_jwks_cache, decode_agent_token

AUD = "https://mcp.example.com"
PRIVATE = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def header(token):
    seg = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def jwks(stack):
    r = requests.get(f"{stack.url}/.well-known/jwks.json")
    assert r.status_code == 200, r.text
    return r


def token_for(stack, client_id, secret):
    return OAuthClient(stack.url).get_token_with_dpop(
        grant_type="client_credentials", dpop_prover=DPoPProver.generate(), client_id=client_id,
        client_secret=secret, scope="mcp:read", audience=AUD).access_token


def rs256_only(stack, token):
    key = PyJWKClient(f"{stack.url}/.well-known/jwks.json", cache_keys=False).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=AUD, issuer=stack.url,
                      options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]})


def test_rs256_agent_tokens_verify_with_an_rs256_only_verifier(stack):
    admin = Client(base_url=stack.url, token=stack.key("admin"))
    headers = {"Authorization": f"Bearer {stack.key('admin')}"}

    # Before any client asks for RS256: the ES256 key alone, cacheable for the
    # rotation's publication lead (a next key is published 300 s before it signs).
    before = jwks(stack)
    assert [k["kty"] for k in before.json()["keys"]] == ["EC"]
    cc = [d.strip() for d in before.headers["Cache-Control"].split(",")]
    assert "public" in cc and "max-age=300" in cc

    # An unknown algorithm is refused, and creates nothing.
    with pytest.raises(SharkAPIError) as err:
        admin.agents.register_agent(app_id="app_rs", name="bad", scopes=["mcp:read"], access_token_alg="HS256")
    assert err.value.status == 400
    with pytest.raises(SharkAPIError) as err:
        admin.agents.register_agent(app_id="app_rs", name="bad", scopes=["mcp:read"], access_token_alg="none")
    assert err.value.status == 400
    assert [k["kty"] for k in jwks(stack).json()["keys"]] == ["EC"]

    es_agent = admin.agents.register_agent(app_id="app_rs", name="es", scopes=["mcp:read"])
    assert es_agent["access_token_alg"] == "ES256"
    rs_agent = admin.agents.register_agent(app_id="app_rs", name="rs", scopes=["mcp:read"], access_token_alg="RS256")
    assert rs_agent["access_token_alg"] == "RS256"
    assert admin.agents.get_agent(rs_agent["id"])["access_token_alg"] == "RS256"

    keys = jwks(stack).json()["keys"]
    assert [k["kty"] for k in keys] == ["EC", "RSA"]
    rsa = keys[1]
    assert rsa["use"] == "sig" and rsa["alg"] == "RS256" and rsa["e"] == "AQAB" and rsa["kid"]
    n = base64.urlsafe_b64decode(rsa["n"] + "=" * (-len(rsa["n"]) % 4))
    assert int.from_bytes(n, "big").bit_length() >= 2048
    assert not PRIVATE & set(rsa) and not PRIVATE & set(keys[0])
    listed = requests.get(f"{stack.url}/api/v1/admin/signing-keys", headers=headers).json()["data"]
    assert sorted((k["alg"], k["state"]) for k in listed) == [("ES256", "current"), ("RS256", "current")]

    # A second RS256 client reuses the tenant's RS256 key.
    app = admin.apps.create(name="rs-app")
    patched = requests.patch(f"{stack.url}/api/v1/admin/apps/{app['id']}", headers=headers, json={"access_token_alg": "RS256"})
    assert patched.status_code == 200 and patched.json()["access_token_alg"] == "RS256", patched.text
    assert len(jwks(stack).json()["keys"]) == 2

    rs_token = token_for(stack, rs_agent["client_id"], rs_agent["client_secret"])
    assert header(rs_token) == {"alg": "RS256", "kid": rsa["kid"], "typ": "at+jwt"}
    claims = rs256_only(stack, rs_token)
    assert claims["client_id"] == rs_agent["client_id"] and claims["cnf"]["jkt"]
    with pytest.raises(jwt.InvalidAlgorithmError):
        key = PyJWKClient(f"{stack.url}/.well-known/jwks.json").get_signing_key_from_jwt(rs_token)
        jwt.decode(rs_token, key.key, algorithms=["ES256"], audience=AUD)
    clear_jwks_cache()  # the SDK's own verifier takes the alg of the key it finds
    assert decode_agent_token(rs_token, f"{stack.url}/.well-known/jwks.json", expected_issuer=stack.url,
                              expected_audience=AUD).sub == rs_agent["client_id"]

    r = requests.post(f"{stack.url}/oauth/token", auth=(app["client_id"], app["client_secret"]),
                      data={"grant_type": "client_credentials", "audience": AUD})
    assert r.status_code == 200, r.text
    app_token = r.json()["access_token"]
    assert header(app_token)["alg"] == "RS256"
    rs256_only(stack, app_token)

    # ES256 stays the default, and an RS256-only verifier refuses it.
    es_token = token_for(stack, es_agent["client_id"], es_agent["client_secret"])
    assert header(es_token)["alg"] == "ES256"
    with pytest.raises(jwt.InvalidAlgorithmError):
        rs256_only(stack, es_token)

    # Introspection and revocation take RS256 tokens.
    oauth = OAuthClient(stack.url, token=stack.key("admin"))
    info = oauth.introspect_token(rs_token)
    assert info["active"] is True and info["client_id"] == rs_agent["client_id"]
    relabelled = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "kid": rsa["kid"], "typ": "at+jwt"}).encode()).rstrip(b"=").decode()
    assert oauth.introspect_token(relabelled + rs_token[rs_token.index("."):]) == {"active": False}
    oauth.revoke_token(rs_token)
    assert oauth.introspect_token(rs_token) == {"active": False}

    # Back to ES256 by PATCH.
    back = requests.patch(f"{stack.url}/api/v1/agents/{rs_agent['id']}", headers=headers, json={"access_token_alg": "ES256"})
    assert back.status_code == 200 and back.json()["access_token_alg"] == "ES256", back.text
    assert header(token_for(stack, rs_agent["client_id"], rs_agent["client_secret"]))["alg"] == "ES256"


def test_rs256_key_rotation(stack):
    admin = Client(base_url=stack.url, token=stack.key("admin"))
    headers = {"Authorization": f"Bearer {stack.key('admin')}"}
    bad = requests.post(f"{stack.url}/api/v1/admin/signing-keys/rotate", headers=headers, json={"alg": "PS256"})
    assert bad.status_code == 400, bad.text
    # Rotating RS256 before any client asked for it makes the tenant's first RS256 key, current at once.
    first = requests.post(f"{stack.url}/api/v1/admin/signing-keys/rotate", headers=headers, json={"alg": "RS256"})
    assert first.status_code == 200 and first.json()["state"] == "current" and first.json()["signing_key"]["alg"] == "RS256", first.text
    assert first.json()["public_jwk"]["kty"] == "RSA"
    agent = admin.agents.register_agent(app_id="app_rs", name="rs", scopes=["mcp:read"], access_token_alg="RS256")
    es_agent = admin.agents.register_agent(app_id="app_rs", name="es", scopes=["mcp:read"])
    old = token_for(stack, agent["client_id"], agent["client_secret"])
    es_token = token_for(stack, es_agent["client_id"], es_agent["client_secret"])
    assert header(old)["kid"] == first.json()["kid"]
    es_kid = header(es_token)["kid"]

    # An emergency RS256 rotation: a new RS256 key signs at once, the old one's tokens are
    # inactive, the ES256 key and its tokens are untouched.
    rotated = requests.post(f"{stack.url}/api/v1/admin/signing-keys/rotate", headers=headers,
                            json={"alg": "RS256", "mode": "emergency"})
    assert rotated.status_code == 200 and rotated.json()["state"] == "current", rotated.text
    assert rotated.json()["kid"] != first.json()["kid"]
    kids = [(k["kty"], k["kid"]) for k in jwks(stack).json()["keys"]]
    assert kids == [("EC", es_kid), ("RSA", rotated.json()["kid"])]
    oauth = OAuthClient(stack.url, token=stack.key("admin"))
    assert oauth.introspect_token(old) == {"active": False}
    assert oauth.introspect_token(es_token)["active"] is True
    # Another container (the token function under Lambda) sees the revoked kid once
    # its tenant cache (2 s here) expires, as for an ES256 emergency rotation.
    deadline = time.monotonic() + 10
    while True:
        fresh = token_for(stack, agent["client_id"], agent["client_secret"])
        if header(fresh)["kid"] == rotated.json()["kid"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert header(fresh)["kid"] == rotated.json()["kid"]
    rs256_only(stack, fresh)

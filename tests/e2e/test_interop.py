"""Interoperability with clients and validators nobody here wrote, each with its
default, strict settings: PyJWT's PyJWKClient, panva's jose (Node), requests-oauth2client
(client_credentials with DPoP, then the resource server), and authlib
(client_secret_basic and private_key_jwt)."""
import json
import shutil
import subprocess

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey, RSAKey
from jwt import PyJWKClient
from requests_oauth2client import DPoPToken, OAuth2Client
from shark_auth import Client, DPoPProver, OAuthClient

from conftest import ROOT, free_port
from test_guides import ResourceServer, mcp_server_bin  # noqa: F401  (fixture)

INTEROP = ROOT / "tests" / "interop"


@pytest.fixture
def env(stack, mcp_server_bin):
    admin = Client(base_url=stack.url, token=stack.key("admin"))
    agent = admin.agents.register_agent(app_id="app_interop", name="agent-interop", scopes=["mcp:read", "mcp:write"])
    port = free_port()
    rs = ResourceServer(stack.url, f"http://127.0.0.1:{port}", port=port)
    yield stack, agent, rs
    rs.stop()


def sdk_token(stack, agent, audience):
    prover = DPoPProver.generate()
    t = OAuthClient(stack.url).get_token_with_dpop(grant_type="client_credentials", dpop_prover=prover,
                                                   client_id=agent["client_id"], client_secret=agent["client_secret"],
                                                   scope="mcp:read", audience=audience)
    return t, prover


def test_pyjwt_pyjwkclient(env):
    stack, agent, rs = env
    t, prover = sdk_token(stack, agent, rs.url)
    client = PyJWKClient(f"{stack.url}/.well-known/jwks.json")
    key = client.get_signing_key_from_jwt(t.access_token)
    claims = jwt.decode(t.access_token, key.key, algorithms=["ES256"], audience=rs.url, issuer=stack.url,
                        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]})
    assert claims["cnf"]["jkt"] == prover.jkt
    cases = [("wrong audience", {"audience": "https://other.example.com", "issuer": stack.url}, jwt.InvalidAudienceError),
             ("wrong issuer", {"audience": rs.url, "issuer": stack.url + "/t/other"}, jwt.InvalidIssuerError)]
    for name, kw, exc in cases:
        with pytest.raises(exc):
            jwt.decode(t.access_token, key.key, algorithms=["ES256"], **kw)
    with pytest.raises(jwt.InvalidAlgorithmError):  # an RS256-only validator refuses it
        jwt.decode(t.access_token, key.key, algorithms=["RS256"], audience=rs.url)


def node_verify(stack, audience, token):
    node = shutil.which("node")
    assert node, "node is required (make test runs npm ci in tests/interop)"
    assert (INTEROP / "node_modules" / "jose").is_dir(), "run `npm ci` in tests/interop (make test does)"
    p = subprocess.run([node, "verify.mjs", f"{stack.url}/.well-known/jwks.json", stack.url, audience, token],
                       cwd=INTEROP, capture_output=True, text=True, timeout=60)
    return p.returncode, json.loads(p.stdout.strip().splitlines()[-1])


def test_panva_jose_remote_jwks(env):
    stack, agent, rs = env
    t, prover = sdk_token(stack, agent, rs.url)
    rc, out = node_verify(stack, rs.url, t.access_token)
    assert rc == 0, out
    assert out["protectedHeader"]["typ"] == "at+jwt" and out["protectedHeader"]["alg"] == "ES256"
    assert out["payload"]["cnf"]["jkt"] == prover.jkt
    rc, out = node_verify(stack, "https://other.example.com", t.access_token)
    assert (rc, out["error"]) == (1, "ERR_JWT_CLAIM_VALIDATION_FAILED")
    tampered = t.access_token[:-4] + ("AAAA" if not t.access_token.endswith("AAAA") else "BBBB")
    rc, out = node_verify(stack, rs.url, tampered)
    assert (rc, out["error"]) == (1, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED")


def test_requests_oauth2client_dpop_client_credentials(env):
    stack, agent, rs = env
    # testing=True only lifts the library's https-only rule for our http://localhost runner.
    client = OAuth2Client(f"{stack.url}/oauth/token", client_id=agent["client_id"],
                          client_secret=agent["client_secret"], dpop_bound_access_tokens=True, testing=True)
    token = client.client_credentials(scope="mcp:read", resource=rs.url)
    assert isinstance(token, DPoPToken)
    claims = jwt.decode(token.access_token, options={"verify_signature": False})
    assert claims["cnf"]["jkt"] == token.dpop_key.dpop_jkt and claims["aud"] == rs.url
    resp = requests.get(f"{rs.url}/tools/list", auth=token)
    assert resp.status_code == 200, (resp.status_code, resp.headers.get("WWW-Authenticate"))
    assert resp.json()["caller"]["sub"] == agent["client_id"]
    # The same proof twice is a replay (sent without the library's 401 hook, which
    # reads every DPoP challenge as a nonce request).
    headers = dict(requests.Request("GET", f"{rs.url}/tools/list", auth=token).prepare().headers)
    assert requests.get(f"{rs.url}/tools/list", headers=headers).status_code == 200
    replay = requests.get(f"{rs.url}/tools/list", headers=headers)
    assert replay.status_code == 401 and 'error="invalid_dpop_proof"' in replay.headers["WWW-Authenticate"]


def test_authlib_client_secret_basic(env):
    stack, agent, rs = env
    session = OAuth2Session(agent["client_id"], agent["client_secret"], token_endpoint_auth_method="client_secret_basic",
                            scope="mcp:read")
    token = session.fetch_token(f"{stack.url}/oauth/token", grant_type="client_credentials", resource=rs.url)
    assert token["token_type"] == "Bearer"
    assert requests.get(f"{rs.url}/x", headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 200
    bad = OAuth2Session(agent["client_id"], "0" * 64, token_endpoint_auth_method="client_secret_basic")
    with pytest.raises(Exception) as e:
        bad.fetch_token(f"{stack.url}/oauth/token", grant_type="client_credentials")
    assert "invalid_client" in str(e.value)


def new_key(kty):
    if kty == "EC":
        return ECKey.generate_key("P-256", parameters={"kid": "k1"})
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.mark.parametrize("kty,alg", [("EC", "ES256"), ("RSA", "RS256")])
def test_authlib_private_key_jwt(env, kty, alg):
    """authlib's PrivateKeyJWT with its defaults (one-hour assertion, aud = token endpoint)."""
    stack, agent, rs = env
    key = new_key(kty)
    reg = requests.post(f"{stack.url}/oauth/register", json={
        "client_name": "authlib-pkjwt", "grant_types": ["client_credentials"], "scope": "mcp:read",
        "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [key.as_dict(private=False)]}})
    assert reg.status_code == 201, reg.text
    client_id = reg.json()["client_id"]
    token_endpoint = f"{stack.url}/oauth/token"
    session = OAuth2Session(client_id, key, token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, alg=alg))
    token = session.fetch_token(token_endpoint, grant_type="client_credentials", resource=rs.url)
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == client_id and claims["aud"] == rs.url
    assert requests.get(f"{rs.url}/x", headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 200
    # Another key is not the client's.
    session = OAuth2Session(client_id, new_key(kty), token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, alg=alg))
    with pytest.raises(Exception) as e:
        session.fetch_token(token_endpoint, grant_type="client_credentials")
    assert "invalid_client" in str(e.value)

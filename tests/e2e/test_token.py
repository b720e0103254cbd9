"""The token function as the SDK drives it (issue 8 "Must show"): a DPoP-bound
client_credentials token whose cnf.jkt is the prover's, verified offline with
PyJWT's PyJWKClient on the tenant's JWKS (right audience and issuer pass,
another audience fails), on the root tenant and on the path tenant /t/acme;
then revocation by the admin key and introspection answering exactly
{"active": false}."""
import jwt
import pytest
import requests
from jwt import PyJWKClient
from shark_auth import Client, DPoPProver, OAuthClient
from shark_auth.errors import OAuthError

MCP = "https://mcp.example.com"


def tenant_base(stack, name):
    """The base URL and admin key of the root tenant (None) or a new path tenant."""
    if name is None:
        return stack.url, stack.key("admin")
    created = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": name},
                            headers={"Authorization": f"Bearer {stack.key('platform')}"})
    assert created.status_code == 201, created.text
    return created.json()["issuer"], created.json()["admin_key"]


@pytest.mark.parametrize("tenant", [None, "acme"], ids=["root", "path-tenant-acme"])
def test_sdk_dpop_token_verifies_offline_and_revokes(stack, tenant):
    base, admin_key = tenant_base(stack, tenant)
    agent = Client(base_url=base, token=admin_key).agents.register_agent(
        app_id="app_e2e", name="agent-e2e", scopes=["mcp:read", "mcp:write"])
    prover = DPoPProver.generate()

    token = OAuthClient(base).get_token_with_dpop(
        grant_type="client_credentials", dpop_prover=prover,
        client_id=agent["client_id"], client_secret=agent["client_secret"],
        scope="mcp:read mcp:write", audience=MCP)

    assert token.token_type == "DPoP"
    assert token.cnf_jkt == prover.jkt
    assert token.scope == "mcp:read mcp:write"
    header = jwt.get_unverified_header(token.access_token)
    assert (header["alg"], header["typ"]) == ("ES256", "at+jwt")

    jwks = PyJWKClient(f"{base}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token.access_token)
    claims = jwt.decode(token.access_token, key.key, algorithms=["ES256"], audience=MCP, issuer=base)
    assert claims["cnf"]["jkt"] == prover.jkt
    assert claims["aud"] == MCP  # one audience: a string (RFC 7519 §4.1.3)
    assert claims["sub"] == claims["client_id"] == agent["client_id"]
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token.access_token, key.key, algorithms=["ES256"], audience="https://other.example.com", issuer=base)

    # The SDK's token exchange: same agent, narrower scope, same key binding.
    parent = OAuthClient(base).get_token_with_dpop(
        grant_type="client_credentials", dpop_prover=prover,
        client_id=agent["client_id"], client_secret=agent["client_secret"], scope="mcp:read mcp:write")
    child = OAuthClient(base).token_exchange(
        subject_token=parent.access_token, client_id=agent["client_id"], client_secret=agent["client_secret"],
        dpop_prover=prover, scope="mcp:read", audience=MCP)
    assert child.scope == "mcp:read" and child.cnf_jkt == parent.cnf_jkt == prover.jkt
    assert child.raw["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert jwt.decode(child.access_token, jwks.get_signing_key_from_jwt(child.access_token).key,
                      algorithms=["ES256"], audience=MCP, issuer=base)["sub"] == agent["client_id"]

    admin_oauth = OAuthClient(base, token=admin_key)
    assert admin_oauth.introspect_token(token.access_token)["active"] is True
    admin_oauth.revoke_token(token.access_token)
    resp = requests.post(f"{base}/oauth/introspect", data={"token": token.access_token},
                         headers={"Authorization": f"Bearer {admin_key}"})
    assert resp.status_code == 200
    assert resp.text.strip() == '{"active":false}'
    assert resp.headers["Cache-Control"] == "no-store"


def test_token_endpoint_errors_in_rfc6749_shape(stack):
    base, admin_key = stack.url, stack.key("admin")
    agent = Client(base_url=base, token=admin_key).agents.register_agent(
        app_id="app_e2e", name="agent-errors", scopes=["mcp:read"])
    prover = DPoPProver.generate()
    oauth = OAuthClient(base)
    cases = [
        (dict(client_secret="wrong"), 401, "invalid_client"),
        (dict(scope="admin"), 400, "invalid_scope"),
        (dict(resource="/relative"), 400, "invalid_target"),
    ]
    for extra, status, code in cases:
        kwargs = dict(grant_type="client_credentials", dpop_prover=prover,
                      client_id=agent["client_id"], client_secret=agent["client_secret"])
        kwargs.update(extra)
        with pytest.raises(OAuthError) as e:
            oauth.get_token_with_dpop(**kwargs)
        assert (e.value.status_code, e.value.error) == (status, code), extra
    # A replayed proof is refused.
    proof = prover.make_proof(htm="POST", htu=f"{base}/oauth/token")
    form = {"grant_type": "client_credentials", "client_id": agent["client_id"], "client_secret": agent["client_secret"]}
    first = requests.post(f"{base}/oauth/token", data=form, headers={"DPoP": proof})
    again = requests.post(f"{base}/oauth/token", data=form, headers={"DPoP": proof})
    assert first.status_code == 200, first.text
    assert again.status_code == 400 and again.json()["error"] == "invalid_dpop_proof"
    assert again.headers["Cache-Control"] == "no-store" and again.headers["Pragma"] == "no-cache"
    # Discovery lists what the token function implements.
    md = requests.get(f"{base}/.well-known/oauth-authorization-server").json()
    assert md["token_endpoint"] == f"{base}/oauth/token"
    assert "client_credentials" in md["grant_types_supported"]
    assert "ES256" in md["dpop_signing_alg_values_supported"] and "none" not in md["dpop_signing_alg_values_supported"]

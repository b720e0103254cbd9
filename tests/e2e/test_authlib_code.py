"""authlib (a client nobody here wrote) through the interactive flow, on the `stack` fixture
(so on both engines): its OAuth2Session builds the authorization URL with a PKCE S256
challenge, a requests.Session plays the browser at the authorize function's login and
consent pages, and authlib exchanges the code and refreshes, as a confidential web client
(client_secret_basic) and as a public client (token_endpoint_auth_method none)."""
import html
import re
import uuid
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from jwt import PyJWKClient

from conftest import free_port

PASSWORD = "authlib correct horse"
RESOURCE = "https://mcp.example.com/mcp"


def admin(stack):
    return {"Authorization": f"Bearer {stack.key('admin')}"}


def ok(r, status):
    assert r.status_code == status, f"{r.request.method} {r.request.path_url}: {r.status_code} {r.text}"
    return r.json()


def person(stack):
    """A user with a password, set through the admin API."""
    email = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    u = ok(requests.post(stack.url + "/api/v1/admin/users", json={"email": email, "name": "Ann"}, headers=admin(stack), timeout=60), 201)
    ok(requests.post(stack.url + f"/api/v1/users/{u['id']}/password", json={"password": PASSWORD}, headers=admin(stack), timeout=60), 200)
    return u


def register(stack, redirect, auth_method):
    """A client registered through DCR the way a web app (or an MCP client) does."""
    return ok(requests.post(stack.url + "/oauth/register", json={
        "client_name": f"authlib {auth_method}", "redirect_uris": [redirect], "token_endpoint_auth_method": auth_method,
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"], "scope": "mcp:read",
        "application_type": "web" if auth_method != "none" else "native"}, timeout=60), 201)


def field(page, name):
    """A hidden input's value, as a browser submits it."""
    m = re.search(r'name="' + name + r'" value="([^"]*)"', page)
    assert m, f"no {name} in the page: {page[:800]}"
    return html.unescape(m.group(1))


def browser_authorizes(stack, authorization_url, email, consented=False):
    """A browser: the login page, the consent page (unless the person already consented to
    this client, scopes and resource), then the redirect back (not followed)."""
    b = requests.Session()
    page = b.get(authorization_url, timeout=60, allow_redirects=False)
    assert page.status_code == 200, page.text
    assert 'name="password"' in page.text, page.text
    action = stack.url + "/oauth/authorize"
    r = b.post(action, data={"step": "login", "csrf": field(page.text, "csrf"), "request": field(page.text, "request"),
                             "email": email, "password": PASSWORD}, timeout=60, allow_redirects=False)
    if consented:
        assert r.status_code in (302, 303), f"{r.status_code} {r.text}"
        return r.headers["Location"]
    assert r.status_code == 200 and 'value="allow"' in r.text, r.text
    assert "127.0.0.1" in r.text  # the consent page names where the code goes
    r = b.post(action, data={"step": "consent", "csrf": field(r.text, "csrf"), "request": field(r.text, "request"),
                             "decision": "allow"}, timeout=60, allow_redirects=False)
    assert r.status_code in (302, 303), f"{r.status_code} {r.text}"
    return r.headers["Location"]


def claims_of(stack, token):
    """The access token's claims, its signature checked against the tenant's JWKS."""
    key = PyJWKClient(f"{stack.url}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["ES256", "RS256"], audience=RESOURCE, issuer=stack.url,
                      options={"require": ["exp", "iat", "iss", "aud", "sub"]})


def introspect(stack, token):
    return ok(requests.post(stack.url + "/oauth/introspect", data={"token": token}, headers=admin(stack), timeout=60), 200)


def discovery(stack):
    return ok(requests.get(stack.url + "/.well-known/oauth-authorization-server", timeout=60), 200)


def run_flow(stack, auth_method):
    meta = discovery(stack)
    assert meta["issuer"] == stack.url
    assert "S256" in meta["code_challenge_methods_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert auth_method in meta["token_endpoint_auth_methods_supported"]
    user = person(stack)
    redirect = f"http://127.0.0.1:{free_port()}/cb"
    reg = register(stack, redirect, auth_method)
    client = OAuth2Session(client_id=reg["client_id"], client_secret=reg.get("client_secret"), scope="mcp:read",
                           redirect_uri=redirect, token_endpoint_auth_method=auth_method, code_challenge_method="S256",
                           token_endpoint=meta["token_endpoint"])
    verifier = generate_token(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, resource=RESOURCE)
    assert "code_challenge=" in url and "code_challenge_method=S256" in url

    location = browser_authorizes(stack, url, user["email"])
    assert location.startswith(redirect + "?"), location
    back = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    assert back["state"] == state
    assert back["iss"] == meta["issuer"]  # RFC 9207: the client knows who answered
    assert "code" in back and "error" not in back

    token = client.fetch_token(authorization_response=location, code_verifier=verifier, resource=RESOURCE)
    assert token["token_type"].lower() == "bearer"
    assert token.get("refresh_token"), token
    claims = claims_of(stack, token["access_token"])
    assert claims["sub"] == user["id"]
    assert claims["client_id"] == reg["client_id"]
    assert introspect(stack, token["access_token"])["active"] is True
    return client, token, reg, location, verifier, user


def code_replay_refused(stack, client, location, verifier, tokens):
    """A second use of the code is refused and (RFC 6749 §4.1.2) revokes what the first use
    issued, refreshed tokens included."""
    with pytest.raises(OAuthError) as e:
        client.fetch_token(authorization_response=location, code_verifier=verifier, resource=RESOURCE)
    assert e.value.error == "invalid_grant"
    for t in tokens:
        assert introspect(stack, t["access_token"])["active"] is False
    with pytest.raises(OAuthError) as e:
        client.refresh_token(refresh_token=tokens[-1]["refresh_token"])
    assert e.value.error == "invalid_grant"


def refresh_works(stack, client, token, user):
    refreshed = client.refresh_token(refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != token["refresh_token"]
    assert refreshed["access_token"] != token["access_token"]
    info = introspect(stack, refreshed["access_token"])
    assert info["active"] is True and info["sub"] == user["id"], info
    assert claims_of(stack, refreshed["access_token"])["sub"] == user["id"]
    return refreshed


def test_authlib_confidential_web_client(stack):
    """client_secret_basic, PKCE S256, the code, a refresh, then a replay of the code."""
    client, token, reg, location, verifier, user = run_flow(stack, "client_secret_basic")
    assert reg["client_secret"]
    refreshed = refresh_works(stack, client, token, user)
    code_replay_refused(stack, client, location, verifier, [token, refreshed])


def test_authlib_confidential_client_needs_its_secret(stack):
    """Another code for a confidential client: without its secret the exchange is refused and
    the code is not spent; with the secret but a wrong verifier too; then it works."""
    meta = discovery(stack)
    user = person(stack)
    redirect = f"http://127.0.0.1:{free_port()}/cb"
    reg = register(stack, redirect, "client_secret_basic")
    verifier = generate_token(48)
    good = OAuth2Session(client_id=reg["client_id"], client_secret=reg["client_secret"], scope="mcp:read", redirect_uri=redirect,
                         token_endpoint_auth_method="client_secret_basic", code_challenge_method="S256", token_endpoint=meta["token_endpoint"])
    url, state = good.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, resource=RESOURCE)
    location = browser_authorizes(stack, url, user["email"])

    wrong_secret = OAuth2Session(client_id=reg["client_id"], client_secret="not-the-secret", scope="mcp:read", redirect_uri=redirect,
                                 token_endpoint_auth_method="client_secret_basic", state=state, token_endpoint=meta["token_endpoint"])
    with pytest.raises(OAuthError) as e:
        wrong_secret.fetch_token(authorization_response=location, code_verifier=verifier, resource=RESOURCE)
    assert e.value.error == "invalid_client"
    as_public = OAuth2Session(client_id=reg["client_id"], scope="mcp:read", redirect_uri=redirect,
                              token_endpoint_auth_method="none", state=state, token_endpoint=meta["token_endpoint"])
    with pytest.raises(OAuthError) as e:
        as_public.fetch_token(authorization_response=location, code_verifier=verifier, resource=RESOURCE)
    assert e.value.error == "invalid_client"
    token = good.fetch_token(authorization_response=location, code_verifier=verifier, resource=RESOURCE)
    assert claims_of(stack, token["access_token"])["sub"] == user["id"]


def test_authlib_public_client_pkce(stack):
    """token_endpoint_auth_method none: authlib sends client_id in the body and the PKCE
    verifier; the wrong verifier is refused; refresh works without a secret."""
    client, token, reg, location, verifier, user = run_flow(stack, "none")
    assert not reg.get("client_secret")
    refreshed = refresh_works(stack, client, token, user)
    code_replay_refused(stack, client, location, verifier, [token, refreshed])

    # A fresh code with the wrong verifier is refused.
    meta = discovery(stack)
    v2 = generate_token(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=v2, resource=RESOURCE)
    location = browser_authorizes(stack, url, user["email"], consented=True)
    with pytest.raises(OAuthError) as e:
        client.fetch_token(authorization_response=location, code_verifier=generate_token(48), resource=RESOURCE, state=state)
    assert e.value.error == "invalid_grant"

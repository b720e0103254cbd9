"""A user's consents in the admin API (issue 22 item 6), on the real stack (both engines):
a person signs in and consents through the authorize function's pages, the client exchanges
the code; the SDK lists the client among the user's authorized agents; revoking the consent
(DELETE, or the SDK's users.revoke_agents) ends the grant's access and refresh tokens."""
import html
import re
import urllib.parse
import uuid

import requests
from shark_auth import Client

REDIRECT = "http://127.0.0.1:7777/cb"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def field(page, name):
    m = re.search(r'name="' + name + r'" value="([^"]*)"', page)
    assert m, f"no {name} in the page: {page[:500]}"
    return html.unescape(m.group(1))


def person(stack):
    """A user with a password and a public client registered as MCP clients do."""
    admin = {"Authorization": f"Bearer {stack.key('admin')}"}
    email = f"u-{uuid.uuid4().hex[:10]}@example.com"
    u = requests.post(stack.url + "/api/v1/admin/users", json={"email": email}, headers=admin, timeout=60)
    assert u.status_code == 201, u.text
    u = u.json()
    r = requests.post(stack.url + f"/api/v1/users/{u['id']}/password", json={"password": "a good password"}, headers=admin, timeout=60)
    assert r.status_code == 200, r.text
    c = requests.post(stack.url + "/oauth/register", json={"client_name": "consent-e2e", "redirect_uris": [REDIRECT],
                                                          "token_endpoint_auth_method": "none",
                                                          "grant_types": ["authorization_code", "refresh_token"], "scope": "mcp:read"}, timeout=60)
    assert c.status_code == 201, c.text
    return {**u, "client_id": c.json()["client_id"]}


def authorize(stack, who):
    """Signs who in, allows the client and exchanges the code: the token response."""
    b = requests.Session()
    q = {"response_type": "code", "client_id": who["client_id"], "redirect_uri": REDIRECT, "scope": "mcp:read",
         "state": "s", "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    page = b.get(stack.url + "/oauth/authorize", params=q, timeout=60, allow_redirects=False)
    assert page.status_code == 200, page.text
    page = b.post(stack.url + "/oauth/authorize", data={"step": "login", "csrf": field(page.text, "csrf"), "request": field(page.text, "request"),
                                                        "email": who["email"], "password": "a good password"}, timeout=60, allow_redirects=False)
    assert page.status_code == 200 and 'value="allow"' in page.text, page.text
    r = b.post(stack.url + "/oauth/authorize", data={"step": "consent", "csrf": field(page.text, "csrf"), "request": field(page.text, "request"),
                                                     "decision": "allow"}, timeout=60, allow_redirects=False)
    assert r.status_code in (302, 303), r.text
    code = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)["code"][0]
    t = requests.post(stack.url + "/oauth/token", data={"grant_type": "authorization_code", "client_id": who["client_id"], "code": code,
                                                       "redirect_uri": REDIRECT, "code_verifier": VERIFIER}, timeout=60)
    assert t.status_code == 200, t.text
    return t.json()


def active(stack, token):
    r = requests.post(stack.url + "/oauth/introspect", data={"token": token}, headers={"Authorization": f"Bearer {stack.key('admin')}"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["active"]


def refresh(stack, who, rt):
    return requests.post(stack.url + "/oauth/token", data={"grant_type": "refresh_token", "client_id": who["client_id"], "refresh_token": rt}, timeout=60)


def test_consent_listed_and_revoked(stack):
    sdk = Client(base_url=stack.url, token=stack.key("admin"))
    admin = {"Authorization": f"Bearer {stack.key('admin')}"}
    who = person(stack)
    tok = authorize(stack, who)
    assert active(stack, tok["access_token"])

    listed = sdk.users.list_agents(who["id"], filter="authorized")
    assert listed.filter == "authorized" and listed.total == 1
    assert [a["client_id"] for a in listed.data] == [who["client_id"]]
    cons = requests.get(stack.url + f"/api/v1/users/{who['id']}/consents", headers=admin, timeout=60).json()["data"]
    assert [(c["client_id"], c["redirect_uri"], c["scopes"]) for c in cons] == [(who["client_id"], REDIRECT, ["mcp:read"])]

    r = requests.delete(stack.url + f"/api/v1/users/{who['id']}/consents/{cons[0]['id']}", headers=admin, timeout=60)
    assert r.status_code == 204, r.text
    assert not active(stack, tok["access_token"])
    r = refresh(stack, who, tok["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert sdk.users.list_agents(who["id"], filter="authorized").total == 0
    again = requests.delete(stack.url + f"/api/v1/users/{who['id']}/consents/{cons[0]['id']}", headers=admin, timeout=60)
    assert again.status_code == 404 and again.json()["error"] == "not_found", again.text


def test_revoke_agents_revokes_consents(stack):
    sdk = Client(base_url=stack.url, token=stack.key("admin"))
    who = person(stack)
    tok = authorize(stack, who)
    r = refresh(stack, who, tok["refresh_token"])
    assert r.status_code == 200, r.text
    rotated = r.json()

    res = sdk.users.revoke_agents(who["id"], reason="left the company")
    assert res.revoked_consent_count == 1 and res.audit_event_id
    assert not active(stack, rotated["access_token"])
    r = refresh(stack, who, rotated["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert sdk.users.list_agents(who["id"], filter="authorized").data == []
    assert sdk.users.revoke_agents(who["id"]).revoked_consent_count == 0

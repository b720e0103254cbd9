"""Revocation visible offline (issue 24): a resource server verifying tokens offline with
sdk/go/resource and its revocation feed (sdk/go/examples/feedcheck, polling every second)
refuses a token revoked by any layer within the poll interval plus a generous margin,
without one introspection call (it counts every call it makes). Through HTTP, on
whichever engine the stack runs."""
import os
import subprocess
import time

import jwt
import pytest
import requests
from shark_auth import Client, DPoPProver, MayActClient, OAuthClient

from conftest import ROOT, free_port

FEEDCHECK = ROOT / "bin" / "feedcheck"
INTERVAL = 1.0
# An upper bound, not a timing: the poll interval (jittered up to +20 %) plus a generous
# margin for a loaded machine and the Lambda mode's cold starts.
BOUND = INTERVAL * 1.2 + 6.0
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


@pytest.fixture(scope="module")
def feedcheck_bin():
    subprocess.run(["go", "build", "-C", "sdk/go", "-o", "../../bin/feedcheck", "./examples/feedcheck"], cwd=ROOT, check=True)
    return FEEDCHECK


class FeedRS:
    """A feedcheck resource server for one tenant, registered with it (shark resource
    create) and reading the feed with its own least-privilege credential, not an admin key."""

    def __init__(self, issuer, admin_key):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        reg = requests.post(f"{issuer}/api/v1/resource-servers", headers={"Authorization": f"Bearer {admin_key}"},
                            json={"name": f"feedcheck {self.port}", "resources": [self.url]})
        assert reg.status_code == 201, reg.text
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHARK_FEED_")}
        env.update(SHARK_FEED_CLIENT_ID=reg.json()["client_id"], SHARK_FEED_CLIENT_SECRET=reg.json()["client_secret"])
        self.proc = subprocess.Popen([str(FEEDCHECK), "-issuer", issuer, "-resource", self.url,
                                      "-listen", f"127.0.0.1:{self.port}", "-interval", f"{INTERVAL}s"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"feedcheck exited: {self.proc.stderr.read()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("feedcheck did not start")

    def status(self, token):
        return requests.get(f"{self.url}/mcp", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code

    def accepts(self, token, bound=BOUND):
        """Whether the token is accepted within the bound: the first poll of the feed (503
        until then), or the poll after a re-enabled tenant answers again (the feed's 404
        refused every token), may come first."""
        deadline = time.monotonic() + bound
        while (got := self.status(token)) != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        return got == 200

    def refused_within(self, token, bound=BOUND):
        """Seconds until the token is refused (401), or None past the bound."""
        start = time.monotonic()
        while time.monotonic() - start < bound:
            if self.status(token) == 401:
                return time.monotonic() - start
            time.sleep(0.1)
        return None

    def stats(self):
        return requests.get(f"{self.url}/stats", timeout=5).json()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Tenant:
    def __init__(self, base, issuer, key):
        self.base, self.issuer, self.key = base, issuer, key
        self.aud = None  # the feedcheck resource server's URL: the tokens' resource
        self.admin = Client(base_url=issuer, token=key)
        self.h = {"Authorization": f"Bearer {key}"}

    def agent(self, name, **extra):
        return self.admin.agents.register_agent(app_id="app_feed", name=name, scopes=["mcp:read"], **extra)

    def token(self, agent):
        resp = requests.post(f"{self.issuer}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": agent["client_id"],
            "client_secret": agent["client_secret"], "scope": "mcp:read", "resource": self.aud})
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]


def new_tenant(stack, tid):
    """A tenant of its own (for the tenant-wide layers), and a feedcheck resource server
    reading its feed (its tokens are asked for that resource)."""
    platform = {"Authorization": f"Bearer {stack.key('platform')}"}
    created = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": tid}, headers=platform)
    assert created.status_code == 201, created.text
    body = created.json()
    t = Tenant(stack.url, body["issuer"], body["admin_key"])
    rs = FeedRS(t.issuer, t.key)
    t.aud = rs.url
    return t, rs


@pytest.fixture(scope="module")
def feed(module_stack, feedcheck_bin):
    """The root tenant, its tokens for one feedcheck resource server."""
    s = module_stack
    t = Tenant(s.url, s.url, s.key("admin"))
    rs = FeedRS(t.issuer, t.key)
    t.aud = rs.url
    yield t, rs
    rs.stop()


# Each layer that revokes some of a tenant's tokens: (what it needs, how it revokes).
LAYERS = {
    "L1 one token": lambda t, a, tok, u: OAuthClient(t.issuer, token=t.key).revoke_token(tok),
    "L2 revoke-all": lambda t, a, tok, u: t.admin.agents.revoke_all(a["id"]),
    "L2 deactivation": lambda t, a, tok, u: requests.patch(
        f"{t.issuer}/api/v1/agents/{a['id']}", json={"active": False}, headers=t.h).raise_for_status(),
    "L2 deletion": lambda t, a, tok, u: t.admin.agents.revoke_agent(a["id"]),
    "L2 DPoP key rotation": lambda t, a, tok, u: t.admin.agents.rotate_dpop_key(
        a["id"], new_public_key_jwk=DPoPProver.generate().public_jwk),
    "L3 the user's agents": lambda t, a, tok, u: t.admin.users.revoke_agents(u["id"]),
    "L4 client-id pattern": lambda t, a, tok, u: OAuthClient(t.issuer, token=t.key).bulk_revoke_by_pattern(
        client_id_pattern=a["client_id"][:-4] + "*", reason="incident"),
}


@pytest.mark.parametrize("layer", list(LAYERS))
def test_a_revoked_token_is_refused_within_the_poll_interval(feed, layer):
    t, rs = feed
    n = list(LAYERS).index(layer)
    user = t.admin.users.create_user(f"feed{n}@example.com")
    agent = t.agent(f"feed-{n}", created_by=user["id"])
    bystander = t.agent(f"bystander-{n}")
    tok, other = t.token(agent), t.token(bystander)
    assert rs.accepts(tok) and rs.accepts(other), layer
    LAYERS[layer](t, agent, tok, user)
    took = rs.refused_within(tok)
    assert took is not None, f"{layer}: still accepted after {BOUND} s"
    print(f"{layer}: refused after {took:.2f} s")
    assert rs.status(other) == 200, layer
    assert rs.stats()["introspect"] == 0


def test_a_delegated_token_is_refused_when_its_subject_is_revoked(feed):
    t, rs = feed
    subject, actor = t.agent("feed-subject"), t.agent("feed-actor")
    MayActClient(t.issuer, t.key).create(actor["id"], subject["client_id"], max_hops=1)
    resp = requests.post(f"{t.issuer}/oauth/token", data={
        "grant_type": EXCHANGE, "client_id": actor["client_id"], "client_secret": actor["client_secret"],
        "subject_token": t.token(subject), "subject_token_type": ACCESS_TOKEN, "scope": "mcp:read", "resource": t.aud})
    assert resp.status_code == 200, resp.text
    delegated = resp.json()["access_token"]
    assert rs.accepts(delegated)
    t.admin.agents.revoke_all(subject["id"])
    assert rs.refused_within(delegated) is not None
    assert rs.stats()["introspect"] == 0


def test_a_disabled_tenant_and_a_retired_signing_key(module_stack, feedcheck_bin):
    s = module_stack
    platform = {"Authorization": f"Bearer {s.key('platform')}"}
    # L5: disable, then re-enable: the tokens of before stay refused, a new one is good.
    t, rs = new_tenant(s, "feed-l5")
    try:
        agent = t.agent("agent")
        before = t.token(agent)
        assert rs.accepts(before)
        r = requests.post(f"{s.url}/platform/v1/tenants/feed-l5/disable", headers=platform)
        assert r.status_code == 200, r.text
        assert rs.refused_within(before) is not None
        r = requests.patch(f"{s.url}/platform/v1/tenants/feed-l5", json={"disabled": False}, headers=platform)
        assert r.status_code == 200, r.text
        after = t.token(agent)
        assert rs.accepts(after)
        assert rs.status(before) == 401
        assert rs.stats()["introspect"] == 0
    finally:
        rs.stop()
    # An emergency rotation: the old key's tokens are refused (the key may still be cached
    # from the JWKS; the feed names its kid).
    t, rs = new_tenant(s, "feed-kid")
    try:
        old = t.token(t.agent("agent"))
        assert rs.accepts(old)
        r = requests.post(f"{t.issuer}/api/v1/admin/signing-keys/rotate", json={"mode": "emergency"}, headers=t.h)
        assert r.status_code == 200, r.text
        assert rs.refused_within(old) is not None
        # A function whose tenant cache (5 s) predates the rotation still signs with the
        # retired key: ask until a token names the new kid.
        after, kid = t.agent("after"), jwt.get_unverified_header(old)["kid"]
        deadline = time.monotonic() + 30
        while jwt.get_unverified_header(fresh := t.token(after))["kid"] == kid:
            assert rs.refused_within(fresh) is not None, "a token of the retired key"
            assert time.monotonic() < deadline, "still signed with the retired key"
            time.sleep(0.5)
        assert rs.accepts(fresh), "a token of the new key (the feed's key entry lets the JWKS be fetched at once)"
        assert rs.stats()["introspect"] == 0
    finally:
        rs.stop()


def user_grant(stack, who, resource):
    """A person signs in and consents (test_consents' flow) for the resource: the token
    response of the authorization code, whose access token carries its grant family (fam)."""
    import urllib.parse
    from test_consents import CHALLENGE, REDIRECT, VERIFIER, field
    b = requests.Session()
    q = {"response_type": "code", "client_id": who["client_id"], "redirect_uri": REDIRECT, "scope": "mcp:read",
         "state": "s", "code_challenge": CHALLENGE, "code_challenge_method": "S256", "resource": resource}
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
                                                       "redirect_uri": REDIRECT, "code_verifier": VERIFIER, "resource": resource}, timeout=60)
    assert t.status_code == 200, t.text
    return t.json()


# A user's own grants: revoking the consent revokes the grant's family (fam); revoking the
# user's agents also revokes the user's grants (sub = the user).
USER_LAYERS = {
    "consent revoked (its grant family)": lambda s, h, who: requests.delete(
        s.url + f"/api/v1/users/{who['id']}/consents/" + requests.get(
            s.url + f"/api/v1/users/{who['id']}/consents", headers=h, timeout=60).json()["data"][0]["id"],
        headers=h, timeout=60).raise_for_status(),
    "L3 the user's grants": lambda s, h, who: Client(base_url=s.url, token=s.key("admin")).users.revoke_agents(who["id"]),
}


@pytest.mark.parametrize("layer", list(USER_LAYERS))
def test_a_users_grant_is_refused_within_the_poll_interval(module_stack, feed, layer):
    from test_consents import person
    s, (t, rs) = module_stack, feed
    who, other = person(s), person(s)
    tok, kept = user_grant(s, who, t.aud), user_grant(s, other, t.aud)
    claims = jwt.decode(tok["access_token"], options={"verify_signature": False})
    assert claims["sub"] == who["id"] and claims["fam"], claims
    assert rs.accepts(tok["access_token"]) and rs.accepts(kept["access_token"])
    USER_LAYERS[layer](s, t.h, who)
    took = rs.refused_within(tok["access_token"])
    assert took is not None, f"{layer}: still accepted after {BOUND} s"
    print(f"{layer}: refused after {took:.2f} s")
    assert rs.status(kept["access_token"]) == 200
    assert rs.stats()["introspect"] == 0

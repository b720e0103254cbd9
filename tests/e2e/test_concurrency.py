"""Every write route under a burst of parallel requests (issue 20, P6), through HTTP on
the real local stack: on the embedded engine, and with SHARK_E2E_LAMBDA=1 through the
bootstraps under aws-lambda-rie on DynamoDB (moto).

For each route, N requests start together. None may answer a 5xx other than 503
`temporarily_unavailable` with `Retry-After` (a conflict that survived the store's
retries); the end state is consistent (e.g. exactly one of the rotated secrets works),
and the audit trail holds one event per successful mutation. One stack serves the
module: the cases touch disjoint records, and each counts the audit events its own
burst added."""
import base64
import html
import json
import pathlib
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import pytest
import requests
from shark_auth import DPoPProver

N = 6


def burst(fn, n=N):
    """Runs fn(i) for i in 0..n-1 on n threads released together; returns the responses."""
    gate = threading.Barrier(n)

    def run(i):
        gate.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


class API:
    def __init__(self, stack):
        self.url = stack.url
        self.stack = stack
        self.admin = {"Authorization": f"Bearer {stack.key('admin')}"}
        self.platform = {"Authorization": f"Bearer {stack.key('platform')}"}

    def post(self, path, json=None, headers=None, **kw):
        return requests.post(self.url + path, json=json, headers=self.admin if headers is None else headers, timeout=60, **kw)

    def patch(self, path, json, headers=None):
        return requests.patch(self.url + path, json=json, headers=self.admin if headers is None else headers, timeout=60)

    def put(self, path, json, headers):
        return requests.put(self.url + path, json=json, headers=headers, timeout=60)

    def get(self, path, headers=None, **kw):
        return requests.get(self.url + path, headers=self.admin if headers is None else headers, timeout=60, **kw)

    def delete(self, path, headers=None):
        return requests.delete(self.url + path, headers=self.admin if headers is None else headers, timeout=60)

    def ok(self, r, status=(200, 201)):
        assert r.status_code in ((status,) if isinstance(status, int) else status), f"{r.request.method} {r.request.path_url}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def count(self, action, base="", headers=None, **filters):
        """How many audit events named action (with filters) the tenant at base holds."""
        n, cursor = 0, None
        while True:
            params = {"action": action, "limit": 200, **filters}
            if cursor:
                params["cursor"] = cursor
            body = self.ok(self.get(base + "/api/v1/audit-logs", headers=headers, params=params), 200)
            n += len(body["data"])
            if not body["has_more"]:
                return n
            cursor = body["next_cursor"]

    # Fixtures of the cases.
    def agent(self, **extra):
        return self.ok(self.post("/api/v1/agents", {"name": "burst-" + uuid.uuid4().hex[:8], "scopes": ["mcp:read"], **extra}), 201)

    def registration(self):
        return self.ok(self.post("/oauth/register", {"client_name": "burst", "grant_types": ["client_credentials"],
                                                     "scope": "mcp:read mcp:write"}, headers={}), 201)

    def token_of(self, client_id, secret):
        r = requests.post(self.url + "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=60)
        return r

    def user(self):
        return self.ok(self.post("/api/v1/admin/users", {"email": f"u-{uuid.uuid4().hex[:10]}@example.com"}), 201)

    def app(self):
        return self.ok(self.post("/api/v1/admin/apps", {"name": "burst-app"}), 201)

    def grant(self):
        a, b = self.agent(), self.agent()
        return self.ok(self.post("/api/v1/admin/may-act", {"from_id": a["id"], "to_id": b["id"]}), 201)

    def api_key(self):
        return self.ok(self.post("/api/v1/api-keys", {"name": "burst", "scopes": ["*"]}), 201)

    def tenant(self):
        tid = "burst-" + uuid.uuid4().hex[:10]
        key = self.ok(self.post("/platform/v1/tenants", {"id": tid, "name": "Burst"}, headers=self.platform), 201)["admin_key"]
        return {"id": tid, "base": f"/t/{tid}", "headers": {"Authorization": f"Bearer {key}"}}

    def person(self):
        """A user with a password and a public client registered as MCP clients do."""
        u = self.user()
        self.ok(self.post(f"/api/v1/users/{u['id']}/password", {"password": "burst password 1"}), 200)
        c = self.ok(self.post("/oauth/register", {"client_name": "burst-mcp", "redirect_uris": ["http://127.0.0.1:7777/cb"],
                                                  "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"],
                                                  "scope": "mcp:read"}, headers={}), 201)
        return {**u, "client_id": c["client_id"]}

    def sign_in(self, ctx):
        """A browser signs ctx's person in: returns (its session, the consent page's response)."""
        b = requests.Session()
        q = {"response_type": "code", "client_id": ctx["client_id"], "redirect_uri": "http://127.0.0.1:7777/cb", "scope": "mcp:read",
             "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
        page = b.get(self.url + "/oauth/authorize", params=q, timeout=60, allow_redirects=False)
        assert page.status_code == 200, page.text
        r = b.post(self.url + "/oauth/authorize", data={"step": "login", "csrf": field(page.text, "csrf"), "request": field(page.text, "request"),
                                                         "email": ctx["email"], "password": "burst password 1"}, timeout=60, allow_redirects=False)
        return b, r

    def consented(self):
        """A person who signed in, allowed their client and whose code was exchanged: the consent's id and the access token."""
        ctx = self.person()
        b, page = self.sign_in(ctx)
        r = b.post(self.url + "/oauth/authorize", data={"step": "consent", "csrf": field(page.text, "csrf"), "request": field(page.text, "request"),
                                                         "decision": "allow"}, timeout=60, allow_redirects=False)
        assert r.status_code in (302, 303), r.text
        code = re.search(r"[?&]code=([^&]+)", r.headers["Location"]).group(1)
        t = requests.post(self.url + "/oauth/token", data={"grant_type": "authorization_code", "client_id": ctx["client_id"], "code": code,
                                                           "redirect_uri": "http://127.0.0.1:7777/cb",
                                                           "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}, timeout=60)
        assert t.status_code == 200, t.text
        consents = self.ok(self.get(f"/api/v1/users/{ctx['id']}/consents"), 200)["data"]
        return {**ctx, "consent_id": consents[0]["id"], "token": t.json()["access_token"]}

    def iat(self):
        return self.ok(self.post("/api/v1/admin/initial-access-tokens", {"single_use": False}), 201)


def field(page, name):
    """A hidden input's value in an HTML page, as a browser submits it."""
    m = re.search(r'name="' + name + r'" value="([^"]*)"', page)
    assert m, f"no {name} in the page: {page[:500]}"
    return html.unescape(m.group(1))


@dataclass
class Case:
    """A write route (as the mux registers it) under a burst: setup(api) returns a context, send(api, ctx, i) one request,
    ok the statuses a request may answer (besides 503 + Retry-After), events(api, ctx, rs) how
    many events named action the burst must have added (default: one per 2xx), check(api, ctx,
    rs) the end state."""
    name: str
    route: str
    action: str
    send: Callable
    setup: Callable = lambda api: None
    ok: tuple = (200, 201)
    events: Callable = None
    check: Callable = None
    filters: Callable = lambda ctx: {}
    all_ok: bool = False  # every request must succeed (no 503 either)
    n: int = N


def successes(rs):
    return [r for r in rs if 200 <= r.status_code < 300]


def one(api, ctx, rs):
    return 1


def rat(ctx):
    return {"Authorization": f"Bearer {ctx['registration_access_token']}"}


def works(api, client_id, secret):
    return api.token_of(client_id, secret).status_code == 200


def check_one_rotated_secret(api, ctx, rs, client_id=None):
    secrets = [r.json()["client_secret"] for r in successes(rs)]
    cid = client_id or ctx["client_id"]
    working = [s for s in secrets if works(api, cid, s)]
    assert len(working) == 1, f"{len(working)} of {len(secrets)} rotated secrets work"
    assert not works(api, cid, ctx["client_secret"]), "the secret before the rotations still works"


def resource_server(api):
    return api.ok(api.post("/api/v1/resource-servers", {"name": "burst-rs", "resources": ["https://burst.example.com"]}), 201)


def rs_works(api, client_id, secret):
    """Whether a resource server's secret authenticates (introspection of anything answers 200)."""
    return requests.post(api.url + "/oauth/introspect", data={"token": "x"}, auth=(client_id, secret), timeout=60).status_code == 200


def check_one_rotated_rs_secret(api, ctx, rs):
    secrets = [r.json()["client_secret"] for r in successes(rs)]
    working = [s for s in secrets if rs_works(api, ctx["client_id"], s)]
    assert len(working) == 1, f"{len(working)} of {len(secrets)} rotated resource server secrets work"
    assert not rs_works(api, ctx["client_id"], ctx["client_secret"]), "the secret before the rotations still works"


def check_one_rat(api, ctx, rs):
    rats = [r.json()["registration_access_token"] for r in successes(rs)]
    working = [t for t in rats if api.get(f"/oauth/register/{ctx['client_id']}", headers={"Authorization": f"Bearer {t}"}).status_code == 200]
    assert len(working) == 1, f"{len(working)} of {len(rats)} rotated registration tokens work"


def check_revoked(api, ctx, rs):
    r = api.ok(api.post("/oauth/introspect", data={"token": ctx["token"]}, json=None), 200)
    assert r == {"active": False}


def token_ctx(api):
    a = api.agent()
    tok = api.token_of(a["client_id"], a["client_secret"])
    assert tok.status_code == 200, tok.text
    return {**a, "token": tok.json()["access_token"]}


def token_jti_ctx(api):
    ctx = token_ctx(api)
    payload = ctx["token"].split(".")[1]
    return {**ctx, "jti": json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]}


def first_boot_link(stack):
    """The secret of the sign-in link `shark serve` printed at first boot (#signin=<secret>)."""
    m = re.search(r"#signin=(signin_[A-Za-z0-9]+)", "".join(stack._lines))
    assert m, "shark serve printed no sign-in link at first boot"
    return m.group(1)


def check_one_signin(api, ctx, rs):
    won = successes(rs)
    assert len(won) == 1, [(r.status_code, r.text) for r in rs]
    assert all("already used" in r.json()["message"] for r in rs if r.status_code == 401), [r.text for r in rs]
    assert api.get("/api/v1/agents", headers={"Authorization": f"Bearer {won[0].json()['admin_key']}"}).status_code == 200


def check_inactive_agent(api, ctx, rs):
    assert api.ok(api.get(f"/api/v1/agents/{ctx['id']}"), 200)["active"] is False
    assert api.token_of(ctx["client_id"], ctx["client_secret"]).status_code == 401


CASES = [
    # Dynamic client registration (register function).
    # Twelve parallel open registrations answered 500: the rate counters were single items.
    Case("register", "POST /oauth/register", "oauth.client_registered", all_ok=True, n=12,
         send=lambda api, ctx, i: api.post("/oauth/register", {"client_name": f"burst-{i}", "grant_types": ["client_credentials"],
                                                               "scope": "mcp:read mcp:write"}, headers={}),
         check=lambda api, ctx, rs: [None for r in rs if not works(api, r.json()["client_id"], r.json()["client_secret"])] == []),
    Case("rfc7592 update", "PUT /oauth/register/{client_id}", "oauth.client_updated", setup=lambda api: api.registration(),
         send=lambda api, ctx, i: api.put(f"/oauth/register/{ctx['client_id']}", {
             "client_id": ctx["client_id"], "client_name": f"renamed-{i}", "grant_types": ["client_credentials"],
             "scope": "mcp:read"}, headers=rat(ctx)),
         filters=lambda ctx: {"actor_id": ctx["client_id"]}),
    Case("rfc7592 secret rotation", "POST /oauth/register/{client_id}/secret", "oauth.client_secret_rotated", setup=lambda api: api.registration(),
         send=lambda api, ctx, i: api.post(f"/oauth/register/{ctx['client_id']}/secret", None, headers=rat(ctx)),
         filters=lambda ctx: {"actor_id": ctx["client_id"]}, check=check_one_rotated_secret),
    Case("rfc7592 registration token rotation", "DELETE /oauth/register/{client_id}/registration-token", "oauth.client_updated", setup=lambda api: api.registration(), ok=(200, 201, 401),
         send=lambda api, ctx, i: api.delete(f"/oauth/register/{ctx['client_id']}/registration-token", headers=rat(ctx)),
         filters=lambda ctx: {"actor_id": ctx["client_id"]}, check=check_one_rat),
    Case("rfc7592 delete", "DELETE /oauth/register/{client_id}", "oauth.client_deleted", setup=lambda api: api.registration(), ok=(204, 401), events=one,
         send=lambda api, ctx, i: api.delete(f"/oauth/register/{ctx['client_id']}", headers=rat(ctx)),
         filters=lambda ctx: {"actor_id": ctx["client_id"]},
         check=lambda api, ctx, rs: not works(api, ctx["client_id"], ctx["client_secret"])),
    Case("initial access token create", "POST /api/v1/admin/initial-access-tokens", "initial_access_token.created",
         send=lambda api, ctx, i: api.post("/api/v1/admin/initial-access-tokens", {"single_use": True})),
    Case("initial access token revoke", "DELETE /api/v1/admin/initial-access-tokens/{id}", "initial_access_token.revoked", setup=lambda api: api.iat(), events=one,
         send=lambda api, ctx, i: api.delete(f"/api/v1/admin/initial-access-tokens/{ctx['id']}"),
         check=lambda api, ctx, rs: requests.post(api.url + "/oauth/register", json={"client_name": "x"},
                                                  headers={"Authorization": f"Bearer {ctx['token']}"}).status_code in (201, 401)),
    # Token function.
    Case("token", "POST /oauth/token", "oauth.token_issued", setup=lambda api: api.agent(), all_ok=True,
         send=lambda api, ctx, i: api.token_of(ctx["client_id"], ctx["client_secret"]),
         filters=lambda ctx: {"actor_id": ctx["client_id"]}),
    Case("revoke one token", "POST /oauth/revoke", "oauth.token_revoked", setup=token_ctx, all_ok=True, events=one,
         send=lambda api, ctx, i: api.post("/oauth/revoke", data={"token": ctx["token"]}, json=None),
         check=check_revoked),
    Case("revoke one token as its client", "POST /oauth/revoke", "oauth.token_revoked", setup=token_ctx, all_ok=True, events=one,
         send=lambda api, ctx, i: requests.post(api.url + "/oauth/revoke", data={"token": ctx["token"]},
                                                auth=(ctx["client_id"], ctx["client_secret"]), timeout=60),
         check=check_revoked),
    # Admin API: agents.
    Case("agent create", "POST /api/v1/agents", "agent.created", send=lambda api, ctx, i: api.post("/api/v1/agents", {"name": f"a-{i}", "scopes": ["mcp:read"]})),
    Case("agent update", "PATCH /api/v1/agents/{id}", "agent.updated", setup=lambda api: api.agent(),
         send=lambda api, ctx, i: api.patch(f"/api/v1/agents/{ctx['id']}", {"description": f"d{i}"}),
         filters=lambda ctx: {"target_id": ctx["id"]}),
    # Each DELETE of an agent answers 204 and records its event, the agent already inactive or not.
    Case("agent delete", "DELETE /api/v1/agents/{id}", "agent.deactivated", setup=lambda api: api.agent(), ok=(204,),
         send=lambda api, ctx, i: api.delete(f"/api/v1/agents/{ctx['id']}"),
         filters=lambda ctx: {"target_id": ctx["id"]}, check=check_inactive_agent),
    Case("agent revoke-all", "POST /api/v1/agents/{id}/tokens/revoke-all", "agent.tokens_revoked", setup=token_ctx,
         send=lambda api, ctx, i: api.post(f"/api/v1/agents/{ctx['id']}/tokens/revoke-all"),
         filters=lambda ctx: {"target_id": ctx["id"]}, check=check_revoked),
    # One token of an agent revoked by the admin API: every request succeeds, one event, the token inactive.
    Case("agent token revoke", "POST /api/v1/agents/{id}/tokens/{jti}/revoke", "oauth.token_revoked", setup=token_jti_ctx, ok=(204,), events=one,
         send=lambda api, ctx, i: api.post(f"/api/v1/agents/{ctx['id']}/tokens/{ctx['jti']}/revoke", {"reason": f"burst {i}"}),
         filters=lambda ctx: {"target_id": ctx["jti"]}, check=check_revoked),
    Case("agent secret rotation", "POST /api/v1/agents/{id}/rotate-secret", "agent.secret_rotated", setup=lambda api: api.agent(),
         send=lambda api, ctx, i: api.post(f"/api/v1/agents/{ctx['id']}/rotate-secret"),
         filters=lambda ctx: {"target_id": ctx["id"]}, check=check_one_rotated_secret),
    Case("agent dpop key rotation", "POST /api/v1/agents/{id}/rotate-dpop-key", "agent.dpop_key_rotated", setup=lambda api: {**api.agent(), "keys": [DPoPProver.generate() for _ in range(N)]},
         send=lambda api, ctx, i: api.post(f"/api/v1/agents/{ctx['id']}/rotate-dpop-key", {"new_public_jwk": ctx["keys"][i].public_jwk}),
         filters=lambda ctx: {"target_id": ctx["id"]},
         check=lambda api, ctx, rs: api.ok(api.get(f"/api/v1/agents/{ctx['id']}"), 200)["dpop_jkt"] in [r.json()["new_jkt"] for r in successes(rs)]),
    # Users.
    Case("user create", "POST /api/v1/admin/users", "user.created", send=lambda api, ctx, i: api.post("/api/v1/admin/users", {"email": f"{uuid.uuid4().hex[:10]}@example.com"})),
    Case("user create (alias route)", "POST /api/v1/users", "user.created", send=lambda api, ctx, i: api.post("/api/v1/users", {"email": f"{uuid.uuid4().hex[:10]}@example.com"})),
    Case("user create, one email", "POST /api/v1/admin/users", "user.created", ok=(201, 409), events=one, setup=lambda api: {"email": f"{uuid.uuid4().hex[:10]}@example.com"},
         send=lambda api, ctx, i: api.post("/api/v1/admin/users", {"email": ctx["email"]}),
         check=lambda api, ctx, rs: len(api.ok(api.get("/api/v1/users", params={"email": ctx["email"]}), 200)["data"]) == 1),
    Case("user update", "PATCH /api/v1/users/{id}", "user.updated", setup=lambda api: api.user(),
         send=lambda api, ctx, i: api.patch(f"/api/v1/users/{ctx['id']}", {"name": f"n{i}"}), filters=lambda ctx: {"target_id": ctx["id"]}),
    Case("user delete", "DELETE /api/v1/users/{id}", "user.deleted", setup=lambda api: api.user(), ok=(204, 404), events=one,
         send=lambda api, ctx, i: api.delete(f"/api/v1/users/{ctx['id']}"), filters=lambda ctx: {"target_id": ctx["id"]}),
    Case("user revoke-agents", "POST /api/v1/users/{id}/revoke-agents", "user.agents_revoked", setup=lambda api: (lambda u: {**u, "agent": api.agent(created_by=u["id"])})(api.user()),
         send=lambda api, ctx, i: api.post(f"/api/v1/users/{ctx['id']}/revoke-agents", {"reason": "burst"}),
         filters=lambda ctx: {"actor_id": ctx["id"]},
         check=lambda api, ctx, rs: api.ok(api.get(f"/api/v1/agents/{ctx['agent']['id']}"), 200)["active"] is False),
    Case("user set password", "POST /api/v1/users/{id}/password", "user.password_set", setup=lambda api: api.user(),
         send=lambda api, ctx, i: api.post(f"/api/v1/users/{ctx['id']}/password", {"password": f"burst password {i}"}),
         filters=lambda ctx: {"target_id": ctx["id"]}),
    # The authorize function: parallel sign-ins of one person each open a session; parallel
    # sign-outs of one session end it once.
    Case("sign-in", "POST /oauth/authorize", "user.signed_in", setup=lambda api: api.person(), ok=(200,),
         send=lambda api, ctx, i: api.sign_in(ctx)[1],
         filters=lambda ctx: {"actor_id": ctx["id"]},
         check=lambda api, ctx, rs: all('value="allow"' in r.text for r in successes(rs))),
    Case("sign-out", "POST /oauth/logout", "user.signed_out", setup=lambda api: (lambda c: {**c, "browser": api.sign_in(c)})(api.person()),
         ok=(200,), events=one, filters=lambda ctx: {"actor_id": ctx["id"]},
         send=lambda api, ctx, i: requests.post(api.url + "/oauth/logout", data={"csrf": field(ctx["browser"][1].text, "csrf")},
                                                cookies=ctx["browser"][0].cookies, timeout=60)),
    # A user's consent: parallel revocations of one consent revoke it (and its grant) once.
    Case("user consent revoke", "DELETE /api/v1/users/{id}/consents/{consent_id}", "consent.revoked", setup=lambda api: api.consented(),
         ok=(204, 404), events=one, filters=lambda ctx: {"target_id": ctx["consent_id"]},
         send=lambda api, ctx, i: api.delete(f"/api/v1/users/{ctx['id']}/consents/{ctx['consent_id']}"),
         check=lambda api, ctx, rs: check_revoked(api, ctx, rs) or api.ok(api.get(f"/api/v1/users/{ctx['id']}/consents"), 200)["data"] == []),
    # Applications.
    Case("app create", "POST /api/v1/admin/apps", "app.created", send=lambda api, ctx, i: api.post("/api/v1/admin/apps", {"name": f"app-{i}"})),
    Case("app update", "PATCH /api/v1/admin/apps/{id}", "app.updated", setup=lambda api: api.app(),
         send=lambda api, ctx, i: api.patch(f"/api/v1/admin/apps/{ctx['id']}", {"name": f"app-{i}"}), filters=lambda ctx: {"target_id": ctx["id"]}),
    Case("app delete", "DELETE /api/v1/admin/apps/{id}", "app.deleted", setup=lambda api: api.app(), ok=(204, 404), events=one,
         send=lambda api, ctx, i: api.delete(f"/api/v1/admin/apps/{ctx['id']}"), filters=lambda ctx: {"target_id": ctx["id"]}),
    Case("app secret rotation", "POST /api/v1/admin/apps/{id}/rotate-secret", "app.secret_rotated", setup=lambda api: api.app(),
         send=lambda api, ctx, i: api.post(f"/api/v1/admin/apps/{ctx['id']}/rotate-secret"), filters=lambda ctx: {"target_id": ctx["id"]},
         check=lambda api, ctx, rs: check_one_rotated_secret(api, ctx, rs)),
    # The first boot's one-time dashboard sign-in link: one request wins a key, the others are told it was used.
    Case("sign-in link redeem", "POST /api/v1/admin/sign-in-links/redeem", "api_key.created", ok=(201, 401), events=one,
         setup=lambda api: {"link": first_boot_link(api.stack)},
         send=lambda api, ctx, i: api.post("/api/v1/admin/sign-in-links/redeem", {"link": ctx["link"]}, headers={}),
         check=check_one_signin),
    # Resource servers (issue 24).
    Case("resource server create", "POST /api/v1/resource-servers", "resource_server.created",
         send=lambda api, ctx, i: api.post("/api/v1/resource-servers", {"name": f"rs-{i}", "resources": ["https://burst.example.com"]})),
    Case("resource server update", "PATCH /api/v1/resource-servers/{id}", "resource_server.updated", setup=resource_server,
         send=lambda api, ctx, i: api.patch(f"/api/v1/resource-servers/{ctx['id']}", {"name": f"rs-{i}"}), filters=lambda ctx: {"target_id": ctx["id"]}),
    Case("resource server delete", "DELETE /api/v1/resource-servers/{id}", "resource_server.deleted", setup=resource_server, ok=(204, 404), events=one,
         send=lambda api, ctx, i: api.delete(f"/api/v1/resource-servers/{ctx['id']}"), filters=lambda ctx: {"target_id": ctx["id"]},
         check=lambda api, ctx, rs: not rs_works(api, ctx["client_id"], ctx["client_secret"])),
    Case("resource server secret rotation", "POST /api/v1/resource-servers/{id}/rotate-secret", "resource_server.secret_rotated", setup=resource_server,
         send=lambda api, ctx, i: api.post(f"/api/v1/resource-servers/{ctx['id']}/rotate-secret"), filters=lambda ctx: {"target_id": ctx["id"]},
         check=check_one_rotated_rs_secret),
    # May-act grants.
    Case("may-act create", "POST /api/v1/admin/may-act", "may_act.granted", setup=lambda api: (api.agent(), api.agent()),
         send=lambda api, ctx, i: api.post("/api/v1/admin/may-act", {"from_id": ctx[0]["id"], "to_id": ctx[1]["id"], "max_hops": 1 + i})),
    Case("may-act revoke", "DELETE /api/v1/admin/may-act/{id}", "may_act.revoked", setup=lambda api: api.grant(), events=one,
         send=lambda api, ctx, i: api.delete(f"/api/v1/admin/may-act/{ctx['id']}"), filters=lambda ctx: {"target_id": ctx["id"]}),
    # An agent's delegation policies (its may-act grants): identical sets at once make one change.
    Case("agent policies", "POST /api/v1/agents/{id}/policies", "agent.policies_updated", setup=lambda api: (api.agent(), api.agent()), ok=(200, 409), events=one,
         send=lambda api, ctx, i: api.post(f"/api/v1/agents/{ctx[0]['id']}/policies", {"policies": [{"delegate_to_id": ctx[1]["id"], "scope": "mcp:read"}]}),
         filters=lambda ctx: {"target_id": ctx[0]["client_id"]},
         check=lambda api, ctx, rs: len(api.ok(api.get(f"/api/v1/agents/{ctx[0]['id']}/policies"), 200)["policies"]) == 1),
    # Bulk revocation, signing keys, API keys.
    Case("revoke-by-pattern", "POST /api/v1/admin/oauth/revoke-by-pattern", "oauth.tokens_bulk_revoked", setup=token_ctx,
         send=lambda api, ctx, i: api.post("/api/v1/admin/oauth/revoke-by-pattern", {"client_id_pattern": ctx["client_id"]}),
         check=check_revoked),
    Case("signing key rotation", "POST /api/v1/admin/signing-keys/rotate", "signing_key.rotated", ok=(200, 409),
         send=lambda api, ctx, i: api.post("/api/v1/admin/signing-keys/rotate", {"mode": "scheduled"})),
    Case("api key create", "POST /api/v1/api-keys", "api_key.created", send=lambda api, ctx, i: api.post("/api/v1/api-keys", {"name": f"k{i}", "scopes": ["*"]})),
    Case("api key revoke", "DELETE /api/v1/api-keys/{id}", "api_key.revoked", setup=lambda api: api.api_key(), events=one,
         send=lambda api, ctx, i: api.delete(f"/api/v1/api-keys/{ctx['id']}"), filters=lambda ctx: {"target_id": ctx["id"]}),
    Case("api key rotation", "POST /api/v1/api-keys/{id}/rotate", "api_key.rotated", setup=lambda api: api.api_key(), ok=(201, 409), events=one,
         send=lambda api, ctx, i: api.post(f"/api/v1/api-keys/{ctx['id']}/rotate"),
         check=lambda api, ctx, rs: [api.get("/api/v1/agents", headers={"Authorization": f"Bearer {r.json()['key']}"}).status_code
                                     for r in successes(rs)] == [200]),
    # Audit function.
    # Export is a read sent as POST: a burst must still answer, and it records nothing.
    Case("audit export", "POST /api/v1/audit-logs/export", "audit.exported", events=lambda api, ctx, rs: None,
         send=lambda api, ctx, i: api.post("/api/v1/audit-logs/export", {"format": "ndjson", "action": "tenant.created"})),
    Case("audit purge", "POST /api/v1/admin/audit-logs/purge", "audit.purged",
         send=lambda api, ctx, i: api.post("/api/v1/admin/audit-logs/purge", {"before": "2001-01-01T00:00:00Z"})),
    # Platform API. A new tenant's events are in its own trail (its 201 is the check here).
    Case("tenant create", "POST /platform/v1/tenants", "tenant.created", events=lambda api, ctx, rs: None,
         send=lambda api, ctx, i: api.post("/platform/v1/tenants", {"id": f"burst-{uuid.uuid4().hex[:10]}", "name": "B"}, headers=api.platform)),
    Case("tenant update", "PATCH /platform/v1/tenants/{id}", "tenant.updated", setup=lambda api: api.tenant(),
         filters=lambda ctx: {"base": ctx["base"], "headers": ctx["headers"], "target_id": ctx["id"]},
         send=lambda api, ctx, i: api.patch(f"/platform/v1/tenants/{ctx['id']}", {"name": f"B{i}"}, headers=api.platform)),
    # A disabled tenant's trail cannot be read through its routes (404): the check is that it is disabled.
    Case("tenant disable", "POST /platform/v1/tenants/{id}/disable", "tenant.updated", setup=lambda api: api.tenant(), events=lambda api, ctx, rs: None,
         send=lambda api, ctx, i: api.post(f"/platform/v1/tenants/{ctx['id']}/disable", headers=api.platform),
         check=lambda api, ctx, rs: requests.get(f"{api.url}/t/{ctx['id']}/.well-known/jwks.json", timeout=60).status_code == 404),
]


ROOT = pathlib.Path(__file__).resolve().parents[2]
# Routes registered with a write method that change nothing: a burst of them is no test.
READS = {"POST /oauth/introspect"}


def write_routes():
    """Every route the functions register with POST, PUT, PATCH or DELETE (shared/*/*.go)."""
    consts = {"IATPath": "/api/v1/admin/initial-access-tokens"}
    found = set()
    for f in (ROOT / "shared").rglob("*.go"):
        if f.name.endswith("_test.go"):
            continue
        for m in re.finditer(r'mux\.Handle(?:Func)?\(((?:"[^"]*"|\+|[A-Za-z]+)+),', f.read_text()):
            parts = re.findall(r'"([^"]*)"|([A-Za-z]+)', m.group(1))
            pattern = "".join(lit or consts.get(name, "{" + name + "}") for lit, name in parts)
            if re.match(r"(POST|PUT|PATCH|DELETE) ", pattern):
                found.add(pattern)
    return found


def test_every_write_route_has_a_case():
    routes = write_routes()
    assert len(routes) > 30, routes  # the scan found the registrations
    assert consts_ok(routes)
    missing = routes - READS - {c.route for c in CASES}
    assert not missing, f"write routes without a burst case: {sorted(missing)}"
    assert not {c.route for c in CASES} - routes, "a case names a route nobody registers"


def consts_ok(routes):
    return "POST /api/v1/admin/initial-access-tokens" in routes and not any("{IATPath}" in r for r in routes)


@pytest.fixture(scope="module")
def api(module_stack):
    return API(module_stack)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_burst(api, case):
    ctx = case.setup(api)
    count = lambda: api.count(case.action, **case.filters(ctx))  # noqa: E731
    before = count()
    rs = burst(lambda i: case.send(api, ctx, i), case.n)
    for r in rs:
        assert r.status_code < 500 or (r.status_code == 503 and r.headers.get("Retry-After")), f"{r.status_code} {r.text}"
        if r.status_code == 503 and r.headers.get("Content-Type", "").startswith("application/json"):
            assert r.json()["error"] == "temporarily_unavailable", r.text  # the authorize function's pages are HTML
        else:
            assert r.status_code in case.ok, f"{r.status_code} {r.text}"
    if case.all_ok:
        assert all(200 <= r.status_code < 300 for r in rs), [(r.status_code, r.text) for r in rs]
    assert successes(rs), "no request of the burst succeeded"
    want = (case.events or (lambda api, ctx, rs: len(successes(rs))))(api, ctx, rs)
    if want is not None:
        assert count() - before == want, f"{count() - before} {case.action} events for {len(successes(rs))} successes"
    if case.check:
        assert case.check(api, ctx, rs) is not False

"""Dynamic client registration end to end (issue 9): the MCP guide's two
registration snippets run verbatim with plain `requests` against the local
stack, the SDK gets a DPoP-bound token with the credentials, real client
shapes register, and the RFC 7592 routes work with the SDK's DCRClient."""
import json
import textwrap

import pytest
import requests
from shark_auth import DPoPProver, OAuthClient
from shark_auth.dcr import DCRClient
from shark_auth.proxy_rules import SharkAPIError

# mcp-server.txt, Step 2, as printed (re-indented: the extraction lost it).
GUIDE_STEP2 = textwrap.dedent('''
    import requests
    SHARK_URL = "http://localhost:8080"
    def dcr_register(agent_name: str) -> dict:
        """RFC 7591 Dynamic Client Registration — no admin key needed."""
        resp = requests.post(
            f"{SHARK_URL}/oauth/register",
            json={
                "client_name": agent_name,
                "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "client_secret_basic",
                "scope": "mcp:read mcp:write",
            },
        )
        resp.raise_for_status()
        creds = resp.json()
        # Persist creds["client_id"] and creds["client_secret"]
        return creds
''')

# mcp-server.txt, Step 3.
GUIDE_STEP3 = textwrap.dedent('''
    from shark_auth import DPoPProver, OAuthClient
    MCP_SERVER_URL = "https://mcp.example.com"
    def get_mcp_token(client_id: str, client_secret: str) -> tuple:
        prover = DPoPProver.generate()
        oauth = OAuthClient(base_url=SHARK_URL)
        token = oauth.get_token_with_dpop(
            grant_type="client_credentials",
            dpop_prover=prover,
            client_id=client_id,
            client_secret=client_secret,
            scope="mcp:read mcp:write",
            audience=MCP_SERVER_URL, # RFC 8707 audience binding
        )
        # token.cnf_jkt bound to prover's keypair
        # token is only valid for MCP_SERVER_URL
        return token, prover
''')

# mcp-server.txt, "Full cold-start flow", up to the runtime part.
GUIDE_COLD_START = textwrap.dedent('''
    from shark_auth import DPoPProver, OAuthClient, DPoPHTTPClient
    import requests, json, pathlib
    SHARK_URL = "http://localhost:8080"
    MCP_SERVER_URL = "https://mcp.example.com"
    CREDS_FILE = pathlib.Path(".agent_creds.json")
    # --- cold start: register once, cache credentials ---
    if not CREDS_FILE.exists():
        creds = requests.post(f"{SHARK_URL}/oauth/register", json={
            "client_name": "my-mcp-agent",
            "grant_types": ["client_credentials"],
            "scope": "mcp:read mcp:write",
        }).json()
        CREDS_FILE.write_text(json.dumps(creds))
    else:
        creds = json.loads(CREDS_FILE.read_text())
    # --- runtime: DPoP-bound, audience-restricted token ---
    prover = DPoPProver.generate()
    token = OAuthClient(SHARK_URL).get_token_with_dpop(
        grant_type="client_credentials",
        dpop_prover=prover,
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        scope="mcp:read",
        audience=MCP_SERVER_URL,
    )
''')


def run_guide(code, stack, ns=None):
    """Runs a guide snippet against the stack: only its server URL differs."""
    ns = {} if ns is None else ns
    exec(compile(code.replace("http://localhost:8080", stack.url), "mcp-server.txt", "exec"), ns)
    return ns


def test_guide_step2_and_step3(stack):
    ns = run_guide(GUIDE_STEP2, stack)
    creds = ns["dcr_register"]("my-agent")
    assert creds["client_id"].startswith("shark_dcr_")
    assert len(creds["client_secret"]) == 64
    assert creds["registration_client_uri"] == f"{stack.url}/oauth/register/{creds['client_id']}"
    run_guide(GUIDE_STEP3, stack, ns)
    token, prover = ns["get_mcp_token"](creds["client_id"], creds["client_secret"])
    assert token.token_type == "DPoP"
    assert token.cnf_jkt == prover.jkt
    assert token.scope == "mcp:read mcp:write"


def test_guide_cold_start_flow(stack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns = run_guide(GUIDE_COLD_START, stack)
    creds = json.loads((tmp_path / ".agent_creds.json").read_text())
    assert creds["client_id"].startswith("shark_dcr_") and len(creds["client_secret"]) == 64
    assert creds["token_endpoint_auth_method"] == "client_secret_basic"
    assert ns["token"].cnf_jkt == ns["prover"].jkt
    assert ns["token"].token_type == "DPoP"


@pytest.mark.parametrize("body", [
    pytest.param({
        "client_name": "Cursor",
        "redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/user-callback",
                          "https://cursor.com/oauth/callback", "http://localhost:8787/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "cursor_build": "0.50.1",
    }, id="cursor"),
    pytest.param({
        "client_name": "Claude",
        "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
    }, id="claude"),
])
def test_real_client_shapes_register(stack, body):
    r = requests.post(f"{stack.url}/oauth/register", json=body)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["redirect_uris"] == body["redirect_uris"]
    assert doc["grant_types"] == body["grant_types"]
    assert ("client_secret" in doc) == (body["token_endpoint_auth_method"] != "none")
    assert "cursor_build" not in doc
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("kwargs,status,code", [
    (dict(data="client_name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 400, "invalid_request"),
    (dict(data='{"client_name":', headers={"Content-Type": "application/json"}), 400, "invalid_client_metadata"),
    (dict(json={"client_name": "x", "grant_types": "client_credentials"}), 400, "invalid_client_metadata"),
    (dict(json={"client_name": "x", "grant_types": ["password"]}), 400, "invalid_client_metadata"),
    (dict(json={"client_name": "x", "redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"}), 400, "invalid_redirect_uri"),
    (dict(json={"client_name": "x", "redirect_uris": ["javascript:alert(1)"], "token_endpoint_auth_method": "none"}), 400, "invalid_redirect_uri"),
    (dict(json={"client_name": "x", "pad": "x" * (1 << 20)}), 413, None),
])
def test_registration_errors(stack, kwargs, status, code):
    r = requests.post(f"{stack.url}/oauth/register", **kwargs)
    assert r.status_code == status, r.text
    if code:
        assert r.json()["error"] == code


def test_management_with_the_sdk(stack):
    dcr = DCRClient(base_url=stack.url)
    doc = dcr.register("managed agent", grant_types=["client_credentials"], scope="mcp:read")
    cid, rat = doc["client_id"], doc["registration_access_token"]
    assert dcr.get(cid, rat)["client_name"] == "managed agent"
    # RFC 7592 §2.2: an update names its client_id. The SDK's DCRClient.update takes
    # client_id as its first parameter and sends only the other fields, so it cannot
    # send one: its update is refused (issue 20, P12), and an update goes through HTTP.
    with pytest.raises(SharkAPIError) as e:
        dcr.update(cid, rat, client_name="renamed", grant_types=["client_credentials"], scope="mcp:read")
    assert e.value.status == 400
    r = requests.put(f"{stack.url}/oauth/register/{cid}", headers={"Authorization": f"Bearer {rat}"},
                     json={"client_id": cid, "client_name": "renamed", "grant_types": ["client_credentials"], "scope": "mcp:read"})
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["client_name"] == "renamed"
    secret = dcr.rotate_secret(cid, rat)["client_secret"]
    rat = dcr.rotate_registration_token(cid, rat)["registration_access_token"]

    for bad in ("", "wrong"):
        r = requests.get(f"{stack.url}/oauth/register/{cid}", headers={"Authorization": f"Bearer {bad}"} if bad else {})
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        assert r.headers["WWW-Authenticate"].startswith("Bearer ")

    prover = DPoPProver.generate()
    token = OAuthClient(stack.url).get_token_with_dpop(grant_type="client_credentials", dpop_prover=prover,
                                                       client_id=cid, client_secret=secret, scope="mcp:read")
    admin = stack.key("admin")

    def active():
        r = requests.post(f"{stack.url}/oauth/introspect", data={"token": token.access_token},
                          headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200, r.text
        return r.json()["active"]

    assert active() is True
    dcr.delete(cid, rat)
    assert active() is False
    with pytest.raises(SharkAPIError) as e:
        dcr.get(cid, rat)
    assert e.value.status == 401


def test_metadata_advertises_registration(stack):
    md = requests.get(f"{stack.url}/.well-known/oauth-authorization-server").json()
    assert md["registration_endpoint"] == f"{stack.url}/oauth/register"


@pytest.mark.parametrize("policy,status,error", [
    ("closed", 403, "access_denied"),
    ("initial_access_token", 401, "invalid_token"),
    ("software_statement", 400, "invalid_software_statement"),
    ("open", 201, None),
])
def test_tenant_policies_refuse_anonymous_registration(stack, policy, status, error):
    tid = "dcr-" + policy.replace("_", "-")
    r = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": tid, "dcr_policy": policy},
                      headers={"Authorization": f"Bearer {stack.key('platform')}"})
    assert r.status_code == 201, r.text
    r = requests.post(f"{stack.url}/t/{tid}/oauth/register", json={"client_name": "anon", "grant_types": ["client_credentials"]})
    assert r.status_code == status, r.text
    if error:
        assert r.json()["error"] == error
    else:
        assert r.json()["registration_client_uri"].startswith(f"{stack.url}/t/{tid}/oauth/register/shark_dcr_")
    if status == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer ")


def test_initial_access_token_admits_registration(stack):
    r = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": "gated", "dcr_policy": "initial_access_token"},
                      headers={"Authorization": f"Bearer {stack.key('platform')}"})
    assert r.status_code == 201, r.text
    admin_key = r.json()["admin_key"]
    base = f"{stack.url}/t/gated"
    body = {"client_name": "gated agent", "grant_types": ["client_credentials"], "scope": "mcp:read"}
    assert requests.post(f"{base}/oauth/register", json=body).status_code == 401
    r = requests.post(f"{base}/api/v1/admin/initial-access-tokens", json={"single_use": True},
                      headers={"Authorization": f"Bearer {admin_key}"})
    assert r.status_code == 201, r.text
    iat = r.json()["token"]
    r = requests.post(f"{base}/oauth/register", json=body, headers={"Authorization": f"Bearer {iat}"})
    assert r.status_code == 201, r.text
    creds = r.json()
    r = requests.post(f"{base}/oauth/register", json=body, headers={"Authorization": f"Bearer {iat}"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    # The registered client gets DPoP tokens from its tenant.
    prover = DPoPProver.generate()
    token = OAuthClient(base).get_token_with_dpop(grant_type="client_credentials", dpop_prover=prover,
                                                  client_id=creds["client_id"], client_secret=creds["client_secret"])
    assert token.cnf_jkt == prover.jkt
    # It is an agent of the tenant in the admin API.
    agents = requests.get(f"{base}/api/v1/agents", headers={"Authorization": f"Bearer {admin_key}"}).json()
    assert any(a["client_id"] == creds["client_id"] for a in agents["data"])

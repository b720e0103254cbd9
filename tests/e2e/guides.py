"""The Python samples of the two guides (../shared/seeds), verbatim.

Each constant is the guide's text exactly (the MCP guide's samples re-indented, the
one change seeds/README.md allows); test_guides.py checks that each still appears in
the guide, then runs it with only the base URL, admin key and ids filled in.
"""
import pathlib
import textwrap

# The guides as the team published them (../shared/seeds), copied into the
# repository so that a clean clone tests them without the team folder.
SEEDS = pathlib.Path(__file__).resolve().parent / "seeds"

# --- customer-agents.txt -------------------------------------------------------------

CA_STEP3 = '''from shark_auth import Client

admin = Client(base_url="http://localhost:8080", token="sk_live_...")

def on_customer_signup(customer_id: str, customer_name: str) -> dict:
    """Call this from your signup handler."""
    agent = admin.agents.register_agent(
        app_id="app_your_app_id",
        name=f"agent-{customer_name}",
        scopes=["mcp:read", "mcp:write"],
        description=f"Agent for customer {customer_id}",
    )
    # agent["client_id"]     — store in your DB alongside customer_id
    # agent["client_secret"] — store encrypted, shown once
    return agent
'''

CA_STEP4 = '''from shark_auth import DPoPProver, OAuthClient

def get_agent_token(client_id: str, client_secret: str) -> tuple:
    """Agent calls this on startup to get its DPoP-bound token."""
    prover = DPoPProver.generate()          # fresh keypair per agent instance

    oauth = OAuthClient(base_url="http://localhost:8080")
    token = oauth.get_token_with_dpop(
        grant_type="client_credentials",
        dpop_prover=prover,
        client_id=client_id,
        client_secret=client_secret,
        scope="mcp:read mcp:write",
    )
    # token.cnf_jkt == prover.jkt  (key binding confirmed)
    # token theft alone is useless — holder must also own the private key
    return token, prover
'''

CA_STEP5 = '''from shark_auth import DPoPHTTPClient

def call_mcp_server(token_str: str, prover: DPoPProver) -> dict:
    http = DPoPHTTPClient(base_url="https://mcp.example.com")
    resp = http.get_with_dpop("/resource", token=token_str, prover=prover)
    resp.raise_for_status()
    return resp.json()
'''

CA_STEP6 = '''def on_customer_cancel(user_id: str) -> None:
    result = admin.users.revoke_agents(
        user_id,
        reason="customer cancelled subscription",
    )
    print(f"Revoked agents: {result.revoked_agent_ids}")
    print(f"Audit event: {result.audit_event_id}")
'''

CA_FULL = '''from shark_auth import Client, DPoPProver, OAuthClient

SHARK_URL = "http://localhost:8080"
ADMIN_KEY = "sk_live_..."   # from first-boot output

admin = Client(base_url=SHARK_URL, token=ADMIN_KEY)

# 1. Signup: provision agent
agent = admin.agents.register_agent(
    app_id="app_abc123",
    name="agent-alice",
    scopes=["mcp:read", "mcp:write"],
)
client_id     = agent["client_id"]
client_secret = agent["client_secret"]

# 2. Runtime: get DPoP-bound token
prover = DPoPProver.generate()
token = OAuthClient(SHARK_URL).get_token_with_dpop(
    grant_type="client_credentials",
    dpop_prover=prover,
    client_id=client_id,
    client_secret=client_secret,
    scope="mcp:read mcp:write",
)

# 3. Call external resource (validates via /.well-known/jwks.json)
from shark_auth import DPoPHTTPClient
resp = DPoPHTTPClient(base_url="https://mcp.example.com").get_with_dpop(
    "/resource", token=token.access_token, prover=prover,
)

# 4. Customer cancels: one call, all tokens gone
admin.users.revoke_agents("usr_alice_id", reason="cancelled")
'''

# --- mcp-server.txt (re-indented) -----------------------------------------------------

MCP_STEP2 = '''import requests
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
'''

MCP_STEP3 = '''from shark_auth import DPoPProver, OAuthClient
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
'''

MCP_STEP4 = '''from shark_auth import DPoPHTTPClient
def call_mcp(token_str: str, prover: DPoPProver, path: str) -> dict:
    http = DPoPHTTPClient(base_url=MCP_SERVER_URL)
    resp = http.get_with_dpop(path, token=token_str, prover=prover)
    resp.raise_for_status()
    return resp.json()
'''

MCP_STEP5_PYJWT = '''# Example: FastAPI MCP server using PyJWT
import jwt
from jwt import PyJWKClient
JWKS_URL = "http://localhost:8080/.well-known/jwks.json"
jwks_client = PyJWKClient(JWKS_URL)
def verify_mcp_token(token: str, expected_audience: str) -> dict:
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["ES256", "RS256"],
        audience=expected_audience,
    )
    # Confirm DPoP binding: claims["cnf"]["jkt"] must match the DPoP proof header
    return claims
'''

MCP_STEP5_SDK = '''from shark_auth import decode_agent_token
claims = decode_agent_token(
    token,
    jwks_url=f"{SHARK_URL}/.well-known/jwks.json",
    expected_issuer=SHARK_URL,
    expected_audience=MCP_SERVER_URL,
)
'''

MCP_FULL = '''from shark_auth import DPoPProver, OAuthClient, DPoPHTTPClient
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
# --- call ---
result = DPoPHTTPClient(base_url=MCP_SERVER_URL).get_with_dpop(
    "/tools/list", token=token.access_token, prover=prover,
)
print(result.json())
'''

MCP_REVOKE = '''from shark_auth import OAuthClient
OAuthClient(base_url=SHARK_URL, token="sk_live_...").revoke_token(token.access_token)
'''

MCP_ROTATE = '''from shark_auth import Client, DPoPProver
admin = Client(base_url=SHARK_URL, token="sk_live_...")
new_prover = DPoPProver.generate()
result = admin.agents.rotate_dpop_key(
    agent_id,
    new_public_key_jwk=new_prover.public_key_jwk(),
    reason="scheduled rotation",
)
# result.revoked_token_count tokens bound to old key are gone
'''

CUSTOMER_AGENTS = {"CA_STEP3": CA_STEP3, "CA_STEP4": CA_STEP4, "CA_STEP5": CA_STEP5,
                   "CA_STEP6": CA_STEP6, "CA_FULL": CA_FULL}
MCP = {"MCP_STEP2": MCP_STEP2, "MCP_STEP3": MCP_STEP3, "MCP_STEP4": MCP_STEP4,
       "MCP_STEP5_PYJWT": MCP_STEP5_PYJWT, "MCP_STEP5_SDK": MCP_STEP5_SDK, "MCP_FULL": MCP_FULL,
       "MCP_REVOKE": MCP_REVOKE, "MCP_ROTATE": MCP_ROTATE}


def as_extracted(snippet):
    """The MCP guide's text as it was extracted: every line's indentation lost."""
    return "\n".join(line.lstrip() for line in snippet.splitlines()) + "\n"


# The client-side corrections of seeds/README.md, each a minimal textual change.
def fix_public_jwk(snippet):
    """DPoPProver.public_key_jwk() does not exist in shark-auth 0.1.1: .public_jwk."""
    assert ".public_key_jwk()" in snippet
    return snippet.replace(".public_key_jwk()", ".public_jwk")


def fix_token_object(snippet):
    """decode_agent_token wants the JWT string, not the Token object."""
    assert "\n    token,\n" in snippet
    return snippet.replace("\n    token,\n", "\n    token.access_token,\n")


def fix_step5_import(snippet):
    """customer-agents Step 5 alone lacks Step 4's DPoPProver import."""
    return "from shark_auth import DPoPProver\n" + snippet


def fill(snippet, **subs):
    """Fills in the base URL, admin key and ids: plain textual replacement."""
    for old, new in subs.items():
        snippet = snippet.replace(old, new)
    for placeholder in PLACEHOLDERS:
        assert placeholder not in snippet, f"{placeholder} left unfilled"
    return snippet


PLACEHOLDERS = ("localhost:8080", "sk_live_...", "mcp.example.com", "app_your_app_id", "app_abc123", "usr_alice_id")


def run(snippet, ns, name="guide"):
    exec(compile(textwrap.dedent(snippet), f"<{name}>", "exec"), ns)
    return ns

"""Issue 22, clients nobody here wrote: the official MCP TypeScript SDK's client
(@modelcontextprotocol/sdk 1.32.2, tests/mcp/client.mjs) connects to sdk/go's example MCP
server (the official Go MCP SDK behind mcpauth.Require) whose tokens come from a path tenant
(/t/<name>) of the `stack`. The SDK walks the discovery chain on its own: 401 -> the RFC 9728
protected-resource metadata -> our RFC 8414 path-inserted AS metadata -> CIMD (its client_id
is an https URL served here with a test CA the stack trusts through SSL_CERT_FILE) in one
test, DCR in the other -> authorize, where headless chromium (tests/mcp/signin, chromedp)
signs in and consents -> the code exchanged with PKCE and `resource` -> tools/list -> a forced
refresh (the refresh_token grant, rotated) -> tools/list again.

Both engines: make runs the suite on the embedded engine, then with SHARK_E2E_LAMBDA=1
through `shark serve --lambda` on moto/DynamoDB. A missing node module, node or chromium
fails the test; nothing here skips."""
import datetime
import http.server
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import threading
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import ROOT, free_port
from test_guides import ResourceServer, mcp_server_bin  # noqa: F401  (fixture)

MCP_DIR = ROOT / "tests" / "mcp"
SIGNIN = ROOT / "bin" / "mcp-signin"
PASSWORD = "mcp sdk correct horse battery"


@pytest.fixture(scope="session")
def signin_bin():
    """The chromedp program that plays the person at the browser."""
    subprocess.run(["go", "build", "-o", str(SIGNIN), "./tests/mcp/signin"], cwd=ROOT, check=True)
    return SIGNIN


@pytest.fixture(scope="session")
def node_client():
    """tests/mcp's node modules, as `make deps` installs them (npm ci): missing is a failure."""
    node = shutil.which("node")
    assert node, "node is required for tests/mcp (the MCP TypeScript SDK client)"
    pkg = MCP_DIR / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"
    assert pkg.exists(), f"{pkg} is missing: run `make deps` (npm ci in tests/mcp)"
    assert json.loads(pkg.read_text())["version"] == "1.32.2"
    return node


# --- a test CA and an https server for the Client ID Metadata Document -------------------

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@pytest.fixture
def test_ca(tmp_path, monkeypatch):
    """A CA made for this test, and a certificate for 127.0.0.1 it signed. SSL_CERT_FILE makes
    the stack's Go processes (started after this fixture) trust that CA alone."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("shark e2e test CA")).issuer_name(_name("shark e2e test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "leaf.pem", tmp_path / "leaf.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    return ca_file, cert_file, key_file


class CIMDServer:
    """https://127.0.0.1:<port>/mcp-client.json: the client's metadata document, counting fetches."""

    def __init__(self, cert_file, key_file, redirect_uri):
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}/mcp-client.json"
        self.fetches = 0
        doc = json.dumps({"client_id": self.url, "client_name": "MCP TypeScript SDK (CIMD)", "redirect_uris": [redirect_uri],
                          "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
                          "token_endpoint_auth_method": "none", "scope": "mcp:read"}).encode()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/mcp-client.json":
                    self.send_error(404)
                    return
                outer.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(doc)))
                self.end_headers()
                self.wfile.write(doc)

            def log_message(self, *_):
                pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file, key_file)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the flow -------------------------------------------------------------------------------

def path_tenant(stack):
    """A non-root tenant, /t/<name>, with a person who can sign in."""
    name = "mcp" + uuid.uuid4().hex[:6]
    made = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": name},
                         headers={"Authorization": f"Bearer {stack.key('platform')}"}, timeout=60)
    assert made.status_code == 201, made.text
    issuer, key = made.json()["issuer"], made.json()["admin_key"]
    assert issuer == f"{stack.url}/t/{name}"
    admin = {"Authorization": f"Bearer {key}"}
    email = f"pat-{uuid.uuid4().hex[:8]}@example.com"
    u = requests.post(f"{issuer}/api/v1/admin/users", json={"email": email, "name": "Pat"}, headers=admin, timeout=60)
    assert u.status_code == 201, u.text
    pw = requests.post(f"{issuer}/api/v1/users/{u.json()['id']}/password", json={"password": PASSWORD}, headers=admin, timeout=60)
    assert pw.status_code == 200, pw.text
    return issuer, admin, u.json(), email


def run_client(node, signin, server_url, email, redirect_port, client_metadata_url=None):
    """Runs the TypeScript client; when it asks for a person, chromium signs in and consents.
    Returns the client's result and the authorization URL it opened."""
    args = [node, "client.mjs", "--server", server_url, "--redirect-port", str(redirect_port)]
    if client_metadata_url:
        args += ["--client-metadata-url", client_metadata_url]
    proc = subprocess.Popen(args, cwd=MCP_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, f"the client printed nothing: {proc.stderr.read()}"
        msg = json.loads(line)
        assert "authorize" in msg, msg
        authorize_url = msg["authorize"]
        browser = subprocess.run([str(signin), "-url", authorize_url, "-email", email,
                                  "-callback", f"http://127.0.0.1:{redirect_port}/callback",
                                  "-screenshots", str(ROOT / "bin" / "screenshots")],
                                 env=dict(os.environ, SIGNIN_PASSWORD=PASSWORD), capture_output=True, text=True, timeout=180)
        assert browser.returncode == 0, f"browser: {browser.stdout}\n{browser.stderr}"
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [json.loads(x) for x in out.splitlines() if x.strip()]
    assert proc.returncode == 0 and lines and "result" in lines[-1], f"client: {out}\n{err}"
    return lines[-1]["result"], authorize_url


def check_flow(result, authorize_url, issuer, server_url, user, metadata_url):
    """What the SDK did, step by step, and what the MCP server saw."""
    reqs = result["requests"]
    urls = [r["url"] for r in reqs]
    origin, tenant_path = issuer.split("/t/")[0], "/t/" + issuer.split("/t/")[1]
    # 401 first, then the protected-resource metadata the challenge pointed at.
    assert reqs[0]["method"] == "POST" and reqs[0]["url"] == server_url and reqs[0]["status"] == 401, reqs[0]
    assert metadata_url in urls and reqs[urls.index(metadata_url)]["status"] == 200
    # Then our RFC 8414 path-inserted AS metadata of the path tenant.
    as_md = f"{origin}/.well-known/oauth-authorization-server{tenant_path}"
    assert as_md in urls and reqs[urls.index(as_md)]["status"] == 200, urls
    # The authorization request: PKCE S256, the resource, the tenant's endpoint.
    q = {k: v[0] for k, v in parse_qs(urlparse(authorize_url).query).items()}
    assert authorize_url.startswith(f"{issuer}/oauth/authorize?"), authorize_url
    assert q["response_type"] == "code" and q["code_challenge_method"] == "S256" and len(q["code_challenge"]) >= 43
    assert q["resource"] == server_url and q["scope"] == "mcp:read"
    assert result["iss"] == issuer  # RFC 9207 on the redirect back
    # The code exchanged with the verifier and the resource.
    tokens = [r for r in reqs if r["url"] == f"{issuer}/oauth/token"]
    assert tokens[0]["grant_type"] == "authorization_code" and tokens[0]["has_code_verifier"], tokens
    assert tokens[0]["resource"] == server_url and tokens[0]["status"] == 200
    # tools/list succeeded, and whoami saw the person through this client.
    assert result["tools"] == ["whoami"]
    assert result["before"]["sub"] == user["id"] and result["before"]["client_id"] == result["client_id"]
    assert result["before"]["scopes"] == ["mcp:read"] and result["before"]["scheme"] == "Bearer"
    # The forced refresh: a 401, the refresh_token grant (with the resource), the retry.
    again = result["refresh_requests"]
    assert again[0]["url"] == server_url and again[0]["status"] == 401, again
    grants = [r for r in again if r["url"] == f"{issuer}/oauth/token"]
    assert [g["grant_type"] for g in grants] == ["refresh_token"] and grants[0]["status"] == 200, again
    assert grants[0]["resource"] == server_url
    assert result["refresh_token_rotated"] is True
    assert result["tools_after_refresh"] == ["whoami"] and result["after"]["sub"] == user["id"]


def start_mcp_server(issuer):
    port = free_port()
    server_url = f"http://127.0.0.1:{port}/mcp"
    rs = ResourceServer(issuer, server_url, port=port)
    return rs, server_url, f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp"


def test_typescript_sdk_with_cimd(test_ca, stack, mcp_server_bin, signin_bin, node_client):
    """CIMD: the SDK sees client_id_metadata_document_supported and uses its https URL as
    client_id; no registration request is made; the stack fetched the document (trusting the
    test CA) and the tokens name that URL as client_id. test_ca comes before stack: pytest
    sets SSL_CERT_FILE first, then starts the stack with it."""
    _, cert_file, key_file = test_ca
    issuer, admin, user, email = path_tenant(stack)
    md = requests.get(f"{stack.url}/.well-known/oauth-authorization-server{issuer[len(stack.url):]}", timeout=60).json()
    assert md["client_id_metadata_document_supported"] is True and md["issuer"] == issuer
    redirect_port = free_port()
    cimd = CIMDServer(cert_file, key_file, f"http://127.0.0.1:{redirect_port}/callback")
    rs, server_url, metadata_url = start_mcp_server(issuer)
    try:
        result, authorize_url = run_client(node_client, signin_bin, server_url, email, redirect_port, cimd.url)
    finally:
        rs.stop()
        cimd.stop()
    check_flow(result, authorize_url, issuer, server_url, user, metadata_url)
    assert result["client_id"] == cimd.url and result["before"]["client_id"] == cimd.url
    assert parse_qs(urlparse(authorize_url).query)["client_id"] == [cimd.url]
    assert not any(r["url"].endswith("/oauth/register") for r in result["requests"]), "CIMD must not register"
    assert cimd.fetches >= 1
    # The consent is the person's, for this CIMD client and its redirect URI.
    cons = requests.get(f"{issuer}/api/v1/users/{user['id']}/consents", headers=admin, timeout=60)
    assert cons.status_code == 200, cons.text
    assert [c["client_id"] for c in cons.json()["data"]] == [cimd.url]


def test_typescript_sdk_with_dcr(stack, mcp_server_bin, signin_bin, node_client):
    """DCR: without a client metadata URL the SDK registers at the tenant's registration
    endpoint (a public native client with a loopback redirect) and goes on the same way."""
    issuer, admin, user, email = path_tenant(stack)
    redirect_port = free_port()
    rs, server_url, metadata_url = start_mcp_server(issuer)
    try:
        result, authorize_url = run_client(node_client, signin_bin, server_url, email, redirect_port)
    finally:
        rs.stop()
    check_flow(result, authorize_url, issuer, server_url, user, metadata_url)
    regs = [r for r in result["requests"] if r["url"] == f"{issuer}/oauth/register"]
    assert len(regs) == 1 and regs[0]["method"] == "POST" and regs[0]["status"] == 201, regs
    assert not result["client_id"].startswith("https://")
    tokens = [r for r in result["requests"] if r["url"] == f"{issuer}/oauth/token"]
    assert all(t["client_id"] == result["client_id"] for t in tokens), tokens

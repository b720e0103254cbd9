"""sdk/go's example MCP server (examples/mcp-server) in its revocation modes, configured by
environment with the resource server's own credential (`shark resource create`): the feed
(MCP_FEED=true) refuses a revoked token within the poll interval and fails closed when it
cannot read the feed; introspection (MCP_INTROSPECT=true) refuses it at once. Over HTTP
against the local stack, on both engines (SHARK_E2E_LAMBDA=1 for DynamoDB)."""
import os
import subprocess
import time

import pytest
import requests

from conftest import ROOT, free_port

MCP_BIN = ROOT / "bin" / "mcp-server"


@pytest.fixture(scope="module")
def mcp_bin():
    subprocess.run(["go", "build", "-C", "sdk/go", "-o", "../../bin/mcp-server", "./examples/mcp-server"], cwd=ROOT, check=True)
    return MCP_BIN


class Server:
    def __init__(self, issuer, resource, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        e = {k: v for k, v in os.environ.items() if not k.startswith(("SHARK_", "MCP_"))}
        e.update(SHARK_ISSUER=issuer, MCP_RESOURCE=resource, MCP_LISTEN=f"127.0.0.1:{self.port}", **env)
        self.proc = subprocess.Popen([str(MCP_BIN)], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"mcp-server exited: {self.proc.stderr.read()}"
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        raise RuntimeError("mcp-server did not start")

    def get(self, token):
        return requests.get(f"{self.url}/resource", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def until(what, check, seconds):
    """Polls check until true; returns the seconds it took, failing after seconds."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {seconds} s")


def test_feed_and_introspection_with_the_resource_server_credential(stack, mcp_bin):
    base, key = stack.url, stack.key("admin")
    admin = {"Authorization": f"Bearer {key}"}
    resource = f"http://127.0.0.1:{free_port()}/mcp"
    rs = requests.post(f"{base}/api/v1/resource-servers", json={"name": "example mcp", "resources": [resource]}, headers=admin)
    assert rs.status_code == 201, rs.text
    cred = {"SHARK_RS_CLIENT_ID": rs.json()["client_id"], "SHARK_RS_CLIENT_SECRET": rs.json()["client_secret"]}
    agent = requests.post(f"{base}/api/v1/agents", json={"name": "caller", "scopes": ["mcp:read"]}, headers=admin).json()

    def token():
        r = requests.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", "scope": "mcp:read", "resource": resource},
                          auth=(agent["client_id"], agent["client_secret"]))
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    servers = []
    try:
        feed = Server(base, resource, MCP_FEED="true", MCP_FEED_INTERVAL="1s", **cred)
        live = Server(base, resource, MCP_INTROSPECT="true", MCP_INTROSPECT_CACHE="0", **cred)
        wrong = Server(base, resource, MCP_FEED="true", MCP_FEED_INTERVAL="1s",
                       SHARK_RS_CLIENT_ID=cred["SHARK_RS_CLIENT_ID"], SHARK_RS_CLIENT_SECRET="0" * 64)
        servers += [feed, live, wrong]
        t1, t2 = token(), token()
        until("the feed's first poll", lambda: feed.get(t1).status_code == 200, 10)
        assert live.get(t1).status_code == 200
        # A feed it cannot read (a wrong secret): every request refused, never accepted.
        r = wrong.get(t1)
        assert r.status_code == 503, r.text

        # One token revoked by the admin: introspection refuses it at once, the feed within its interval.
        assert requests.post(f"{base}/oauth/revoke", data={"token": t1}, headers=admin).status_code == 200
        assert live.get(t1).status_code == 401
        took = until("the feed refuses the revoked token", lambda: feed.get(t1).status_code == 401, 1 + 1 + 3)  # interval + jitter + margin
        assert feed.get(t2).status_code == 200 and live.get(t2).status_code == 200, "an unrevoked token is refused"
        print(f"feed: refused {took:.2f} s after the revocation")

        # Every token of the agent (a layer, not a token list): both refuse t2.
        assert requests.post(f"{base}/api/v1/agents/{agent['id']}/tokens/revoke-all", headers=admin).status_code == 200
        assert live.get(t2).status_code == 401
        until("the feed refuses the agent's tokens", lambda: feed.get(t2).status_code == 401, 5)
    finally:
        for s in servers:
            s.stop()

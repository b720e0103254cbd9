"""P14 (issue 20): a tenant's audience allow-list and DPoP nonce requirement are set through
the platform API, shown on GET, and take effect at the token endpoint; unknown members of a
platform or admin write are refused, naming the member, instead of being ignored."""
import time

import requests
from shark_auth import Client, DPoPProver


def test_tenant_audiences_and_dpop_nonce_take_effect(stack):
    platform = {"Authorization": f"Bearer {stack.key('platform')}"}
    made = requests.post(f"{stack.url}/platform/v1/tenants", headers=platform,
                         json={"id": "acme", "audiences": ["https://api.acme.example"]})
    assert made.status_code == 201, made.text
    assert made.json()["tenant"]["audiences"] == ["https://api.acme.example"]
    assert made.json()["tenant"]["dpop_nonce"] is False
    base, key = made.json()["issuer"], made.json()["admin_key"]
    agent = Client(base_url=base, token=key).agents.register_agent(app_id="app_1", name="a", scopes=["mcp:read"])

    def token(audience, prover=None, nonce=None):
        headers = {}
        if prover:
            headers["DPoP"] = prover.make_proof(htm="POST", htu=f"{base}/oauth/token", nonce=nonce)
        return requests.post(f"{base}/oauth/token", headers=headers, data={
            "grant_type": "client_credentials", "client_id": agent["client_id"],
            "client_secret": agent["client_secret"], "scope": "mcp:read", "audience": audience})

    assert token("https://api.acme.example").status_code == 200
    refused = token("https://other.example")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"

    patched = requests.patch(f"{stack.url}/platform/v1/tenants/acme", headers=platform,
                             json={"dpop_nonce": True, "audiences": ["https://api.acme.example", "https://other.example"]})
    assert patched.status_code == 200, patched.text
    got = requests.get(f"{stack.url}/platform/v1/tenants/acme", headers=platform).json()
    assert got["dpop_nonce"] is True and got["audiences"] == ["https://api.acme.example", "https://other.example"]

    # Other function containers see the change within the tenant cache TTL (2 s locally).
    prover = DPoPProver.generate()
    deadline = time.monotonic() + 10
    while True:
        first = token("https://other.example", prover)
        if first.json().get("error") == "use_dpop_nonce" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert first.status_code == 400 and first.json()["error"] == "use_dpop_nonce", first.text
    nonce = first.headers["DPoP-Nonce"]
    assert token("https://other.example", prover, nonce).status_code == 200

    # Unknown members are refused by name, and change nothing.
    bad = requests.patch(f"{stack.url}/platform/v1/tenants/acme", headers=platform, json={"dpop_nonce": False, "audience": ["x"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_parameter" and "audience" in bad.json()["message"]
    assert requests.get(f"{stack.url}/platform/v1/tenants/acme", headers=platform).json()["dpop_nonce"] is True
    bad = requests.post(f"{base}/api/v1/agents", headers={"Authorization": f"Bearer {key}"}, json={"name": "x", "scope": "mcp:read"})
    assert bad.status_code == 400 and bad.json() == {"error": "invalid_request", "message": "unknown field scope"}

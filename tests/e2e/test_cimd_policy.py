"""Issue 22 (CIMD): a tenant's Client ID Metadata Document policy (on by default, optional
allow and deny lists of hosts) is set through the platform API on create and PATCH, stored,
and shown on GET; bad lists are refused by name and change nothing."""
import requests


def test_tenant_cimd_policy_round_trip(stack):
    platform = {"Authorization": f"Bearer {stack.key('platform')}"}
    made = requests.post(f"{stack.url}/platform/v1/tenants", headers=platform, json={"id": "acme"})
    assert made.status_code == 201, made.text
    t = made.json()["tenant"]
    assert t["cimd"] is True and t["cimd_hosts"] == [] and t["cimd_deny_hosts"] == []

    made = requests.post(f"{stack.url}/platform/v1/tenants", headers=platform,
                         json={"id": "closed", "cimd": False, "cimd_hosts": ["*.claude.ai"]})
    assert made.status_code == 201, made.text
    got = requests.get(f"{stack.url}/platform/v1/tenants/closed", headers=platform).json()
    assert got["cimd"] is False and got["cimd_hosts"] == ["*.claude.ai"]

    patched = requests.patch(f"{stack.url}/platform/v1/tenants/acme", headers=platform,
                             json={"cimd_hosts": ["*.claude.ai", "vscode.dev"], "cimd_deny_hosts": ["evil.example.com"]})
    assert patched.status_code == 200, patched.text
    got = requests.get(f"{stack.url}/platform/v1/tenants/acme", headers=platform).json()
    assert got["cimd"] is True
    assert got["cimd_hosts"] == ["*.claude.ai", "vscode.dev"] and got["cimd_deny_hosts"] == ["evil.example.com"]

    bad = requests.patch(f"{stack.url}/platform/v1/tenants/acme", headers=platform,
                         json={"cimd": False, "cimd_deny_hosts": ["https://evil.example.com"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_parameter"
    assert "cimd_deny_hosts[0]" in bad.json()["message"]
    got = requests.get(f"{stack.url}/platform/v1/tenants/acme", headers=platform).json()
    assert got["cimd"] is True and got["cimd_deny_hosts"] == ["evil.example.com"]

    off = requests.patch(f"{stack.url}/platform/v1/tenants/acme", headers=platform, json={"cimd": False, "cimd_hosts": []})
    assert off.status_code == 200, off.text
    got = requests.get(f"{stack.url}/platform/v1/tenants/acme", headers=platform).json()
    assert got["cimd"] is False and got["cimd_hosts"] == []

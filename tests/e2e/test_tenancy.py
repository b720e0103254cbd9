"""Tenant resolution as a client sees it on `make run` (issue 6's must-shows)."""
import subprocess

import requests

from conftest import SHARK, Stack


def root_and_acme(stack):
    pk = stack.key("platform")
    created = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": "acme", "hosts": ["auth.acme.test"]},
                            headers={"Authorization": f"Bearer {pk}"})
    assert created.status_code == 201, created.text
    assert created.headers["Cache-Control"] == "no-store"
    root = requests.get(f"{stack.url}/.well-known/jwks.json").json()["keys"][0]["kid"]
    acme = requests.get(f"{stack.url}/t/acme/.well-known/jwks.json").json()["keys"][0]["kid"]
    assert root != acme
    return root, acme


def test_non_canonical_paths_never_reach_the_root_tenant(stack):
    root, _ = root_and_acme(stack)
    for path in ("/t/acme/.well-known//jwks.json", "/t/acme/.well-known/./jwks.json",
                 "/t/acme/.well-known/x/../jwks.json", "/t/acme%2f../.well-known/jwks.json"):
        # curl -L --path-as-is: follow redirects, send the path as written.
        out = subprocess.run(["curl", "-sS", "-L", "--path-as-is", "-w", "\n%{http_code}", stack.url + path],
                             capture_output=True, text=True, check=True).stdout
        body, code = out.rsplit("\n", 1)
        assert code == "404", (path, out)
        assert root not in body, (path, body)


def test_custom_host_with_a_port_reaches_its_tenant(stack):
    _, acme = root_and_acme(stack)
    for host in ("auth.acme.test:8080", "auth.acme.test", "AUTH.acme.test.", f"auth.acme.test:{stack.port}"):
        keys = requests.get(f"{stack.url}/.well-known/jwks.json", headers={"Host": host}).json()["keys"]
        assert [k["kid"] for k in keys] == [acme], host


def test_issuer_follows_the_host_the_client_used(stack):
    for base in (f"http://127.0.0.1:{stack.port}", f"http://localhost:{stack.port}"):
        md = requests.get(f"{base}/.well-known/oauth-authorization-server").json()
        assert md["issuer"] == base
        assert md["jwks_uri"] == f"{base}/.well-known/jwks.json"


def test_cors_only_on_public_documents(stack):
    jwks = requests.get(f"{stack.url}/.well-known/jwks.json", headers={"Origin": "https://app.example"})
    assert jwks.headers["Access-Control-Allow-Origin"] == "*"
    pre = requests.options(f"{stack.url}/.well-known/jwks.json",
                           headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == "*"
    platform = requests.get(f"{stack.url}/platform/v1/tenants", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in platform.headers


def test_lost_keys_are_recovered_from_the_data_dir(tmp_path):
    s = Stack(tmp_path / "data").start()
    s.stop()
    out = subprocess.run([str(SHARK), "recover-key", "--data", str(s.data_dir), "--platform"],
                         capture_output=True, text=True, check=True).stdout
    platform = out.split("platform key: ")[1].split()[0]
    out = subprocess.run([str(SHARK), "recover-key", "--data", str(s.data_dir)],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("admin key (tenant default): sk_live_"), out
    again = Stack(s.data_dir, s.port).start()
    try:
        r = requests.get(f"{again.url}/platform/v1/tenants", headers={"Authorization": f"Bearer {platform}"})
        assert r.status_code == 200, r.text
    finally:
        again.stop()
    bad = subprocess.run([str(SHARK), "recover-key", "--data", str(s.data_dir), "--tenant", "nobody"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "does not exist" in bad.stderr

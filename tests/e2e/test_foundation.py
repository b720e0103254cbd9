"""The foundation as a user sees it: first boot, JWKS, metadata, tenants, restart."""
import stat

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt import PyJWKClient

from conftest import Stack


def test_first_boot_prints_and_writes_keys_once(tmp_path):
    s = Stack(tmp_path / "data").start()
    try:
        admin, platform = s.key("admin"), s.key("platform")
        assert admin.startswith("sk_live_") and platform.startswith("sk_platform_")
        for name in ("admin", "platform"):
            mode = (s.data_dir / f"{name}.key.firstboot").stat().st_mode
            assert stat.S_IMODE(mode) == 0o600
    finally:
        s.stop()
    assert f"admin key: {admin}" in s.output
    assert f"platform key: {platform}" in s.output

    again = Stack(s.data_dir, s.port).start()
    again.stop()
    assert "admin key:" not in again.output  # shown once


def test_jwks_is_usable_by_pyjwt_and_survives_restart(tmp_path):
    s = Stack(tmp_path / "data").start()
    try:
        resp = requests.get(f"{s.url}/.well-known/jwks.json")
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "public, max-age=300"
        keys = resp.json()["keys"]
        assert len(keys) == 1
        k = keys[0]
        assert (k["kty"], k["crv"], k["alg"], k["use"]) == ("EC", "P-256", "ES256", "sig")
        assert not {"d", "p", "q"} & set(k)
        signing = PyJWKClient(f"{s.url}/.well-known/jwks.json").get_signing_keys()
        assert [sk.key_id for sk in signing] == [k["kid"]]
        assert isinstance(signing[0].key, ec.EllipticCurvePublicKey)
        assert signing[0].key.curve.name == "secp256r1"
    finally:
        s.stop()
    again = Stack(s.data_dir, s.port).start()
    try:
        assert requests.get(f"{again.url}/.well-known/jwks.json").json()["keys"][0]["kid"] == k["kid"]
    finally:
        again.stop()


def test_metadata_of_root_and_path_tenants(stack):
    md = requests.get(f"{stack.url}/.well-known/oauth-authorization-server").json()
    assert md["issuer"] == stack.url
    assert md["jwks_uri"] == f"{stack.url}/.well-known/jwks.json"
    assert "none" not in md.get("dpop_signing_alg_values_supported", [])

    pk = stack.key("platform")
    created = requests.post(f"{stack.url}/platform/v1/tenants", json={"id": "acme"},
                            headers={"Authorization": f"Bearer {pk}"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["issuer"] == f"{stack.url}/t/acme"
    assert body["admin_key"].startswith("sk_live_")

    root_kid = requests.get(f"{stack.url}/.well-known/jwks.json").json()["keys"][0]["kid"]
    acme_kid = requests.get(f"{stack.url}/t/acme/.well-known/jwks.json").json()["keys"][0]["kid"]
    assert acme_kid != root_kid
    for path in ("/.well-known/oauth-authorization-server/t/acme", "/t/acme/.well-known/oauth-authorization-server"):
        assert requests.get(stack.url + path).json()["issuer"] == f"{stack.url}/t/acme"
    # MCP clients look at either name: the same document (path-inserted and under the issuer).
    for path in ("/.well-known/openid-configuration/t/acme", "/t/acme/.well-known/openid-configuration"):
        oidc = requests.get(stack.url + path)
        assert oidc.status_code == 200, path
        assert oidc.json() == requests.get(f"{stack.url}/.well-known/oauth-authorization-server/t/acme").json()


def test_platform_errors(stack):
    pk = stack.key("platform")
    auth = {"Authorization": f"Bearer {pk}"}
    cases = [
        ("GET", "/t/nope/.well-known/jwks.json", None, {}, 404, "not_found"),
        ("POST", "/platform/v1/tenants", {"id": "acme"}, {}, 401, "unauthorized"),
        ("POST", "/platform/v1/tenants", {"id": "acme"}, {"Authorization": "Bearer sk_live_x"}, 401, "unauthorized"),
        ("POST", "/platform/v1/tenants", {"id": "Not Valid"}, auth, 400, "invalid_parameter"),
        ("POST", "/platform/v1/tenants", {"id": "default"}, auth, 409, "conflict"),
    ]
    for method, path, body, headers, status, code in cases:
        resp = requests.request(method, stack.url + path, json=body, headers=headers)
        assert resp.status_code == status, (path, resp.text)
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.json()["error"] == code
    big = requests.post(f"{stack.url}/platform/v1/tenants", data=b"{" + b" " * (1 << 20) + b"}",
                        headers={**auth, "Content-Type": "application/json"})
    assert big.status_code == 413
    assert big.json()["error"] == "invalid_request"


def test_runner_on_the_emulator_in_each_key_mode(tmp_path, aws_endpoint):
    """--store dynamodb --endpoint runs the same stack on moto's DynamoDB, with
    envelope and kms key modes on moto's KMS; a restart keeps the kid."""
    for mode in ("envelope", "kms"):
        args = ["--store", "dynamodb", "--endpoint", aws_endpoint, "--table", f"e2e-{mode}-{tmp_path.name}", "--keys", mode]
        s = Stack(tmp_path / mode, args=args).start()
        try:
            keys = requests.get(f"{s.url}/.well-known/jwks.json").json()["keys"]
            assert len(keys) == 1 and keys[0]["alg"] == "ES256" and "d" not in keys[0]
            pk = s.key("platform")
            created = requests.post(f"{s.url}/platform/v1/tenants", json={"id": "acme"},
                                    headers={"Authorization": f"Bearer {pk}"})
            assert created.status_code == 201, created.text
            acme = requests.get(f"{s.url}/t/acme/.well-known/jwks.json").json()["keys"]
            assert acme[0]["kid"] != keys[0]["kid"]
        finally:
            s.stop()
        again = Stack(tmp_path / mode, s.port, args=args).start()
        try:
            assert requests.get(f"{again.url}/.well-known/jwks.json").json()["keys"][0]["kid"] == keys[0]["kid"]
        finally:
            again.stop()


def test_bootstrap_of_a_deployed_stack(tmp_path, aws_endpoint):
    """A deployed stack has no first boot: `shark bootstrap` creates the platform key
    and the root tenant in its table; the functions then serve them."""
    import subprocess
    from conftest import SHARK, ROOT
    table = f"boot-{tmp_path.name}"
    out = subprocess.run([str(SHARK), "bootstrap", "--endpoint", aws_endpoint, "--table", table,
                          "--region", "us-east-1", "--root-tenant", "default"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    pk = lines["platform key"]
    assert pk.startswith("sk_platform_") and lines["admin key (tenant default)"].startswith("sk_live_")

    again = subprocess.run([str(SHARK), "bootstrap", "--endpoint", aws_endpoint, "--table", table,
                            "--region", "us-east-1", "--root-tenant", "default"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "exists: no new admin key" in again.stdout

    s = Stack(tmp_path / "data", args=["--store", "dynamodb", "--endpoint", aws_endpoint, "--table", table, "--keys", "envelope"]).start()
    try:
        assert not (s.data_dir / "platform.key.firstboot").exists()  # not a first boot
        created = requests.post(f"{s.url}/platform/v1/tenants", json={"id": "acme"}, headers={"Authorization": f"Bearer {pk}"})
        assert created.status_code == 201, created.text
    finally:
        s.stop()

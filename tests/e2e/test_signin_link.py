"""The one-time dashboard sign-in link (issue 25): `shark serve` prints it at first boot
beside the keys; the dashboard trades it once for a short-lived admin key. Through HTTP,
on the embedded engine and (SHARK_E2E_LAMBDA=1) through the bootstraps on DynamoDB."""
import re
import time

import requests

from conftest import Stack


def test_first_boot_prints_a_one_time_sign_in_link(stack):
    out = "".join(stack._lines)
    m = re.search(r"sign-in link \(one use, expires [0-9:]+ UTC\): (http://\S+)/#signin=(signin_[A-Za-z0-9]+)\n", out)
    assert m, out
    assert m.group(1) == stack.url
    link = m.group(2)
    admin_key = stack.key("admin")
    assert admin_key not in m.group(0), "the admin key is in the sign-in URL"

    redeem = lambda: requests.post(f"{stack.url}/api/v1/admin/sign-in-links/redeem", json={"link": link}, timeout=30)  # noqa: E731
    r = redeem()
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    assert body["admin_key"].startswith("sk_live_") and body["admin_key"] != admin_key and body["tenant"] == "default"
    minted = {"Authorization": f"Bearer {body['admin_key']}"}
    assert requests.get(f"{stack.url}/api/v1/agents", headers=minted, timeout=30).status_code == 200

    again = redeem()
    assert again.status_code == 401, again.text
    assert again.json()["error"] == "unauthorized" and "already used" in again.json()["message"]
    unknown = requests.post(f"{stack.url}/api/v1/admin/sign-in-links/redeem", json={"link": "signin_nope"}, timeout=30)
    assert unknown.status_code == 401 and "unknown sign-in link" in unknown.json()["message"]

    # The trail: the link minted the key; neither the link nor the key is in it.
    events = requests.get(f"{stack.url}/api/v1/audit-logs", params={"action": "api_key.created", "actor_type": "signin_link"},
                          headers={"Authorization": f"Bearer {admin_key}"}, timeout=30)
    assert events.status_code == 200, events.text
    data = events.json()["data"]
    assert len(data) == 1 and data[0]["target_id"] == body["key_id"], data
    assert link not in events.text and body["admin_key"] not in events.text


def test_a_restart_prints_no_new_link(stack):
    assert "#signin=" in "".join(stack._lines)
    stack.stop()
    again = Stack(stack.data_dir, args=stack.args).start()
    try:
        time.sleep(0.2)
    finally:
        again.stop()
    assert "admin key:" not in again.output and "sign-in link" not in again.output, again.output

"""`shark serve --lambda`: every request through the real bootstraps, each under
aws-lambda-rie on 127.0.0.1, on moto's DynamoDB and KMS (envelope keys)."""
import re

import requests


def test_token_flow_through_the_bootstraps(lambda_stack):
    s = lambda_stack
    admin = {"Authorization": f"Bearer {s.key('admin')}"}

    jwks = requests.get(f"{s.url}/.well-known/jwks.json", timeout=30)
    assert jwks.status_code == 200 and len(jwks.json()["keys"]) == 1

    agent = requests.post(f"{s.url}/api/v1/agents", json={"name": "lambda-agent", "scopes": ["mcp:read"]},
                          headers=admin, timeout=30)
    assert agent.status_code == 201, agent.text
    a = agent.json()

    tok = requests.post(f"{s.url}/oauth/token", data={"grant_type": "client_credentials",
                                                      "client_id": a["client_id"], "client_secret": a["client_secret"]},
                        timeout=30)
    assert tok.status_code == 200, tok.text
    assert tok.headers["Cache-Control"] == "no-store"
    access = tok.json()["access_token"]

    intro = requests.post(f"{s.url}/oauth/introspect", data={"token": access}, headers=admin, timeout=30)
    assert intro.status_code == 200 and intro.json()["active"] is True and intro.json()["client_id"] == a["client_id"]

    bad = requests.post(f"{s.url}/oauth/token", data={"grant_type": "client_credentials",
                                                      "client_id": a["client_id"], "client_secret": "0" * 64},
                        timeout=30)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"

    reg = requests.post(f"{s.url}/oauth/register", json={"client_name": "lambda-dcr"}, timeout=30)
    assert reg.status_code == 201, reg.text

    logs = requests.get(f"{s.url}/api/v1/audit-logs", headers=admin, timeout=30)
    assert logs.status_code == 200, logs.text

    assert s.stop() == 0
    # Each function answered from its own bootstrap: aws-lambda-rie reports
    # the invocations, and each function's access log names it.
    assert len(re.findall(r"REPORT RequestId", s.output)) >= 7, s.output[-3000:]
    for fn in ("jwks", "admin", "token", "register", "audit"):
        assert f'"function":"{fn}"' in s.output, fn


def test_lambda_mode_refuses_the_embedded_store(tmp_path):
    import subprocess
    from conftest import SHARK
    out = subprocess.run([str(SHARK), "serve", "--lambda"], env={"DATA": str(tmp_path), "ADDR": "127.0.0.1:0",
                                                                 "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "--store dynamodb --endpoint" in out.stdout + out.stderr

"""Fixtures that run the real local stack (bin/shark serve) for end-to-end tests.

`make e2e` builds bin/shark first. Each stack gets a free 127.0.0.1 port and its own
data directory; a stack that does not come up fails the test loudly.
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARK = ROOT / "bin" / "shark"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# SHARK_E2E_LAMBDA=1 runs every test's `stack` through the real bootstraps
# (`shark serve --lambda`, each function under aws-lambda-rie) on the AWS
# emulator instead of the in-process handlers: the guide suite in Lambda mode.
LAMBDA_MODE = os.environ.get("SHARK_E2E_LAMBDA") == "1"
RIE = pathlib.Path(os.environ.get("SHARK_RIE", ROOT / "bin" / "aws-lambda-rie"))
# One build of the bootstraps per test session, shared by its Lambda-mode stacks.
BOOTSTRAPS = ROOT / "bin" / "lambda-bootstraps"


@pytest.fixture(scope="session", autouse=True)
def fresh_bootstraps():
    """Bootstraps of an earlier session may be stale: the first Lambda-mode stack rebuilds them."""
    shutil.rmtree(BOOTSTRAPS, ignore_errors=True)


def lambda_args(endpoint, table, keys="envelope"):
    """Arguments of `shark serve` that serve through the bootstraps under aws-lambda-rie on moto."""
    return ["--lambda", "--rie", str(RIE), "--bootstraps", str(BOOTSTRAPS), "--store", "dynamodb", "--endpoint", endpoint,
            "--table", table, "--keys", keys]


class Stack:
    def __init__(self, data_dir, port=None, args=()):
        self.data_dir = pathlib.Path(data_dir)
        self.args = list(args)
        self.lambda_mode = "--lambda" in self.args
        self.port = port or free_port()
        self.url = f"http://localhost:{self.port}"
        self.proc = None
        self.output = ""

    def start(self):
        if not SHARK.exists():
            raise RuntimeError(f"{SHARK} is missing: run `make e2e` (it builds it)")
        # Lambda mode logs at info: aws-lambda-rie's REPORT lines show each invoke.
        level = "info" if self.lambda_mode else "warn"
        env = dict(os.environ, ADDR=f"127.0.0.1:{self.port}", DATA=str(self.data_dir), LOG_LEVEL=level)
        env.pop("PUBLIC_URL", None)
        self.proc = subprocess.Popen([str(SHARK), "serve", *self.args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Drain the log as it comes: a stack that serves many requests (a
        # module's, in Lambda mode at info level) would otherwise fill the
        # pipe, and shark serve, RIE and the functions would block on a write.
        self._lines = []
        self._reader = threading.Thread(target=lambda: self._lines.extend(self.proc.stdout), daemon=True)
        self._reader.start()
        # Lambda mode builds the five bootstraps first (go build, cached after the first run).
        deadline = time.monotonic() + (600 if self.lambda_mode else 60)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reader.join(timeout=10)
                raise RuntimeError(f"shark serve exited: {''.join(self._lines)}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                # Listening but not answering yet (a first boot on moto under a
                # loaded machine): a read timeout is "not up yet", like a refusal.
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"shark serve did not answer on {self.url}: {self.output}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._reader.join(timeout=10)
            self.output = "".join(self._lines)
        return self.proc.returncode if self.proc else None

    def key(self, name):
        return (self.data_dir / f"{name}.key.firstboot").read_text().strip()


@pytest.fixture
def aws_endpoint():
    """The AWS emulator `make test` starts (infra/moto.sh); its absence fails the test."""
    ep = os.environ.get("SHARK_TEST_AWS_ENDPOINT")
    if not ep:
        pytest.fail("SHARK_TEST_AWS_ENDPOINT is not set: run through `make test` (infra/moto.sh starts moto)")
    return ep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so that a fixture's teardown knows the test failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def stop_and_report(request, s):
    """Stops the stack; when the test failed, prints the stack's log (its JSON lines carry no
    secrets) so that the failure report shows what the server and aws-lambda-rie said."""
    s.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed and s.output:
        lines = s.output.splitlines()
        print(f"--- shark serve {' '.join(s.args)}: last {min(len(lines), 150)} of {len(lines)} log lines ---")
        print("\n".join(lines[-150:]))


@pytest.fixture
def stack(request, tmp_path):
    if LAMBDA_MODE:
        ep = os.environ.get("SHARK_TEST_AWS_ENDPOINT")
        if not ep:
            pytest.fail("SHARK_E2E_LAMBDA=1 needs SHARK_TEST_AWS_ENDPOINT (run through infra/moto.sh)")
        s = Stack(tmp_path / "data", args=lambda_args(ep, f"e2e-lambda-{tmp_path.name}")).start()
    else:
        s = Stack(tmp_path / "data").start()
    yield s
    stop_and_report(request, s)


@pytest.fixture
def lambda_stack(request, tmp_path, aws_endpoint):
    """The local stack serving through the real bootstraps under aws-lambda-rie, on moto."""
    s = Stack(tmp_path / "data", args=lambda_args(aws_endpoint, f"e2e-lambda-{tmp_path.name}")).start()
    yield s
    stop_and_report(request, s)


@pytest.fixture(scope="module")
def module_stack(request, tmp_path_factory):
    """One `stack` (same engine choice) shared by every test of a module, for suites whose
    tests touch disjoint records and would otherwise pay a stack start each."""
    tmp = tmp_path_factory.mktemp("module")
    if LAMBDA_MODE:
        ep = os.environ.get("SHARK_TEST_AWS_ENDPOINT")
        if not ep:
            pytest.fail("SHARK_E2E_LAMBDA=1 needs SHARK_TEST_AWS_ENDPOINT (run through infra/moto.sh)")
        s = Stack(tmp / "data", args=lambda_args(ep, f"e2e-lambda-{tmp.name}")).start()
    else:
        s = Stack(tmp / "data").start()
    failed = request.session.testsfailed
    yield s
    s.stop()
    if request.session.testsfailed > failed and s.output:
        lines = s.output.splitlines()
        print(f"--- shark serve {' '.join(s.args)}: last {min(len(lines), 300)} of {len(lines)} log lines ---")
        print("\n".join(lines[-300:]))

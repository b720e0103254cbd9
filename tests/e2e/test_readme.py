"""The README and docs/deploy.md followed end to end (issue 25, "Done when").

Every shell block preceded by `<!-- runnable -->` (or `<!-- runnable: OPTIONS -->`) runs,
command by command, against a fresh local stack (`shark serve`, embedded engine), as a
reader would type it:

- `localhost:8080`, `.data` and `<ApiUrl...>` become the test stack's URL and data directory
  (SHARK_URL and DATA are set to them too), `shark` is bin/shark;
- a placeholder such as `app_...`, `usr_...`, `shark_agent_...`, `sk_live_...`,
  `sk_platform_...` or `SHARK_CLIENT_SECRET=...` is replaced by the last value of that kind
  an earlier command of the block printed (the first boot's keys to begin with); a
  placeholder nothing printed fails the test;
- a variable assignment (`PK=$(cat ...)`, `export X=...`) also holds in the blocks after it
  in the same file;
- a command must exit 0 and print no JSON error; one that "asks on a terminal" runs on a
  pseudo-terminal and is answered y; one that runs "until Ctrl-C" must still be running
  after 3 s; `go build -o bin/shark ./cmd/shark` is skipped (the suite built it).

Options, separated by `;`: `stopped` runs the block with the stack stopped (recover-key);
`setup: CMD` runs CMD against the stack first. The documents' commands are what this test
runs, so a README command that breaks fails it (test_a_broken_command_fails proves the
runner notices)."""
import os
import pathlib
import pty
import re
import select
import subprocess
import time
from dataclasses import dataclass, field

import pytest

from conftest import LAMBDA_MODE, ROOT, Stack

DOCS = [ROOT / "README.md", ROOT / "docs" / "deploy.md"]
MARK = re.compile(r"^<!-- runnable(?::\s*(.*?))?\s*-->$")
# A placeholder: an id prefix followed by "..." (not part of a longer word).
PLACEHOLDER = re.compile(r"(?<![\w-])(sk_live|sk_platform|shark_agent|shark_app|shark_rs|shark_dcr|app|usr|agent|rs|key)_\.\.\.")
# A printed id or key of those kinds.
PRINTED = re.compile(r"(?<![\w-])(sk_live|sk_platform|shark_agent|shark_app|shark_rs|shark_dcr|app|usr|agent|rs|key)_[A-Za-z0-9_-]{6,}")
SECRET = re.compile(r'client secret:\s+([0-9a-f]{32,})|"client_secret":\s*"([^"]+)"')
ASSIGNMENT = re.compile(r"^(export\s+)?[A-Za-z_][A-Za-z0-9_]*=(\$\([^)]*\)|\S+)(\s+#.*)?$")


@dataclass
class Block:
    doc: str
    line: int  # of the opening fence
    commands: list
    stopped: bool = False
    setup: list = field(default_factory=list)
    prelude: list = field(default_factory=list)  # assignments of the file's earlier runnable blocks

    @property
    def id(self):
        return f"{self.doc}:{self.line}"


def logical_lines(lines):
    """Commands of a block: continuation lines joined, blank and comment-only lines dropped."""
    out, cur = [], ""
    for raw in lines:
        line = raw.rstrip()
        if cur:
            cur += "\n" + line
        else:
            cur = line
        if line.endswith("\\") or line.endswith("|"):
            continue
        if cur.strip() and not cur.lstrip().startswith("#"):
            out.append(cur.strip())
        cur = ""
    if cur.strip():
        out.append(cur.strip())
    return out


def runnable_blocks(path, text=None):
    lines = (text if text is not None else path.read_text()).splitlines()
    blocks, carried = [], []
    for i, line in enumerate(lines):
        m = MARK.match(line.strip())
        if not m:
            continue
        assert i + 1 < len(lines) and lines[i + 1].startswith("```"), f"{path.name}:{i + 1}: a runnable marker must precede a fence"
        body, j = [], i + 2
        while not lines[j].startswith("```"):
            body.append(lines[j])
            j += 1
        b = Block(path.name, i + 2, logical_lines(body), prelude=list(carried))
        for opt in filter(None, (o.strip() for o in (m.group(1) or "").split(";"))):
            if opt == "stopped":
                b.stopped = True
            elif opt.startswith("setup:"):
                b.setup.append(opt[len("setup:"):].strip())
            else:
                raise AssertionError(f"{b.id}: unknown runnable option {opt!r}")
        carried += [c for c in b.commands if ASSIGNMENT.match(code_of(c)) or re.match(r"^\w+=<ApiUrl[^>]*>$", code_of(c))]
        blocks.append(b)
    return blocks


def code_of(cmd):
    """cmd without its trailing comment (a # after whitespace, outside quotes)."""
    quote = None
    for i, ch in enumerate(cmd):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or cmd[i - 1].isspace()):
            return cmd[:i].rstrip()
    return cmd


class Runner:
    """Runs a block's commands as a reader would, against one stack."""

    def __init__(self, stack):
        self.stack = stack
        self.values = {"sk_live": stack.key("admin"), "sk_platform": stack.key("platform")}
        self.secret = None
        self.prelude = []
        self.env = dict(os.environ, SHARK_URL=stack.url, DATA=str(stack.data_dir),
                        PATH=f"{ROOT / 'bin'}{os.pathsep}{os.environ['PATH']}")
        for k in ("SHARK_ADMIN_KEY", "SHARK_PLATFORM_KEY", "SHARK_TENANT"):
            self.env.pop(k, None)

    def substitute(self, cmd):
        cmd = code_of(cmd)
        cmd = cmd.replace("http://localhost:8080", self.stack.url).replace("localhost:8080", self.stack.url.removeprefix("http://"))
        cmd = re.sub(r"<ApiUrl[^>]*>", self.stack.url, cmd)
        cmd = re.sub(r"(?<![\w/])\.data(?=/|\s|$)", str(self.stack.data_dir), cmd)

        def value(m):
            v = self.values.get(m.group(1))
            assert v, f"placeholder {m.group(0)} but no earlier command printed a {m.group(1)}_ value: {cmd}"
            return v
        cmd = PLACEHOLDER.sub(value, cmd)
        if "SHARK_CLIENT_SECRET=..." in cmd:
            assert self.secret, f"SHARK_CLIENT_SECRET=... but no earlier command printed a client secret: {cmd}"
            cmd = cmd.replace("SHARK_CLIENT_SECRET=...", f"SHARK_CLIENT_SECRET={self.secret}")
        return cmd

    def learn(self, out):
        for m in PRINTED.finditer(out):
            self.values[m.group(1)] = m.group(0)
        for m in SECRET.finditer(out):
            self.secret = m.group(1) or m.group(2)

    def script(self, cmd):
        return "set -eo pipefail\n" + "\n".join(self.prelude) + "\n" + cmd

    def run(self, original):
        if re.match(r"^go build -o bin/shark \./cmd/shark\s*(#.*)?$", original):
            return  # the suite built bin/shark from this checkout
        cmd = self.substitute(original)
        where = f"command {original!r} (run as {cmd!r})"
        if "until Ctrl-C" in original:
            p = subprocess.Popen(["bash", "-c", self.script(cmd)], cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            time.sleep(3)
            alive = p.poll() is None
            p.terminate()
            out = p.communicate(timeout=10)[0]
            assert alive, f"{where} stopped by itself (exit {p.returncode}): {out}"
            return
        if "asks on a terminal" in original:
            code, out = self.on_terminal(cmd)
        else:
            r = subprocess.run(["bash", "-c", self.script(cmd)], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)
            code, out = r.returncode, r.stdout + r.stderr
        assert code == 0, f"{where} exited {code}:\n{out}"
        assert not re.search(r'"error"\s*:', out), f"{where} answered an error:\n{out}"
        self.learn(out)
        if ASSIGNMENT.match(cmd):
            self.prelude.append(cmd)

    def on_terminal(self, cmd):
        """Runs cmd on a pseudo-terminal, answering y to its question."""
        master, slave = pty.openpty()
        p = subprocess.Popen(["bash", "-c", self.script(cmd)], cwd=ROOT, env=self.env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        out, answered, deadline = b"", False, time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                out += chunk
                if not answered and b"[y/N]" in out:
                    os.write(master, b"y\n")
                    answered = True
            elif p.poll() is not None:
                break
        code = p.wait(timeout=10)
        os.close(master)
        text = out.decode(errors="replace")
        assert answered, f"{cmd!r} asked nothing on a terminal:\n{text}"
        return code, text


def run_block(block, tmp_path):
    stack = Stack(tmp_path / "data").start()
    try:
        runner = Runner(stack)
        for cmd in block.prelude:
            runner.prelude.append(runner.substitute(cmd))
        for cmd in block.setup:
            runner.run(cmd)
        if block.stopped:
            stack.stop()
        for cmd in block.commands:
            runner.run(cmd)
    finally:
        stack.stop()


BLOCKS = [b for doc in DOCS for b in runnable_blocks(doc)]


def test_the_documents_mark_their_runnable_blocks():
    ids = {b.doc for b in BLOCKS}
    assert ids == {"README.md", "deploy.md"}, ids
    commands = "\n".join(c for b in BLOCKS for c in b.commands)
    for must in ("shark agent create --app app_...", "shark user revoke-agents usr_...", "/platform/v1/tenants",
                 "shark recover-key", "shark resource create", "/oauth/register", "shark tenant update"):
        assert must in commands, f"no runnable block runs {must!r}"


@pytest.mark.skipif(LAMBDA_MODE, reason="the documents' commands are engine-independent: run once, on the embedded engine")
@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_document_block(block, tmp_path):
    run_block(block, tmp_path)


@pytest.mark.skipif(LAMBDA_MODE, reason="a check of this runner, not of a storage engine")
def test_a_broken_command_fails(tmp_path):
    """The runner notices a command that breaks, an error answer and an unresolved placeholder."""
    doc = "\n".join([
        "<!-- runnable -->", "```sh", "shark app create --name ok   # -> app_...", "shark app get app_...", "```",
        "<!-- runnable -->", "```sh", "shark app frobnicate", "```",
        "<!-- runnable -->", "```sh", "curl -s localhost:8080/api/v1/agents", "```",
        "<!-- runnable -->", "```sh", "shark user get usr_...", "```",
    ])
    good, broken, error, unresolved = runnable_blocks(pathlib.Path("x.md"), doc)
    run_block(good, tmp_path / "good")
    with pytest.raises(AssertionError, match="exited"):
        run_block(broken, tmp_path / "broken")
    with pytest.raises(AssertionError, match="answered an error"):
        run_block(error, tmp_path / "error")
    with pytest.raises(AssertionError, match="no earlier command printed a usr_"):
        run_block(unresolved, tmp_path / "unresolved")

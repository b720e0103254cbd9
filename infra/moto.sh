#!/usr/bin/env bash
# moto.sh runs a command against a private moto server (the local AWS emulator,
# DESIGN §7): it starts .venv/bin/moto_server on 127.0.0.1 on a free port, waits
# until it answers, exports SHARK_TEST_AWS_ENDPOINT and dummy AWS credentials,
# runs the command, and always kills moto on exit, propagating the command's
# exit code.
#
# moto's server handles requests on concurrent threads, and its conditional
# writes are not atomic across them: two PutItems conditioned on one version
# can both succeed, and concurrent transactions are not isolated. DynamoDB
# applies each request atomically, so moto is started with one request at a
# time (werkzeug's threaded=False); our code relies on no more than that.
#
#   infra/moto.sh go test -race ./shared/store/dynamodb/
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: infra/moto.sh <command...>" >&2
	exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
moto="$root/.venv/bin/moto_server"
python="$root/.venv/bin/python"
if [[ ! -x "$moto" || ! -x "$python" ]]; then
	echo "moto.sh: $moto not found: create the virtualenv first (make deps)" >&2
	exit 1
fi

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
log="$(mktemp "${TMPDIR:-/tmp}/moto.XXXXXX.log")"
moto_pid=""

cleanup() {
	if [[ -n "$moto_pid" ]]; then
		kill -KILL "$moto_pid" 2>/dev/null || true
		wait "$moto_pid" 2>/dev/null || true
	fi
	rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$python" -c '
import sys, moto.server as server
run = server.run_simple
server.run_simple = lambda *a, **kw: run(*a, **{**kw, "threaded": False})
server.main(sys.argv[1:])
' -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!

endpoint="http://127.0.0.1:$port"
problem="did not answer on $endpoint within 20 s"
deadline=$((SECONDS + 20))
up=""
while ((SECONDS < deadline)); do
	if ! kill -0 "$moto_pid" 2>/dev/null; then
		problem="exited before answering on $endpoint"
		break
	fi
	if "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$endpoint/moto-api/" 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.1
done

if [[ -z "$up" ]]; then
	{
		echo "moto.sh: FATAL: moto_server $problem; its log:"
		cat "$log"
	} >&2
	exit 1
fi

export SHARK_TEST_AWS_ENDPOINT="$endpoint"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1

set +e
"$@"
status=$?
set -e
exit "$status"

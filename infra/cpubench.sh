#!/usr/bin/env bash
# cpubench.sh [SHARK CEILING REPS SECS PROFILE]: server CPU per DPoP token,
# the runner against the ceiling, back to back (issue 23, budget 2).
#
# A short form of infra/loadbench.sh for comparing two builds: the same
# servers (shark serve with a fresh embedded data dir, LOG_LEVEL=warn, local
# keys; the ceiling, cmd/shark's TestServeCeiling), the same generator
# (shark load -json) and the same measure (each server's utime+stime from
# /proc/PID/stat divided by the tokens answered), REPS times over CS
# connection counts (default "1 8"), SECS seconds a row. PROFILE: shark
# serve -cpuprofile. SERVE_GOGC sets GOGC for shark serve only. Run the
# builds to compare one after the other, e.g.
#   go build -o /tmp/a ./cmd/shark && ... && infra/cpubench.sh /tmp/a bin/ceiling.test 3 10
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shark=${1:-$root/bin/shark}; ceiling=${2:-$root/bin/ceiling.test}; reps=${3:-3}; secs=${4:-10}; prof=${5:-}
[[ -x "$ceiling" ]] || (cd "$root" && go test -c -o "$ceiling" ./cmd/shark/)
data="$(mktemp -d "${TMPDIR:-/tmp}/cpubench.XXXXXX")"
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port="$(freeport)"; cport="$(freeport)"; url="http://127.0.0.1:$port"
curl_ok() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
mkdir "$data/store"
pargs=(); [[ -n "$prof" ]] && pargs=(-cpuprofile "$prof")
GOGC=${SERVE_GOGC:-} LOG_LEVEL=warn "$shark" serve -addr "127.0.0.1:$port" -data "$data/store" "${pargs[@]}" >"$data/serve.log" 2>&1 &
pid=$!
SHARK_CEILING_ADDR="127.0.0.1:$cport" "$ceiling" >"$data/ceiling.log" 2>&1 &
cpid=$!
trap 'kill $pid $cpid 2>/dev/null; wait $pid $cpid 2>/dev/null; rm -rf "$data"' EXIT
curl_ok "$url/healthz"; curl_ok "http://127.0.0.1:$cport/"
key="$(cat "$data/store/admin.key.firstboot")"
agent="$(curl -sf -X POST "$url/api/v1/agents" -H "Authorization: Bearer $key" -d '{"name":"loadbench","scopes":["mcp:read"],"metadata":{"app_id":"bench"}}')"
id="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_id"])' "$agent")"
secret="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["client_secret"])' "$agent")"
csecret="ceiling-secret-0123456789abcdef0123456789abcdef"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
row() { local name=$1 spid=$2; shift 2; local t0 out
  t0=$(ticks "$spid"); out=$("$shark" load -json "$@" -d "${secs}s")
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); t=int(sys.argv[2]); hz=int(sys.argv[3]); print("%-18s %7.0f tok/s p99 %6.2f ms cpu %5.0f us/tok err %d" % (sys.argv[4], r["per_second"], r["p99_ms"], t/hz*1e6/max(r["ok"],1), r["requests"]-r["ok"]))' "$out" $(( $(ticks "$spid") - t0 )) $hz "$name"
}
tok() { echo -url "$1/oauth/token" -client-id "$2" -client-secret "$3" -scope mcp:read; }
"$shark" load $(tok "$url" "$id" "$secret") -dpop=true -c 8 -d 3s >/dev/null # warm-up
for r in $(seq "$reps"); do
  for c in ${CS:-1 8}; do
    row "ceiling c=$c" "$cpid" $(tok "http://127.0.0.1:$cport" ceiling "$csecret") -dpop=true -c "$c"
    row "runner c=$c" "$pid" $(tok "$url" "$id" "$secret") -dpop=true -c "$c"
  done
done
sleep 1; echo "runner RSS $(awk '/^Rss:/ {print int($2/1024)}' /proc/$pid/smaps_rollup) MB"; echo "load avg $(cut -d' ' -f1-3 /proc/loadavg)"

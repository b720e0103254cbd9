#!/usr/bin/env bash
# loadbench.sh: the token endpoint under load through the local runner (make
# bench). It starts `shark serve` on a free loopback port with a fresh data dir
# (embedded engine, local keys; or --store dynamodb on moto when
# SHARK_TEST_AWS_ENDPOINT is set and LOADBENCH_STORE=dynamodb), creates an
# agent through the admin API, and runs `shark load` at 1, 8 and 32
# connections with and without DPoP, then a soak (LOADBENCH_SOAK requests).
# Everything stays on 127.0.0.1, bounded by LOADBENCH_SECONDS per run and 25
# minutes for the soak (1,000,000 requests take about 15 at ~1,150 tokens/s).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shark="$root/bin/shark"
secs="${LOADBENCH_SECONDS:-10}"
store="${LOADBENCH_STORE:-embedded}"
data="$(mktemp -d "${TMPDIR:-/tmp}/loadbench.XXXXXX")"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
url="http://127.0.0.1:$port"
args=(serve -addr "127.0.0.1:$port" -data "$data")
if [[ "$store" == dynamodb ]]; then
	args+=(-store dynamodb -endpoint "$SHARK_TEST_AWS_ENDPOINT" -table "loadbench-$port" -keys envelope)
fi
LOG_LEVEL=warn "$shark" "${args[@]}" >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$url/healthz" >/dev/null || { cat "$data/serve.log"; exit 1; }
key="$(cat "$data/admin.key.firstboot")"
agent="$(curl -sf -X POST "$url/api/v1/agents" -H "Authorization: Bearer $key" \
	-d '{"name":"loadbench","scopes":["mcp:read"],"metadata":{"app_id":"bench"}}')"
id="$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(a["client_id"])' "$agent")"
secret="$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(a["client_secret"])' "$agent")"
# rss: the runner's resident set, from smaps_rollup (the counters in
# /proc/PID/status are per-CPU approximations that drift under this load),
# split into anonymous memory (the Go heap and stacks) and the rest (the
# binary and the data file's mapped pages, clean and shared with the page
# cache; the engine releases them every 200 ms). It is read at rest, 1 s after
# a load, so that it shows what the runner keeps, not the pages in flight.
rss() {
	sleep 1
	awk '/^Rss:/ {r=$2} /^Anonymous:/ {a=$2} END {printf "%d MB (anonymous %d MB, file-backed %d MB)\n", r/1024, a/1024, (r-a)/1024}' "/proc/$pid/smaps_rollup"
}
# peak: runs a command and prints the runner's greatest resident set sampled
# every second meanwhile. Reading smaps_rollup walks the page tables of the
# whole mapped file: cheap for the short runs, but over the soak's file of
# several GB it took half a core, so the soak reports RSS at rest only.
peak() {
	local out="$data/peak" p=0
	( m=0; while kill -0 "$pid" 2>/dev/null; do
		while read -r k v _; do [[ $k == Rss: ]] && ((v > m)) && m=$v && echo "$m" >"$out"; done <"/proc/$pid/smaps_rollup"
		sleep 1
	done ) &
	p=$!
	"$@"
	kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true
	echo "  peak runner RSS under this load: $(( $(cat "$out") / 1024 )) MB"
	rm -f "$out"
}
echo "== token endpoint through the local runner ($store engine$([[ $store == dynamodb ]] && echo ', bounded by the emulator'), $(nproc) cores, $(date -u +%F)) =="
echo "runner RSS at start: $(rss)"
"$shark" load -url "$url/healthz" -path /healthz -c 8 -d "${secs}s" | sed 's/^/GET \/healthz /'
for dpop in false true; do
	for c in 1 8 32; do
		peak "$shark" load -url "$url/oauth/token" -client-id "$id" -client-secret "$secret" -scope mcp:read \
			-dpop="$dpop" -c "$c" -d "${secs}s"
	done
done
echo "runner RSS after the runs: $(rss)"
# The soak: LOADBENCH_SOAK requests (default 1,000,000; 0 skips) of DPoP tokens
# at 8 connections, tokens/s every 60 s. The first tenth warms it up (the data
# file and the heap reach their working size, expired items start to be swept
# every minute); RSS is read at rest after it and after the rest of the soak,
# the same way, and must stay flat.
soak="${LOADBENCH_SOAK:-1000000}"
if [[ "$soak" != 0 ]]; then
	warm=$((soak / 10))
	echo "== soak: $soak DPoP token requests, 8 connections (the first $warm as warm-up) =="
	soak_load() {
		"$shark" load -url "$url/oauth/token" -client-id "$id" -client-secret "$secret" -scope mcp:read \
			-dpop=true -c 8 -n "$1" -d 25m -every 60s
	}
	soak_load "$warm"
	echo "runner RSS after the warm-up: $(rss)"
	soak_load $((soak - warm))
	echo "runner RSS after the soak: $(rss)"
	echo "data directory store: $(du -sm "$data/pebble" "$data/shark.db" 2>/dev/null | cut -f1 | paste -sd+ | bc) MB"
fi
n5=$(grep -c "\"status\":5" "$data/serve.log" || true); echo "5xx answers in the runner log: $n5"; [[ "$n5" == 0 ]] || grep -m3 -E "\"status\":5|\"level\":\"ERROR\"" "$data/serve.log"

#!/usr/bin/env bash
# loadbench.sh: the token endpoint under load through the local runner (make
# bench), read against this machine's ceiling measured in the same run.
#
# It starts two servers on free loopback ports: the ceiling (cmd/shark's
# TestServeCeiling, a bare net/http token endpoint that only parses the form,
# checks the secret, validates the DPoP proof and signs an ES256 token: no
# runner, no store, no audit) and `shark serve` with a fresh data dir
# (embedded engine, the default for a new dir, local keys; or --store dynamodb
# on moto when SHARK_TEST_AWS_ENDPOINT is set and LOADBENCH_STORE=dynamodb).
# Then, with the same `shark load` generator, it loads them back to back, one
# row each at 1, 8 (LOADBENCH_PAIRS times) and 32 connections with DPoP (and
# at 8 without), reading
# around every row each server's CPU (/proc/PID/stat utime+stime), the
# runner's bytes written (/proc/PID/io write_bytes), the data directory's size
# and the machine's load, and prints the table with the runner's ratios to the
# ceiling and the budgets of issue 23. Then a soak (LOADBENCH_SOAK requests).
# Everything stays on 127.0.0.1, bounded by LOADBENCH_SECONDS per row and 25
# minutes per soak part.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shark="$root/bin/shark"
ceiling="$root/bin/ceiling.test"
secs="${LOADBENCH_SECONDS:-10}"
store="${LOADBENCH_STORE:-embedded}"
[[ -x "$ceiling" ]] || (cd "$root" && go test -c -o "$ceiling" ./cmd/shark/)
data="$(mktemp -d "${TMPDIR:-/tmp}/loadbench.XXXXXX")"
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port="$(freeport)"
cport="$(freeport)"
url="http://127.0.0.1:$port"
curl_ok() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
args=(serve -addr "127.0.0.1:$port" -data "$data/store")
if [[ "$store" == dynamodb ]]; then
	args+=(-store dynamodb -endpoint "$SHARK_TEST_AWS_ENDPOINT" -table "loadbench-$port" -keys envelope)
fi
mkdir "$data/store"
LOG_LEVEL=warn "$shark" "${args[@]}" >"$data/serve.log" 2>&1 &
pid=$!
SHARK_CEILING_ADDR="127.0.0.1:$cport" "$ceiling" >"$data/ceiling.log" 2>&1 &
cpid=$!
trap 'kill $pid $cpid 2>/dev/null; wait $pid $cpid 2>/dev/null; rm -rf "$data"' EXIT
curl_ok "$url/healthz" || { cat "$data/serve.log"; exit 1; }
curl_ok "http://127.0.0.1:$cport/" || { cat "$data/ceiling.log"; exit 1; }
key="$(cat "$data/store/admin.key.firstboot")"
agent="$(curl -sf -X POST "$url/api/v1/agents" -H "Authorization: Bearer $key" \
	-d '{"name":"loadbench","scopes":["mcp:read"],"metadata":{"app_id":"bench"}}')"
id="$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(a["client_id"])' "$agent")"
secret="$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(a["client_secret"])' "$agent")"
csecret="ceiling-secret-0123456789abcdef0123456789abcdef" # ceilingSecret in cmd/shark/ceiling_test.go

# rss: the runner's resident set, from smaps_rollup (the counters in
# /proc/PID/status are per-CPU approximations that drift under this load),
# split into anonymous memory (the Go heap and stacks) and the rest (the
# binary and mapped files). It is read at rest, 1 s after a load, so that it
# shows what the runner keeps, not the pages in flight. rss_kb prints Rss alone.
rss_kb() { awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup"; }
rss() {
	sleep 1
	awk '/^Rss:/ {r=$2} /^Anonymous:/ {a=$2} END {printf "%d MB (anonymous %d MB, file-backed %d MB)\n", r/1024, a/1024, (r-a)/1024}' "/proc/$pid/smaps_rollup"
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime+stime, clock ticks
wbytes() { awk '/^write_bytes:/ {print $2}' "/proc/$1/io"; }
dirbytes() { du -sb "$data/store" | cut -f1; }
busy() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; } # all cores, ticks
# switches PID: the context switches of the server's threads so far. Waiting
# for an fsync parks threads and wakes them (each switch costs CPU, more so
# in a VM), so this column shows what durability costs beside the fsyncs.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# row NAME PID LOAD-ARGS...: one `shark load -json` run against the server PID,
# with what was read around it appended as one line of $data/rows.
row() {
	local name=$1 spid=$2; shift 2
	local t0 w0 d0 b0 l0 s0 out gen
	l0=$(loadavg); t0=$(ticks "$spid"); w0=$(wbytes "$spid"); d0=$(dirbytes); b0=$(busy); s0=$(switches "$spid")
	out=$( (
		"$shark" load -json "$@" -d "${secs}s"
		times # its second line: the generator's user and system time (this subshell's children)
	))
	gen=$(echo "$out" | tail -1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(echo "$out" | head -1)" \
		$(($(ticks "$spid") - t0)) $(($(wbytes "$spid") - w0)) $(($(dirbytes) - d0)) \
		$(($(busy) - b0)) "$l0" "$(loadavg)" "$gen" $(($(switches "$spid") - s0)) >>"$data/rows"
}
tok() { echo -url "$1/oauth/token" -client-id "$2" -client-secret "$3" -scope mcp:read; }

echo "== token endpoint through the local runner against this machine's ceiling ($store engine$([[ $store == dynamodb ]] && echo ', bounded by the emulator'); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%F %H:%M UTC')) =="
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on these cores make every row slower; the ratios are read within this run)"
echo "runner RSS at start: $(rss)"
"$shark" load -url "$url/healthz" -path /healthz -c 8 -d "${secs}s" | sed 's/^/GET \/healthz /'
# The comparative part, back to back: at each connection count the ceiling,
# then the runner, so both rows see the same machine.
# The budgets' pair (DPoP, 8 connections) runs LOADBENCH_PAIRS times (default
# 3), alternated, and the budgets read the median pair: one pair moves by a
# few percent from run to run on this VM, in both directions.
pairs="${LOADBENCH_PAIRS:-3}"
for c in 1 8 32; do
	n=1; [[ $c == 8 ]] && n=$pairs
	for i in $(seq "$n"); do
		tag=""; ((i > 1)) && tag=" ($i)"
		row "ceiling dpop c=$c$tag" "$cpid" $(tok "http://127.0.0.1:$cport" ceiling "$csecret") -dpop=true -c "$c"
		row "runner dpop c=$c$tag" "$pid" $(tok "$url" "$id" "$secret") -dpop=true -c "$c"
	done
done
row "ceiling bearer c=8" "$cpid" $(tok "http://127.0.0.1:$cport" ceiling "$csecret") -dpop=false -c 8
row "runner bearer c=8" "$pid" $(tok "$url" "$id" "$secret") -dpop=false -c 8
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$data/rows" "$(getconf CLK_TCK)" "$(nproc)" "$store" <<'EOF'
import json, sys
rows, hz, ncpu, store = {}, int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for line in open(sys.argv[1]):
    name, res, ticks, wb, db, busy, l0, l1, gen, sw = line.rstrip("\n").split("\t")
    r = json.loads(res)
    u, s = (float(x.split("m")[0]) * 60 + float(x.split("m")[1].rstrip("s")) for x in gen.split())
    r.update(name=name, cpu_us=int(ticks) / hz * 1e6 / max(r["ok"], 1), wb=int(wb) / max(r["ok"], 1),
             db=int(db) / max(r["ok"], 1), busy=int(busy) / hz / r["seconds"] / ncpu * 100,
             gen_us=(u + s) * 1e6 / max(r["ok"], 1), load=f"{l0}-{l1}", sw=int(sw) / max(r["ok"], 1))
    # what the machine did besides the server and the generator, in cores
    r["others"] = max(0.0, int(busy) / hz - int(ticks) / hz - (u + s)) / r["seconds"]
    rows[name] = r
print()
print("| row | tokens/s | p50 ms | p99 ms | errors | server CPU us/token | server switches/token | generator CPU us/token | written B/token | data dir B/token | machine busy | other jobs (cores) | load avg |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows.values():
    ceil = r["name"].startswith("ceiling")
    emb = store == "embedded" and not ceil
    wb, db = (f"{r['wb']:,.0f}", f"{r['db']:,.0f}") if emb else ("-", "-")  # the runner's data dir only
    print(f"| {r['name']} | {r['per_second']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['requests'] - r['ok']} | {r['cpu_us']:,.0f} | {r['sw']:.1f} | {r['gen_us']:,.0f} | "
          f"{wb} | {db} | {r['busy']:.0f}% | {r['others']:.2f} | {r['load']} |")
print()
print("| runner / ceiling, same run | tokens/s | p99 | server CPU per token |")
print("|---|---:|---:|---:|")
ratio = {}
kinds = [n.removeprefix("runner ") for n in rows if n.startswith("runner ")]
for kind in kinds:
    a, b = rows[f"runner {kind}"], rows[f"ceiling {kind}"]
    ratio[kind] = (a["per_second"] / b["per_second"], a["p99_ms"] / b["p99_ms"], a["cpu_us"] / b["cpu_us"])
    print(f"| {kind} | {ratio[kind][0]:.1%} | {ratio[kind][1]:.2f}x | {ratio[kind][2]:.2f}x |")
# The budgets' pair: each measure's median over the repeated pairs.
c8 = [ratio[k] for k in kinds if k == "dpop c=8" or k.startswith("dpop c=8 (")]
med = lambda xs: sorted(xs)[len(xs) // 2]
ratio["dpop c=8"] = tuple(med([r[m] for r in c8]) for m in range(3))
span = lambda m, f: f"median of {len(c8)} pairs; {f(min(r[m] for r in c8))}-{f(max(r[m] for r in c8))}" if len(c8) > 1 else "1 pair"
if len(c8) > 1:
    print(f"| dpop c=8, median of {len(c8)} pairs | {ratio['dpop c=8'][0]:.1%} | {ratio['dpop c=8'][1]:.2f}x | {ratio['dpop c=8'][2]:.2f}x |")
print()
if store != "embedded":
    print("budgets (issue 23) are for the embedded engine; this store is bounded by the emulator")
    sys.exit(0)
def budget(what, ok): print(f"  {'holds' if ok else 'MISSED'}: {what}")
print("budgets (issue 23):")
budget(f"DPoP 8 connections >= 60% of the ceiling's tokens/s ({ratio['dpop c=8'][0]:.1%}, {span(0, '{:.1%}'.format)})", ratio["dpop c=8"][0] >= 0.6)
budget(f"DPoP 8 connections p99 <= 2.5x the ceiling's ({ratio['dpop c=8'][1]:.2f}x, {span(1, '{:.2f}x'.format)})", ratio["dpop c=8"][1] <= 2.5)
budget(f"DPoP 1 connection >= 40% of the ceiling's ({ratio['dpop c=1'][0]:.1%})", ratio["dpop c=1"][0] >= 0.4)
budget(f"server CPU per DPoP token at 8 connections <= 2x the ceiling server's ({ratio['dpop c=8'][2]:.2f}x, {span(2, '{:.2f}x'.format)})", ratio["dpop c=8"][2] <= 2)
EOF
echo "runner RSS after the runs: $(rss)"
# The soak: LOADBENCH_SOAK requests (default 1,000,000; 0 skips) of DPoP tokens
# at 8 connections, tokens/s every 60 s. The first tenth warms it up (the store
# and the heap reach their working size, expired items start to be swept every
# minute); RSS is read at rest after it and after the rest of the soak, the
# same way, and must stay within 1.2x. What expires, and when, per token: the
# DPoP proof's replay mark (minutes, swept every minute), the token record
# (the token's lifetime), the audit event with its index entries (the tenant's
# audit retention, 90 days by default): within a soak the store keeps the
# records and audit events of every token, and the disk budget counts them.
soak="${LOADBENCH_SOAK:-1000000}"
if [[ "$soak" != 0 ]]; then
	warm=$((soak / 10))
	echo "== soak: $soak DPoP token requests, 8 connections (the first $warm as warm-up) =="
	soak_load() {
		"$shark" load -url "$url/oauth/token" -client-id "$id" -client-secret "$secret" -scope mcp:read \
			-dpop=true -c 8 -n "$1" -d 25m -every 60s
	}
	d0=$(dirbytes) w0=$(wbytes "$pid") t0=$(ticks "$pid")
	soak_load "$warm"
	echo "runner RSS after the warm-up: $(rss)"
	r1=$(rss_kb)
	soak_load $((soak - warm))
	echo "runner RSS after the soak: $(rss)"
	r2=$(rss_kb)
	d1=$(dirbytes)
	python3 - "$soak" "$d0" "$d1" "$(($(wbytes "$pid") - w0))" "$(($(ticks "$pid") - t0))" "$(getconf CLK_TCK)" "$r1" "$r2" "$store" <<'EOF'
import sys
n, d0, d1, wb, ticks, hz, r1, r2 = (int(x) for x in sys.argv[1:9])
store = sys.argv[9]
if store == "embedded":
    print(f"data directory after the soak: {d1 / 1e6:,.0f} MB ({(d1 - d0) / n:,.0f} B per soak token;"
          f" {(d1 - d0) / n * 1e6 / 1e9:.2f} GB per 1,000,000 tokens{' (extrapolated)' if n != 1_000_000 else ''}; budget 1.5 GB)")
    print(f"written by the runner during the soak: {wb / n:,.0f} B per token; server CPU {ticks / hz * 1e6 / n:,.0f} us per token")
print(f"RSS at rest after the soak / after the warm-up: {r2 / 1024:.0f} / {r1 / 1024:.0f} MB = {r2 / r1:.2f}x ({'holds' if r2 <= 1.2 * r1 else 'MISSED'}: budget 1.2x)")
EOF
fi
n5=$(grep -c "\"status\":5" "$data/serve.log" || true); echo "5xx answers in the runner log: $n5"; [[ "$n5" == 0 ]] || grep -m3 -E "\"status\":5|\"level\":\"ERROR\"" "$data/serve.log"

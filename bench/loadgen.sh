#!/usr/bin/env bash
# bench/loadgen.sh: load generators side by side against one trivial
# loopback server (bench/loopserver) pinned to core 0, each generator pinned
# to core 1 in turn, at the same number of connections: wrk, hey, loadtest,
# and k6 and vegeta when they are installed. Prints, side by side in one
# run, requests per second, CPU seconds per 100,000 requests (user + system,
# from GNU time) and peak RSS; then loadtest's peak RSS holding 5,000
# sleeping VUs (each made one request and keeps its connection open while it
# sleeps) and 50,000 (each made one request answered with Connection: close,
# so that they fit in the loopback's ephemeral ports).
#
#   bench/loadgen.sh [SECONDS] [CONNECTIONS] [SLEEPING_VUS] [MANY_SLEEPING_VUS]
#   (defaults: 10, 50, 5000, 50000)
#
# Needs wrk, hey and GNU time (Debian: apt-get install -y wrk hey time) and
# two cores. Everything runs on loopback and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
sleepers=${3:-5000}
many=${4:-50000}
port=${BENCH_PORT:-16490}
url="http://127.0.0.1:$port"

for tool in wrk hey taskset /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench/loadgen.sh: $tool is missing (Debian: apt-get install -y wrk hey time util-linux)" >&2; exit 2; }
done
if [ "$(nproc)" -lt 2 ]; then
	echo "bench/loadgen.sh: needs two cores (server on core 0, generator on core 1)" >&2
	exit 2
fi
# 50,000 VUs each dial once; the server holds each until it has answered.
# Each of the 50,000 closes its connection after one request, so the hard limit suffices when the
# wanted one is refused.
ulimit -n "$((many + 10000))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/loopserver" ./bench/loopserver
go build -o "$work/loadtest" ./cmd/loadtest
taskset -c 0 "$work/loopserver" -addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

# measure NAME CMD...: runs CMD on core 1 under GNU time; keeps its output,
# its peak RSS in kilobytes and its user + system CPU seconds.
measure() {
	local name=$1
	shift
	/usr/bin/time -f '%M %U %S' -o "$work/$name.time" taskset -c 1 "$@" >"$work/$name.out" 2>"$work/$name.err" || {
		echo "bench/loadgen.sh: $name failed:" >&2
		cat "$work/$name.err" >&2
		exit 1
	}
}
mb() { awk '{printf "%.1f", $1 / 1024}' "$work/$1.time"; }
# cpu100k NAME REQUESTS: CPU seconds per 100,000 requests.
cpu100k() { awk -v n="$2" '{ if (n > 0) printf "%.2f", ($2 + $3) * 100000 / n; else print "-" }' "$work/$1.time"; }

echo "load generators on core 1, server on core 0, $conns connections, ${secs}s each"
rows=()
measure wrk wrk -t1 -c"$conns" -d"${secs}s" "$url/"
n=$(awk '/ requests in / {print $1}' "$work/wrk.out")
rows+=("wrk -t1 -c$conns|$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.out")|$(cpu100k wrk "$n")|$(mb wrk)")

measure hey hey -z "${secs}s" -c "$conns" "$url/"
n=$(awk '/responses/ {gsub(/[^0-9]/, "", $2); s += $2} END {print s + 0}' "$work/hey.out")
rows+=("hey -c $conns|$(awk '/Requests\/sec:/ {printf "%.0f", $2}' "$work/hey.out")|$(cpu100k hey "$n")|$(mb hey)")

measure loadtest "$work/loadtest" run throughput --endpoint "$url" --vus "$conns" --duration "${secs}s" --path / --quiet
n=$(awk '/http_reqs\.+:/ {print $2}' "$work/loadtest.out")
rows+=("loadtest throughput --vus $conns|$(awk '/http_reqs\.+:/ {sub("/s", "", $3); printf "%.0f", $3}' "$work/loadtest.out")|$(cpu100k loadtest "$n")|$(mb loadtest)")

if command -v k6 >/dev/null; then
	cat >"$work/k6.js" <<EOF
import http from 'k6/http';
export default function () { http.get('$url/'); }
EOF
	measure k6 k6 run --quiet --vus "$conns" --duration "${secs}s" --summary-trend-stats avg "$work/k6.js"
	n=$(awk '/http_reqs\.+:/ {print $2}' "$work/k6.out")
	rows+=("k6 --vus $conns|$(awk -v n="$n" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')|$(cpu100k k6 "$n")|$(mb k6)")
else
	echo "k6 is not installed: left out"
fi
if command -v vegeta >/dev/null; then
	echo "GET $url/" >"$work/vegeta.targets"
	measure vegeta sh -c "vegeta attack -targets '$work/vegeta.targets' -rate 0 -max-workers $conns -workers $conns -duration ${secs}s | vegeta report -type json"
	n=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' "$work/vegeta.out")
	rows+=("vegeta -max-workers $conns|$(sed -n 's/.*"throughput":\([0-9.]*\).*/\1/p' "$work/vegeta.out" | awk '{printf "%.0f", $1}')|$(cpu100k vegeta "$n")|$(mb vegeta)")
else
	echo "vegeta is not installed: left out"
fi

measure sleepers "$work/loadtest" run sleepers --endpoint "$url" --vus "$sleepers" --duration 20s --path / --quiet
measure many "$work/loadtest" run sleepers --endpoint "$url" --vus "$many" --duration 20s --path /close --quiet

printf '\n%-36s %12s %18s %14s\n' "generator (pinned to core 1)" "requests/s" "CPU s / 100k req" "peak RSS (MB)"
for r in "${rows[@]}"; do
	IFS='|' read -r name rate cpu rss <<<"$r"
	printf '%-36s %12s %18s %14s\n' "$name" "$rate" "$cpu" "$rss"
done
printf '\nloadtest failed requests: %s\n' "$(awk '/http_req_failed\.+:/ {print $2}' "$work/loadtest.out")"
printf 'loadtest holding %s sleeping VUs (%s requests, connections kept open): peak RSS %s MB\n' \
	"$sleepers" "$(awk '/http_reqs\.+:/ {print $2}' "$work/sleepers.out")" "$(mb sleepers)"
printf 'loadtest holding %s sleeping VUs (%s requests, each connection closed by the server): peak RSS %s MB\n' \
	"$many" "$(awk '/http_reqs\.+:/ {print $2}' "$work/many.out")" "$(mb many)"

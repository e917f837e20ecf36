#!/usr/bin/env bash
# bench/loadgen.sh: load generators side by side against one trivial
# loopback server (bench/loopserver) pinned to core 0, each generator pinned
# to core 1 in turn, at the same number of connections: wrk, hey and
# loadtest. Prints requests per second and peak RSS (/usr/bin/time) side by
# side, then the peak RSS of loadtest holding 5,000 sleeping VUs (each made
# one request and keeps its connection open while it sleeps).
#
#   bench/loadgen.sh [SECONDS] [CONNECTIONS] [SLEEPING_VUS]   (defaults: 10, 50, 5000)
#
# Needs wrk, hey and GNU time (Debian: apt-get install -y wrk hey time) and
# two cores. Everything runs on loopback and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
sleepers=${3:-5000}
port=${BENCH_PORT:-16490}
url="http://127.0.0.1:$port"

for tool in wrk hey taskset /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench/loadgen.sh: $tool is missing (Debian: apt-get install -y wrk hey time util-linux)" >&2; exit 2; }
done
if [ "$(nproc)" -lt 2 ]; then
	echo "bench/loadgen.sh: needs two cores (server on core 0, generator on core 1)" >&2
	exit 2
fi

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

# measure NAME CMD...: runs CMD on core 1 under GNU time; keeps its output
# and its peak RSS in kilobytes.
measure() {
	local name=$1
	shift
	/usr/bin/time -f %M -o "$work/$name.rss" taskset -c 1 "$@" >"$work/$name.out" 2>"$work/$name.err" || {
		echo "bench/loadgen.sh: $name failed:" >&2
		cat "$work/$name.err" >&2
		exit 1
	}
}

echo "load generators on core 1, server on core 0, $conns connections, ${secs}s each"
measure wrk wrk -t1 -c"$conns" -d"${secs}s" "$url/"
measure hey hey -z "${secs}s" -c "$conns" "$url/"
measure loadtest "$work/loadtest" run throughput --endpoint "$url" --vus "$conns" --duration "${secs}s" --path / --quiet
measure sleepers "$work/loadtest" run sleepers --endpoint "$url" --vus "$sleepers" --duration 20s --path / --quiet

rate_wrk=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.out")
rate_hey=$(awk '/Requests\/sec:/ {printf "%.0f", $2}' "$work/hey.out")
rate_lt=$(awk '/http_reqs\.+:/ {sub("/s", "", $3); printf "%.0f", $3}' "$work/loadtest.out")
failed_lt=$(awk '/http_req_failed\.+:/ {print $2}' "$work/loadtest.out")
reqs_sleepers=$(awk '/http_reqs\.+:/ {print $2}' "$work/sleepers.out")
mb() { awk '{printf "%.1f", $1 / 1024}' "$work/$1.rss"; }

printf '\n%-34s %12s %14s\n' "generator (pinned to core 1)" "requests/s" "peak RSS (MB)"
printf '%-34s %12s %14s\n' "wrk -t1 -c$conns" "$rate_wrk" "$(mb wrk)"
printf '%-34s %12s %14s\n' "hey -c $conns" "$rate_hey" "$(mb hey)"
printf '%-34s %12s %14s\n' "loadtest throughput --vus $conns" "$rate_lt" "$(mb loadtest)"
printf '\nloadtest failed requests: %s\n' "$failed_lt"
printf 'loadtest holding %s sleeping VUs (%s requests, connections kept open): peak RSS %s MB\n' \
	"$sleepers" "$reqs_sleepers" "$(mb sleepers)"

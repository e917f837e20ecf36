#!/usr/bin/env bash
# bench/soak.sh: a soak. Drives the API on loopback for a bounded time with a
# mix of the bundled scenarios (website users logging in and browsing, the
# planners-and-studiers practical compressed, smoke checks, and a paced
# GET loop), and reports the server's RSS, goroutines, open file descriptors
# and /metrics size at the start and the end, with a sample every 30 s in
# between: a leak shows as a column that keeps growing.
#
#   SOAK=5m bench/soak.sh        (default 5m; such as SOAK=30s for a quick one)
#
# Postgres and Redis are started from local binaries (serve -backing-dir).
# Linux only (reads /proc). Everything stops by itself at the deadline.
# SOAK_KEEP=1 keeps the server's log and the load reports in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
soak=${SOAK:-5m}
port=${SOAK_PORT:-16490}
base="http://127.0.0.1:$port"

case "$soak" in
*h) secs=$(( ${soak%h} * 3600 )) ;;
*m) secs=$(( ${soak%m} * 60 )) ;;
*s) secs=${soak%s} ;;
*) secs=$soak ;;
esac
[[ "$secs" =~ ^[0-9]+$ && "$secs" -ge 10 ]] || { echo "bench/soak.sh: SOAK=$soak: want a duration of at least 10s, such as 30s or 5m" >&2; exit 2; }
[ -d /proc/self/fd ] || { echo "bench/soak.sh: needs /proc (Linux)" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"
server=
jobs_started=()
cleanup() {
	for j in "${jobs_started[@]}"; do kill "$j" 2>/dev/null || true; done
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	if [ -n "${SOAK_KEEP:-}" ]; then echo "soak: files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

go build -o "$work/taskoverflow" ./cmd/taskoverflow
go build -o "$work/loadtest" ./cmd/loadtest
# The defaults, but for one: the smoke scenario tries a wrong password on
# every run, all from 127.0.0.1, which LOGIN_FAILURES_PER_ADDR would turn
# into 429s after 100 runs (about 8 minutes).
ADDR=127.0.0.1:$port LOG_FORMAT=json LOG_LEVEL=warn LOGIN_FAILURES_PER_ADDR=1000000 \
	"$work/taskoverflow" serve -backing-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 150); do
	curl -fs "$base/api/v1/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fs "$base/api/v1/ready" >/dev/null || { echo "the server did not start:" >&2; tail "$work/server.log" >&2; exit 1; }

# sample prints: seconds RSS_kB goroutines fds metrics_bytes
t0=$(date +%s)
sample() {
	local rss fds gor size
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status")
	fds=$(ls "/proc/$server/fd" | wc -l)
	curl -fs "$base/metrics" >"$work/metrics.txt"
	size=$(wc -c <"$work/metrics.txt")
	gor=$(awk '$1 == "go_goroutines" {print $2}' "$work/metrics.txt")
	printf '%6d %10d %10s %6d %12d\n' "$(( $(date +%s) - t0 ))" "$rss" "$gor" "$fds" "$size"
}

lt() { "$work/loadtest" run "$@" --endpoint "$base" --quiet --no-thresholds --timeout 10s; }

# Warm-up: one smoke and a short burst, so the start figures hold the
# pools and caches a running server has.
lt smoke >"$work/warmup.txt" 2>&1 || true
lt throughput --vus 4 --duration 5s --path /api/v1/todos/1 >>"$work/warmup.txt" 2>&1 || true
sleep 2
echo "soak: $soak on $base (server pid $server); the machine may be shared"
printf '%6s %10s %10s %6s %12s\n' "t(s)" "RSS(kB)" "goroutines" "fds" "metrics(B)"
start=$(sample)
echo "$start"

deadline=$(( $(date +%s) + secs ))
left() { echo $(( deadline - $(date +%s) )); }
# Website users for the whole soak (each registers and logs in once).
lt website --vus 20 --duration "$(( secs > 15 ? secs - 5 : secs ))s" >"$work/website.txt" 2>&1 &
jobs_started+=($!)
# The practical, compressed to about 20 s a run, again and again.
( while [ "$(left)" -gt 25 ]; do lt planners-and-studiers --time-scale 0.05 --vus-scale 0.02 >>"$work/practical.txt" 2>&1 || true; done ) &
jobs_started+=($!)
# Smoke every few seconds: every endpoint, bodies checked.
( while [ "$(left)" -gt 5 ]; do lt smoke >>"$work/smoke.txt" 2>&1 || echo "smoke failed" >>"$work/smoke-failures.txt"; sleep 3; done ) &
jobs_started+=($!)
# A paced GET loop: short bursts of 4 VUs, then a pause.
( while [ "$(left)" -gt 10 ]; do lt throughput --vus 4 --duration 5s --path /api/v1/todos >>"$work/throughput.txt" 2>&1 || true; sleep 5; done ) &
jobs_started+=($!)

next=30
while [ "$(left)" -gt 0 ]; do
	sleep 1
	if [ "$(( $(date +%s) - t0 ))" -ge "$next" ]; then
		sample
		next=$(( next + 30 ))
	fi
done
for j in "${jobs_started[@]}"; do wait "$j" 2>/dev/null || true; done
jobs_started=()
sleep 2
end=$(sample)
echo "$end"

echo
echo "== load (requests and failures per scenario)"
for f in website practical throughput; do
	[ -f "$work/$f.txt" ] || continue
	reqs=$(awk '/^ *http_reqs\./ {n += $2} END {print n + 0}' "$work/$f.txt")
	failed=$(awk '/^ *http_req_failed\./ {for (i = 1; i <= NF; i++) if ($i == "✓") n += $(i+1)} END {print n + 0}' "$work/$f.txt")
	printf '%-12s %8d requests %6d failed\n' "$f" "$reqs" "$failed"
done
echo "smoke runs: $(grep -c 'checks\.' "$work/smoke.txt" 2>/dev/null || echo 0), failed: $(cat "$work/smoke-failures.txt" 2>/dev/null | wc -l)"
echo "server log, errors and warnings by message:"
grep -h -o -E '"level":"(ERROR|WARN)","msg":"[^"]*"' "$work/server.log" | sort | uniq -c | sort -rn | head -8 || true
echo
read -r _ rss0 gor0 fd0 m0 <<<"$start"
read -r _ rss1 gor1 fd1 m1 <<<"$end"
printf '%-12s %12s %12s %12s\n' "" start end change
printf '%-12s %12s %12s %11s%%\n' "RSS (kB)" "$rss0" "$rss1" "$(( (rss1 - rss0) * 100 / rss0 ))"
printf '%-12s %12s %12s %12s\n' goroutines "$gor0" "$gor1" "$(( gor1 - gor0 ))"
printf '%-12s %12s %12s %12s\n' "open fds" "$fd0" "$fd1" "$(( fd1 - fd0 ))"
printf '%-12s %12s %12s %12s\n' "/metrics (B)" "$m0" "$m1" "$(( m1 - m0 ))"

#!/usr/bin/env bash
# screenshot-report.sh REPORT.html [OUT.png]
#
# Opens a loadtest HTML report in headless Chromium (Debian's chromium
# package) and saves a screenshot, to see that its charts render. With no
# report given, it makes one: a short throughput run against a loopback
# server built from bench/loopserver.
set -euo pipefail

cd "$(dirname "$0")/.."
report=${1:-}
out=${2:-report.png}
chrome=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$chrome" ]]; then
	echo "screenshot-report: chromium not found (apt-get install -y chromium)" >&2
	exit 2
fi

work=$(mktemp -d)
cleanup() {
	[[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "$report" ]]; then
	go build -o "$work/loopserver" ./bench/loopserver
	go build -o "$work/loadtest" ./cmd/loadtest
	"$work/loopserver" -addr 127.0.0.1:18098 >/dev/null &
	server_pid=$!
	sleep 0.5
	"$work/loadtest" run throughput --endpoint http://127.0.0.1:18098 --vus 10 --duration 5s \
		--quiet --html "$work/report.html" >/dev/null
	report="$work/report.html"
fi

"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$work/profile" --hide-scrollbars --window-size=1280,1100 \
	--screenshot="$(realpath -m "$out")" "file://$(realpath "$report")" 2>"$work/chromium.log" || {
	cat "$work/chromium.log" >&2
	exit 1
}
echo "screenshot of $report written to $out"

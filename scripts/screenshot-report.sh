#!/usr/bin/env bash
# screenshot-report.sh REPORT.html [OUT.png]
#
# Opens an HTML report (loadtest's or a lab case's) in headless Chromium
# (Debian's chromium package) and saves a screenshot of the whole page, to
# see that its charts render. The page is measured first (its scrollHeight
# at 1280 px wide, after its scripts ran), then shot at that height. With no
# report given, it makes one: a short throughput run against a loopback
# server built from bench/loopserver.
set -euo pipefail

# Paths are the caller's, resolved before moving to the repository's root.
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
report=${1:+$(abs "$1")}
out=$(abs "${2:-report.png}")
cd "$(dirname "$0")/.."
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
if [[ ! -f "$report" ]]; then
	echo "screenshot: no report at $report" >&2
	exit 2
fi

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	--disable-background-networking --disable-component-update --disable-sync
	--user-data-dir="$work/profile" --hide-scrollbars --virtual-time-budget=5000)

# Measure: a copy of the page writes its height into the DOM once loaded,
# and --dump-dom prints it.
cp "$report" "$work/measure.html"
cat >>"$work/measure.html" <<'JS'
<script>addEventListener("load", () => setTimeout(() => {
  const h = Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
  document.documentElement.setAttribute("data-page-height", String(h));
}, 0));</script>
JS
height=$("$chrome" "${flags[@]}" --window-size=1280,800 --dump-dom "file://$work/measure.html" 2>"$work/chromium.log" |
	grep -o 'data-page-height="[0-9]*"' | grep -o '[0-9][0-9]*' | head -n 1 || true)
if [[ -z "$height" ]]; then
	cat "$work/chromium.log" >&2
	echo "screenshot: could not measure the page's height" >&2
	exit 1
fi
# Chromium cannot draw taller than 16384 px.
((height > 16384)) && height=16384

"$chrome" "${flags[@]}" --window-size=1280,"$height" \
	--screenshot="$out" "file://$report" 2>"$work/chromium.log" || {
	cat "$work/chromium.log" >&2
	exit 1
}
echo "screenshot of $report (1280x$height, the whole page) written to $out"

#!/usr/bin/env bash
# screenshot-lab.sh [REPORT.html] [OUT.png]
#
# Opens a lab case's report.html in headless Chromium (Debian's chromium
# package) and saves a full-page screenshot, to see that both runs' charts
# render. With no report given, it runs the quick max-connections case and
# shoots its report.
set -euo pipefail

cd "$(dirname "$0")/.."
report=${1:-}
out=${2:-lab-report.png}
chrome=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$chrome" ]]; then
	echo "screenshot-lab: chromium not found (apt-get install -y chromium)" >&2
	exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -z "$report" ]]; then
	go run ./cmd/lab run --quick --quiet --out "$work/results" max-connections >/dev/null
	report=$(ls "$work"/results/*/max-connections/report.html)
fi
if [[ ! -f "$report" ]]; then
	echo "screenshot-lab: no report at $report" >&2
	exit 2
fi

"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$work/profile" --hide-scrollbars --window-size=1280,2200 \
	--screenshot="$(realpath -m "$out")" "file://$(realpath "$report")" 2>"$work/chromium.log" || {
	cat "$work/chromium.log" >&2
	exit 1
}
echo "screenshot of $report written to $out"

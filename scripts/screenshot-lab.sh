#!/usr/bin/env bash
# screenshot-lab.sh [REPORT.html] [OUT.png]
#
# Opens a lab case's report.html in headless Chromium (Debian's chromium
# package) and saves a screenshot of the whole page (screenshot-report.sh
# measures and shoots it), to see that both runs' charts render. With no
# report given, it runs the quick max-connections case and shoots its report.
set -euo pipefail

# Paths are the caller's, resolved before moving to the repository's root.
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
report=${1:+$(abs "$1")}
out=$(abs "${2:-lab-report.png}")
cd "$(dirname "$0")/.."
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

scripts/screenshot-report.sh "$report" "$out"

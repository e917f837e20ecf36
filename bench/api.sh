#!/usr/bin/env bash
# bench/api.sh: GET /api/v1/todos/{id} through the whole API, driven by wrk,
# against the same SELECT driven by pgbench straight at the same Postgres.
# Prints both rates and the ratio API/pgbench: what HTTP, JSON, the middleware
# chain and the pool cost on top of the query.
#
#   bench/api.sh [SECONDS] [CONNECTIONS]     (defaults: 10 s, 50 connections)
#
# Needs wrk and pgbench (Debian: apt-get install -y wrk postgresql-client).
# Everything runs on loopback and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
port=${BENCH_PORT:-16480}

for tool in wrk pgbench; do
	command -v "$tool" >/dev/null || { echo "bench/api.sh: $tool is missing (Debian: apt-get install -y ${tool/pgbench/postgresql-client})" >&2; exit 2; }
done

work=$(mktemp -d)
chmod 755 "$work"
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/taskoverflow" ./cmd/taskoverflow
ADDR=127.0.0.1:$port LOG_FORMAT=json LOG_LEVEL=info DB_MAX_CONNS=20 MAX_INFLIGHT=1024 \
	"$work/taskoverflow" serve -backing-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$port/api/v1/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fs "http://127.0.0.1:$port/api/v1/ready" >/dev/null || { echo "the server did not start:" >&2; tail "$work/server.log" >&2; exit 1; }
db=$(grep -o '"database":"[^"]*"' "$work/server.log" | head -1 | cut -d'"' -f4 || true)
[ -n "$db" ] || { echo "bench/api.sh: the server did not log its database URL" >&2; exit 1; }
id=$(curl -fs "http://127.0.0.1:$port/api/v1/todos" -d '{"title":"CSSE6400 Cloud Assignment","deadline_at":"2023-12-04T14:00:00"}' | grep -o '"id":[0-9]*' | cut -d: -f2)

echo "== wrk: GET /api/v1/todos/$id, $conns connections, ${secs}s"
api=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/api/v1/todos/$id" | tee "$work/wrk.txt" | awk '/Requests\/sec/ {print $2}')
cat "$work/wrk.txt"

cat >"$work/get.sql" <<SQL
SELECT id, title, description, completed, deadline_at, created_at, updated_at FROM todos WHERE id = $id;
SQL
clients=$(( conns < 20 ? conns : 20 )) # the API's pool holds 20 connections
echo "== pgbench: the same SELECT, $clients clients, ${secs}s"
pg=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$secs" -f "$work/get.sql" "$db" 2>&1 | tee "$work/pgbench.txt" | awk '/^tps/ {print $3}')
grep -E '^(latency|tps)' "$work/pgbench.txt"

echo
printf '%-28s %12s\n' "" "requests/s"
printf '%-28s %12.0f\n' "API GET /todos/{id} (wrk)" "$api"
printf '%-28s %12.0f\n' "SELECT by id (pgbench)" "$pg"
printf '%-28s %12.2f\n' "ratio API/pgbench" "$(echo "$api / $pg" | bc -l)"

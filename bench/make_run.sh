#!/usr/bin/env bash
# Time `make run` on a fresh clone: from the command to /healthz answering 200.
#   bench/make_run.sh            (clones this repository's HEAD into a temporary folder)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port_busy() { (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; }
if port_busy; then echo "port 8000 is busy; stop the running GridGov first" >&2; exit 1; fi
git clone -q "$repo" "$work/gridgov"
cd "$work/gridgov"
start=$(date +%s.%N)
setsid make run >"$work/make-run.log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null || true; sleep 2; rm -rf "$work"' EXIT
for _ in $(seq 900); do
  if curl -fsS http://127.0.0.1:8000/healthz >/dev/null 2>&1; then
    end=$(date +%s.%N)
    printf 'make run on a fresh clone: serving after %.1f s\n' "$(echo "$end - $start" | bc)"
    grep -A8 "Demo logins" "$work/make-run.log" || true
    exit 0
  fi
  sleep 0.5
done
echo "not serving after 450 s; log:" >&2; tail -40 "$work/make-run.log" >&2; exit 1

#!/bin/sh
# agent.sh - the lab benchmarks (root only: the lab runs in namespaces).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "bench/agent.sh: skipped (the lab needs root)"
    exit 0
fi
exec "$top/t/lab/run" --domains 400 perl "$top/bench/bench-agent.pl"

#!/usr/bin/env bash
# What one request costs each server: user and system CPU time and context
# switches per request, under the side-by-side harness's publish and GET /
# loads. The README's "Performance" section quotes its output.
#
#   benches/cpu_per_request.sh [SERVER ...]     (default: herald floor axum)
#
# Needs a release build of herald and the harness's binaries
# (`../shared/bench/setup.sh` builds them); `perf` for the switch counts.
# CPU times come from /proc/PID/stat (in 1/100 s), which includes threads
# that have ended; `perf stat -p` counts the switches of the server's threads.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$HERE/../shared/bench/target/release}
SECONDS_EACH=${SECONDS_EACH:-4}

start() { # NAME PORT: starts the server in the background
    local binary
    case $1 in
        herald) binary=$HERE/target/release/herald ;;
        floor) binary=$HARNESS/raw-fanout ;;
        axum) binary=$HARNESS/axum-sse-peer ;;
        *) echo "unknown server $1" >&2; return 1 ;;
    esac
    "$binary" --addr "127.0.0.1:$2" >/dev/null 2>&1 &
    SERVER=$! # the server itself, not a subshell: its /proc entry is read
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$2/" && return 0
        sleep 0.1
    done
    echo "$1 did not start" >&2
    return 1
}

cpu_ticks() { # user+system ticks of PID, as "USER SYSTEM"
    awk '{ sub(/.*\) /, ""); print $12, $13 }' "/proc/$1/stat"
}

measure() { # NAME LOAD: runs LOAD (a function printing the request count)
    local name=$1 load=$2 before after count switches=- perf_out perf_pid=
    perf_out=$(mktemp)
    before=$(cpu_ticks "$SERVER")
    if command -v perf >/dev/null; then
        perf stat -x, -e context-switches -p "$SERVER" -o "$perf_out" -- \
            sleep $((SECONDS_EACH + 1)) &
        perf_pid=$!
        sleep 0.3 # attached before the load's connections arrive
    fi
    count=$($load)
    [ -n "$perf_pid" ] && wait "$perf_pid"
    after=$(cpu_ticks "$SERVER")
    [ -s "$perf_out" ] && switches=$(grep context-switches "$perf_out" | cut -d, -f1)
    rm -f "$perf_out"
    python3 - "$name" "$count" "$before" "$after" "$switches" "$SECONDS_EACH" <<'EOF'
import sys
name, count, before, after, switches, seconds = sys.argv[1:]
count = int(count)
(u0, s0), (u1, s1) = (map(int, x.split()) for x in (before, after))
per = lambda ticks: ticks * 10_000 / count
sw = "-" if switches == "-" else "%.2f" % (int(switches) / count)
print("%-22s %8.0f req/s  user %4.1f us  system %4.1f us  switches %s"
      % (name, count / int(seconds), per(u1 - u0), per(s1 - s0), sw))
EOF
}

publish_load() {
    "$HARNESS/sse-loadgen" publish --base "http://127.0.0.1:$PORT" \
        --connections 32 --duration-s "$SECONDS_EACH" | grep -o '"requests":[0-9]*' | cut -d: -f2
}

page_load() {
    wrk -t2 -c64 -d"${SECONDS_EACH}s" "http://127.0.0.1:$PORT/" | awk '/requests in/ { print $1 }'
}

SERVERS=("$@")
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(herald floor axum)
for name in "${SERVERS[@]}"; do
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    start "$name" "$PORT" || continue
    measure "$name publish" publish_load
    measure "$name GET /" page_load
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null
done

#!/usr/bin/env bash
# herald against the floor at 10,000 subscribers, in interleaved runs.
#
#   benches/fanout_vs_floor.sh [RUNS]          # 5 runs of 10,000 x 50 at 10/s
#   CLIENTS=1000 MESSAGES=200 INTERVAL_US=20000 benches/fanout_vs_floor.sh
#   BEFORE_BIN=/tmp/old/herald benches/fanout_vs_floor.sh   # a second herald too
#
# Each run starts every server fresh on a free port (the order alternates
# from run to run), posts two throwaway messages as ../shared/bench/run.sh
# does, and runs the side-by-side harness's load generator against it:
# `sse-loadgen fanout --clients N --messages M --interval-us U`. It prints
# each run's p50 and p99 (ms) and how long a pass over the subscribers took
# (herald: its time per delivery from /metrics times the subscribers, and
# how many laps over the list the events took; the floor: its publish
# round trip, since it answers after its pass), herald's p99 ratio to the
# floor, then the medians. The floor is ../shared/bench/limit
# (`raw-fanout`): one thread writing each socket once per event, the least
# a server can do. Build the harness first: ../shared/bench/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-5}
CLIENTS=${CLIENTS:-10000}
MESSAGES=${MESSAGES:-50}
INTERVAL_US=${INTERVAL_US:-100000}
BENCH=${BENCH:-../shared/bench}
HERALD_BIN=${HERALD_BIN:-target/release/herald}
for dir in "$BENCH/target" /tmp/sse-bench/target; do
    [ -x "$dir/release/sse-loadgen" ] && TARGET=$dir && break
done
[ -n "${TARGET:-}" ] || {
    echo "build the harness first: $BENCH/setup.sh" >&2
    exit 1
}
[ -x "$HERALD_BIN" ] || cargo build --release -q
servers=(herald floor)
[ -n "${BEFORE_BIN:-}" ] && servers+=(before)

work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() { # start NAME PORT: sets server_pid, waits until GET / answers
    case $1 in
        herald) "$HERALD_BIN" --addr "127.0.0.1:$2" --quiet 2>"$work/$1.log" & ;;
        before) "$BEFORE_BIN" --addr "127.0.0.1:$2" --quiet 2>"$work/$1.log" & ;;
        floor) "$TARGET/release/raw-fanout" --addr "127.0.0.1:$2" 2>"$work/$1.log" & ;;
    esac
    server_pid=$!
    for _ in $(seq 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$2/" && return 0
        sleep 0.05
    done
    echo "$1 did not start: $(cat "$work/$1.log")" >&2
    exit 1
}

stop() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# measure NAME RUN: one fresh server, one load; appends "p50 p99 lost" to a file.
measure() {
    local port
    port=$(free_port)
    start "$1" "$port"
    for _ in 1 2; do curl -s -o /dev/null -d message=warm-up "http://127.0.0.1:$port/publish"; done
    "$TARGET/release/sse-loadgen" fanout --base "http://127.0.0.1:$port" \
        --clients "$CLIENTS" --messages "$MESSAGES" --interval-us "$INTERVAL_US" \
        >"$work/$1.json" 2>"$work/$1.loadgen.log"
    curl -s "http://127.0.0.1:$port/metrics" >"$work/$1.metrics" || true
    stop
    python3 - "$work/$1.json" "$work/$1.metrics" >>"$work/$1.runs" <<'EOF'
import json, re, sys
r = json.load(open(sys.argv[1]))
lost = r["lost"] if r["connected"] == r["clients"] else f'{r["lost"]}({r["connected"]}conn)'
# How long one pass over the subscribers took. herald's /metrics gives its
# time per delivery (a lap after events joined writes only the listeners
# passed before, so the mean lap is not one pass); the floor answers a
# publish after its pass, so its publish round trip is its pass.
sums = dict(re.findall(r"^(herald_hub_(?:round_seconds_sum|round_seconds_count|deliveries_total)) (\S+)$",
                       open(sys.argv[2]).read(), re.M))
if sums:
    per_delivery = float(sums["herald_hub_round_seconds_sum"]) / max(float(sums["herald_hub_deliveries_total"]), 1)
    laps = int(sums["herald_hub_round_seconds_count"])
    pass_ms = f'{1000 * per_delivery * r["clients"]:.1f}/{laps}laps'
else:
    pass_ms = f'{r["publish_rtt_p50_ms"]:.1f}'
print(f'{r["p50_ms"]} {r["p99_ms"]} {lost} {pass_ms}')
EOF
}

echo "fan-out: $CLIENTS subscribers x $MESSAGES messages every $((INTERVAL_US / 1000)) ms, $RUNS interleaved runs"
for run in $(seq "$RUNS"); do
    order=("${servers[@]}")
    ((run % 2 == 0)) && order=($(printf '%s\n' "${servers[@]}" | tac))
    for name in "${order[@]}"; do measure "$name" "$run"; done
    line="run $run:"
    for name in "${servers[@]}"; do
        read -r p50 p99 lost pass < <(tail -1 "$work/$name.runs")
        line+=$(printf '  %s p50 %6.1f p99 %6.1f lost %s pass %s' "$name" "$p50" "$p99" "$lost" "$pass")
    done
    read -r _ h99 _ _ < <(tail -1 "$work/herald.runs")
    read -r _ f99 _ _ < <(tail -1 "$work/floor.runs")
    echo "$line  | herald/floor p99 $(python3 -c "print(f'{$h99 / $f99:.2f}')")"
done

python3 - "$work" "${servers[@]}" <<'EOF'
import statistics, sys
work, names = sys.argv[1], sys.argv[2:]
runs = {n: [l.split() for l in open(f"{work}/{n}.runs")] for n in names}
med = lambda n, i: statistics.median(float(r[i]) for r in runs[n])
for n in names:
    print(f"median {n}: p50 {med(n, 0):.1f} ms, p99 {med(n, 1):.1f} ms")
p99_ratios = [float(h[1]) / float(f[1]) for h, f in zip(runs["herald"], runs["floor"])]
print(f"herald/floor: median p50 {med('herald', 0) / med('floor', 0):.2f}, "
      f"p99 per run {' '.join(f'{r:.2f}' for r in p99_ratios)} (worst {max(p99_ratios):.2f})")
EOF

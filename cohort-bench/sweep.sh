#!/usr/bin/env bash
# Runs the benchmark sweep of docs/benchmarks.md: for each repeat, each scenario and each client count, one
# closed-loop run against a fresh child coordinator; then the open-loop runs listed in RATES. Every run's full output
# is kept in OUT/, and its RESULT line (plus the load average before it) is appended to OUT/results.txt.
#
#   cohort-bench/sweep.sh [OUT]                       # defaults below
#   CLIENTS="64 256" REPEATS=3 cohort-bench/sweep.sh   # override any of them
#   RATES="saga-empty:9000 saga-http:2500" CLIENTS= cohort-bench/sweep.sh   # open loop only
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-target/bench-$(date +%Y%m%d-%H%M%S)}
SCENARIOS=${SCENARIOS-"saga-empty saga-http"}
CLIENTS=${CLIENTS-"16 64 128 256"}
RATES=${RATES-}
REPEATS=${REPEATS:-2}
WARMUP=${WARMUP:-20s}
DURATION=${DURATION:-30s}
SERVER_JAR=${SERVER_JAR:-cohort-server/target/cohort-server.jar}
SERVER_JVM_OPTS=${SERVER_JVM_OPTS:-"-Xms1g -Xmx1g -XX:+AlwaysPreTouch"}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
BENCH_JAR=cohort-bench/target/cohort-bench.jar
EXTRA=${EXTRA:-}

mkdir -p "$OUT"
echo "results in $OUT/results.txt"

run() { # name, bench args...
  local name=$1; shift
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  "$JAVA" -jar "$BENCH_JAR" --start-server "$SERVER_JAR" --server-jvm-opts "$SERVER_JVM_OPTS" --count-syncs \
    --warmup "$WARMUP" --duration "$DURATION" $EXTRA "$@" > "$OUT/$name.log" 2>&1 || true
  local result; result=$(grep '^RESULT' "$OUT/$name.log" || echo "RESULT missing (see $name.log)")
  echo "$result load_before=$load run=$name" | tee -a "$OUT/results.txt"
}

for r in $(seq 1 "$REPEATS"); do
  for s in $SCENARIOS; do
    for c in $CLIENTS; do
      run "$s-c$c-r$r" --scenario "$s" --clients "$c"
    done
  done
  for sr in $RATES; do
    s=${sr%%:*}; rate=${sr##*:}
    run "$s-rate$rate-r$r" --scenario "$s" --rate "$rate"
  done
done

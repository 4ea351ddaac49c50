#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/README.md) for SECONDS each (default 60), after `make fuzz` built
# them into .build-fuzz. Seeds come from fixtures/; the growing corpus stays in .build-fuzz/corpus;
# crashes, timeouts and out-of-memory inputs go to fuzz/findings/<target>/ (commit them and add them
# to the replayed corpus, see fuzz/README.md). Prints one summary line per target.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
BIN="$(NNKIT_FUZZ=1 ${SWIFT:-swift} build --build-path .build-fuzz -Xswiftc -sanitize=fuzzer,address --show-bin-path)"
export SWIFT_BACKTRACE=enable=no          # a crash must end the process at once (libFuzzer records it)
mkdir -p .build-fuzz/tmp; export TMPDIR="$PWD/.build-fuzz/tmp"   # the archive target's scratch file and extractions
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"  # the Swift runtime's caches read as leaks
seed() {  # target -> seed files
  case "$1" in
    FuzzNNF) ls fixtures/golden/*.nnf fixtures/corrupt/hostile/*.nnf ;;
    FuzzCSV) ls fixtures/data/*.csv ;;
    FuzzKerasConfig) ls fixtures/keras/*/*config*.json fixtures/corrupt/hostile/*.json ;;
    FuzzKerasArchive) ls fixtures/keras/*/*.keras fixtures/corrupt/keras/*.keras ;;
    FuzzONNX) find fixtures/onnx fixtures/corrupt/onnx -name '*.onnx' ;;
  esac
}
for t in FuzzNNF FuzzCSV FuzzKerasConfig FuzzKerasArchive FuzzONNX; do
  corpus=".build-fuzz/corpus/$t"; findings="fuzz/findings/$t"
  mkdir -p "$corpus" "$findings"
  seed "$t" | while read -r f; do cp -f "$f" "$corpus/"; done
  log=".build-fuzz/$t.log"
  set +e
  "$BIN/$t" "$corpus" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
  status=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  found=$(ls "$findings" | wc -l)
  echo "$t: status $status, $runs executions in ${SECONDS_EACH} s, $found finding(s) in $findings"
  rmdir "$findings" 2>/dev/null || true
done

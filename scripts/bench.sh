#!/usr/bin/env bash
# `make bench`: nnrun's in-process prediction throughput (nnrun bench) next to Keras 3 on the same
# models and batch sizes, as ratios. Argument: the folder holding the built nnrun.
# Numbers depend on the machine and its load; nothing here is asserted.
set -euo pipefail
BIN="$1"
cd "$(dirname "$0")/.."
OUT=out/bench
mkdir -p "$OUT"
ROWS=${BENCH_ROWS:-20000}
BATCHES=(1 32 1024)
PY="$(bash fixtures/venv.sh)/bin/python"

echo "bench: Keras 3 (model.predict and direct model(x) calls), $ROWS rows per case..." >&2
"$PY" bench/keras_bench.py "$OUT" "$ROWS" "${BATCHES[@]}" > "$OUT/keras.jsonl"

echo "bench: nnrun bench (1 thread)..." >&2
: > "$OUT/nnrun.jsonl"
for model in mlp xor; do
    "$BIN/nnconv" "$OUT/$model.keras" "$OUT/$model.nnf" >/dev/null 2>&1 || true
    src="$OUT/$model.keras"; [ -s "$OUT/$model.nnf" ] && src="$OUT/$model.nnf"
    for b in "${BATCHES[@]}"; do
        rows=$(( ROWS > b ? ROWS : b ))
        "$BIN/nnrun" bench "$src" --batch-size "$b" --rows "$rows" --threads 1 \
            | "$PY" -c "import json,sys; d=json.load(sys.stdin); d['model']='$model'; print(json.dumps(d))" >> "$OUT/nnrun.jsonl"
    done
done

"$PY" - "$OUT" <<'PYEOF'
import json, sys, os
out = sys.argv[1]
keras = {}
for line in open(os.path.join(out, "keras.jsonl")):
    d = json.loads(line); keras[(d["model"], d["batch_size"], d["method"])] = d["rows_per_second"]
print(f"{'model':<6} {'batch':>6} {'nnrun rows/s':>14} {'p50 batch ms':>13} {'keras predict':>14} {'ratio':>7} {'keras model(x)':>15} {'ratio':>7}")
for line in open(os.path.join(out, "nnrun.jsonl")):
    d = json.loads(line)
    m, b, r = d["model"], d["batch_size"], d["rows_per_second"]
    kp, kc = keras.get((m, b, "predict")), keras.get((m, b, "call"))
    print(f"{m:<6} {b:>6} {r:>14,.0f} {d['batch_latency_ms']['p50']:>13.4f} {kp:>14,.0f} {r / kp:>6.1f}x {kc:>15,.0f} {r / kc:>6.1f}x")
print("\nratio = nnrun rows/s divided by Keras rows/s on the same model and batch size (higher: nnrun faster).")
print("onnxruntime: not compared (no pinned ONNX exporter in the fixtures venv).")
PYEOF

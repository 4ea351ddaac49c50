#!/usr/bin/env bash
# `make bench`: nnrun's prediction and training speed next to what a Python user would run on the
# same models and data (Keras 3 predict and direct model(x) calls, Keras fit, a hand-written numpy
# forward pass, onnxruntime), as ratios. Argument: the folder holding the built nnrun and nnconv.
#
# Each case runs for about BENCH_SECONDS (default 1) seconds after a warm-up, in three parts of
# which the fastest counts (the least disturbed by other work); the whole run takes about a minute. Numbers depend on the machine and on what else runs on it (the load average is
# printed before and after); nothing here is asserted. Set NNKIT_THREADS=1 to keep nnrun on one core.
set -euo pipefail
BIN="$1"
cd "$(dirname "$0")/.."
OUT=out/bench
rm -rf "$OUT"
mkdir -p "$OUT"
BATCHES=(1 32 1024 16384)
SECONDS_PER_CASE=${BENCH_SECONDS:-1}
export BENCH_SECONDS=$SECONDS_PER_CASE
PY="$(bash fixtures/venv.sh)/bin/python"
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

echo "bench: Python side (Keras 3 predict, model(x), numpy, onnxruntime, fit), ~${SECONDS_PER_CASE}s per case..." >&2
"$PY" bench/keras_bench.py "$OUT" "${BATCHES[@]}" > "$OUT/python.jsonl" 2> "$OUT/python.log" \
    || { cat "$OUT/python.log" >&2; exit 1; }

# nnrun bench prints one JSON object; add the model name and the thread setting.
bench_json() {  # model threads batch rows
    NNKIT_THREADS=$2 "$BIN/nnrun" bench "$OUT/$1.nnf" --batch-size "$3" --rows "$4" \
        | "$PY" -c "import json,sys; d=json.load(sys.stdin); d['model']='$1'; d['nnkit_threads']='$2'; print(json.dumps(d))"
}

echo "bench: nnrun bench (in process; default threads and NNKIT_THREADS=1)..." >&2
: > "$OUT/nnrun.jsonl"
for model in mlp xor; do
    "$BIN/nnconv" convert "$OUT/$model.keras" "$OUT/$model.nnf" >/dev/null
    for b in "${BATCHES[@]}"; do
        for threads in default 1; do
            t=$([ "$threads" = default ] && echo "" || echo "$threads")
            # Calibrate on 20 batches, then run for about BENCH_SECONDS.
            rate=$(bench_json "$model" "$t" "$b" $((20 * b)) | "$PY" -c "import json,sys; print(json.load(sys.stdin)['rows_per_second'])")
            # Then three runs of about BENCH_SECONDS/3; the fastest counts (least disturbed).
            rows=$("$PY" -c "print(max(20 * $b, int($rate * $SECONDS_PER_CASE / 3) // $b * $b))")
            for _ in 1 2 3; do bench_json "$model" "$t" "$b" "$rows"; done \
                | "$PY" -c "import json,sys; runs=[json.loads(l) for l in sys.stdin]; d=max(runs, key=lambda r: r['rows_per_second']); d['nnkit_threads']=d['nnkit_threads'] or 'default'; print(json.dumps(d))" >> "$OUT/nnrun.jsonl"
        done
    done
done

echo "bench: nnrun train (train.csv, 10,000 rows, batch 32, Adam, sparse categorical cross-entropy)..." >&2
train_seconds() {  # epochs -> wall seconds of a whole nnrun train run
    cp "$OUT/mlp.nnf" "$OUT/train-model.nnf"
    "$PY" - "$BIN/nnrun" "$OUT" "$1" <<'PYEOF'
import subprocess, sys, time
nnrun, out, epochs = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
subprocess.run([nnrun, "train", f"{out}/train-model.nnf", f"{out}/train.csv", "--target", "y", "--epochs", epochs,
                "--batch-size", "32", "--optimizer", "adam", "--learning-rate", "0.001",
                "--loss", "sparse_categorical_crossentropy", "-q"], check=True)
print(time.perf_counter() - t)
PYEOF
}
# Each run twice; the faster counts.
one=$("$PY" -c "print(min($(train_seconds 1), $(train_seconds 1)))")
more=$("$PY" -c "print(min($(train_seconds 6), $(train_seconds 6)))")
# The difference of a 6-epoch and a 1-epoch run: 5 epochs of training without process start,
# CSV parsing and the final save (which both runs pay once).
echo "{\"model\": \"mlp\", \"method\": \"train\", \"one_epoch_run_s\": $one, \"six_epoch_run_s\": $more}" >> "$OUT/nnrun.jsonl"

"$PY" - "$OUT" "$load_before" <<'PYEOF' | tee "$OUT/table.txt"
import json, os, sys
out, load_before = sys.argv[1], sys.argv[2]
py = {}
fit = None
for line in open(os.path.join(out, "python.jsonl")):
    d = json.loads(line)
    if d["method"] == "fit":
        fit = d
    else:
        py[(d["model"], d["batch_size"], d["method"])] = d["rows_per_second"]
nn, nn1, train, machine = {}, {}, None, None
for line in open(os.path.join(out, "nnrun.jsonl")):
    d = json.loads(line)
    machine = machine or (d if "blas_kernel" in d else None)
    if d.get("method") == "train":
        train = d
        continue
    (nn if d["nnkit_threads"] == "default" else nn1)[(d["model"], d["batch_size"])] = d

def k(v):
    return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.1f}k"

def ratio(a, b):
    return f"{a / b:.1f}x" if b else "-"

methods = [("predict", "Keras predict"), ("call", "Keras model(x)"), ("numpy", "numpy"), ("onnxruntime", "onnxruntime")]
head = f"{'model':<5} {'batch':>6} {'nnrun':>9} {'p50 us':>8} {'1 thread':>9}"
for _, label in methods:
    head += f" {label:>15} {'ratio':>7}"
print("Prediction, rows per second, best of three runs each (ratio = nnrun / other; > 1: nnrun faster)")
print(head)
for (m, b), d in sorted(nn.items(), key=lambda kv: (kv[0][0] != "mlp", kv[0][1])):
    r = d["rows_per_second"]
    line = f"{m:<5} {b:>6} {k(r):>9} {d['batch_latency_ms']['p50'] * 1000:>8.1f} {k(nn1[(m, b)]['rows_per_second']):>9}"
    for key, _ in methods:
        v = py.get((m, b, key))
        line += f" {k(v) if v else '-':>15} {ratio(r, v) if v else '-':>7}"
    print(line)
print("nnrun: `nnrun bench` in process, one caller, the network's default threads (all cores); "
      "p50 us: median time of one batch; '1 thread': NNKIT_THREADS=1.")
print("onnxruntime: a graph built from the same weights (MatMul/Add/activation), default session options.")
if train and fit:
    epochs_s = 5 / (train["six_epoch_run_s"] - train["one_epoch_run_s"])
    whole = 6 / train["six_epoch_run_s"]
    print()
    print("Training, 64-256-256-10 on 10,000 rows, batch 32, Adam, sparse categorical cross-entropy")
    print(f"  nnrun train: {epochs_s:.2f} epochs/s (5-epoch difference of two runs); whole 6-epoch run incl. "
          f"start, CSV and save: {whole:.2f} epochs/s")
    print(f"  Keras fit:   {fit['epochs_per_second']:.2f} epochs/s (faster of two 1-epoch fits after a warm-up epoch)")
    print(f"  ratio: {epochs_s / fit['epochs_per_second']:.1f}x (whole run: {whole / fit['epochs_per_second']:.1f}x)")
try:
    load_after = " ".join(open("/proc/loadavg").read().split()[:3])
except OSError:
    load_after = "?"
print()
print(f"cores: {os.cpu_count()}; load average before {load_before}, after {load_after} "
      f"(a load near the core count means other work shared the machine: rerun at a quiet moment)")
if machine:
    print(f"CPU: {machine['cpu']}; OpenBLAS kernel set: {machine['blas_kernel']} (chosen by {machine['blas_kernel_source']})")
env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "NNKIT", "OMP"))}
print("environment: " + (", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "no OPENBLAS_*/NNKIT_*/OMP_* variables"))
PYEOF

# Issue 10's workloads (P1, T1, T2, CSV, L1) next to their anchors, written to bench/RESULTS.md
# together with the table above.
echo "bench: workloads P1, T1, T2, CSV, L1: Python anchors (onnxruntime, Keras predict/fit, numpy.loadtxt)..." >&2
"$PY" bench/workloads_bench.py "$OUT" > "$OUT/workloads-anchors.jsonl" 2> "$OUT/workloads.log" \
    || { cat "$OUT/workloads.log" >&2; exit 1; }
echo "bench: workloads: nnrun side (best of three each)..." >&2
"$PY" bench/run_workloads.py "$BIN" "$OUT" "$OUT/workloads-anchors.jsonl" bench/RESULTS.md "$OUT/table.txt"
echo "bench: wrote bench/RESULTS.md" >&2

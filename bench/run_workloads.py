"""nnrun side of `make bench` for issue 10's workloads (P1, T1, T2, CSV, L1), next to the anchors that
bench/workloads_bench.py measured, written to bench/RESULTS.md.

Usage: python bench/run_workloads.py BIN OUT_DIR ANCHORS.jsonl RESULTS.md [EXTRA.txt]

BIN holds the built nnrun and nnconv; OUT_DIR the files workloads_bench.py wrote. Every figure is
the best of three runs (the least disturbed by other work); the load average is recorded before and
after each case, because on a shared machine it moves the numbers more than anything else.
EXTRA.txt (optional): the older prediction/training table of scripts/bench.sh, appended verbatim.
"""
import json
import os
import platform
import subprocess
import sys
import time

bin_dir, out, anchors_path, results_path = sys.argv[1:5]
extra = sys.argv[5] if len(sys.argv) > 5 else None
nnrun = os.path.join(bin_dir, "nnrun")
nnconv = os.path.join(bin_dir, "nnconv")
anchors = [json.loads(line) for line in open(anchors_path)]


def load():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def run(args, env=None, stdout=subprocess.DEVNULL):
    """Runs a command; returns (wall seconds, peak resident memory in MB)."""
    e = dict(os.environ)
    e.update(env or {})
    t = time.perf_counter()
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE, env=e)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(args)} failed ({p.returncode}): {err}")
    return wall, usage.ru_maxrss / 1024


def best_of(n, fn):
    return min(fn() for _ in range(n))


def bench_json(model, batch, rows, threads=None):
    env = {"NNKIT_THREADS": str(threads)} if threads else {}
    best = None
    for _ in range(3):
        e = dict(os.environ)
        e.update(env)
        d = json.loads(subprocess.run([nnrun, "bench", model, "--batch-size", str(batch), "--rows", str(rows)],
                                      check=True, capture_output=True, text=True, env=e).stdout)
        if best is None or d["rows_per_second"] > best["rows_per_second"]:
            best = d
    return best


def anchor(case, name, **match):
    for a in anchors:
        if a["case"] == case and a["anchor"] == name and all(a.get(k) == v for k, v in match.items()):
            return a
    return None


rows = []  # (case, what, nnrun figure, anchor figure, ratio, goal, load)
notes = []

# P1 ------------------------------------------------------------------------------------------
p1 = os.path.join(out, "p1.nnf")
subprocess.run([nnconv, "convert", os.path.join(out, "p1.keras"), p1, "--force"], check=True, capture_output=True)
machine = None
for batch, n in ((1, 3000), (32, 20_000), (1024, 20_480)):
    before = load()
    two = bench_json(p1, batch, n)
    one = bench_json(p1, batch, n, threads=1)
    machine = machine or two
    ort = anchor("P1", "onnxruntime", batch_size=batch)
    r2 = two["rows_per_second"]
    ratio = r2 / ort["rows_per_second"] if ort else None
    load_s = f"{before} → {load()}"
    rows.append(("P1", f"batch {batch}, default threads ({two['threads']})", f"{r2 / 1e3:.1f}k rows/s",
                 f"onnxruntime {ort['rows_per_second'] / 1e3:.1f}k" if ort else "-",
                 f"{ratio:.2f}×" if ratio else "-", "≥ 1.2× onnxruntime" if batch == 1024 else "no regression", load_s))
    rows.append(("P1", f"batch {batch}, 1 thread", f"{one['rows_per_second'] / 1e3:.1f}k rows/s", "-",
                 f"2 threads ÷ 1 = {r2 / one['rows_per_second']:.2f}×", "≥ 1.8×" if batch == 1024 else "", load_s))
kp = anchor("P1", "keras_predict", batch_size=1024)
if kp:
    rows.append(("P1", "Keras predict, batch 1024", "-", f"{kp['rows_per_second'] / 1e3:.1f}k rows/s", "", "", ""))

# T1, T2 --------------------------------------------------------------------------------------
def train_case(case, model, csv, targets, epochs, batch, goal):
    before = load()
    dst = os.path.join(out, f"{case.lower()}-out.nnf")

    def once():
        if os.path.exists(dst):
            os.remove(dst)
        return run([nnrun, "train", model, csv, "--target", targets, "--epochs", str(epochs),
                    "--batch-size", str(batch), "-o", dst, "-q"])[0]
    s = best_of(3, once)
    fit = anchor(case, "keras_fit")
    ratio = fit["seconds"] / s if fit else None
    rows.append((case, f"whole `nnrun train` ({epochs} epoch(s), batch {batch}, from .keras)", f"{s:.2f} s",
                 f"Keras fit {fit['seconds']:.2f} s" if fit else "-", f"{ratio:.1f}×" if ratio else "-", goal,
                 f"{before} → {load()}"))


train_case("T1", os.path.join(out, "t1.keras"), os.path.join(out, "t1.csv"), "y", 2, 32, "≥ 15×")
train_case("T2", os.path.join(out, "t2.keras"), os.path.join(out, "t2.csv"), ",".join(f"c{i}" for i in range(10)), 1, 128, "≥ 3×")

# CSV -----------------------------------------------------------------------------------------
csv_nnf = os.path.join(out, "csv.nnf")
subprocess.run([nnconv, "convert", os.path.join(out, "csv.keras"), csv_nnf, "--force"], check=True, capture_output=True)
csv_path = os.path.join(out, "csv.csv")
size = os.path.getsize(csv_path)
for threads in (None, 1):
    before = load()
    env = {"NNKIT_THREADS": str(threads)} if threads else {}
    s = best_of(3, lambda: run([nnrun, "predict", csv_nnf, csv_path], env=env)[0])
    loadtxt = anchor("CSV", "numpy_loadtxt")
    rows.append(("CSV", f"whole `nnrun predict` of {size / 1e6:.1f} MB ({'default threads' if not threads else '1 thread'})",
                 f"{s:.2f} s = {size / s / 1e6:.0f} MB/s",
                 f"numpy.loadtxt {loadtxt['seconds']:.2f} s = {size / loadtxt['seconds'] / 1e6:.0f} MB/s" if loadtxt else "-",
                 f"{loadtxt['seconds'] / s:.1f}×" if loadtxt else "-", "(reader alone: below)", f"{before} → {load()}"))
# The reader alone: file bytes to the float32 input matrix (`nnrun bench --csv`), one and two threads.
for threads in (1, 2):
    before = load()
    best = None
    for _ in range(3):
        d = json.loads(subprocess.run([nnrun, "bench", csv_nnf, "--csv", csv_path, "--threads", str(threads)],
                                      check=True, capture_output=True, text=True).stdout)
        if best is None or d["csv_seconds"] < best["csv_seconds"]:
            best = d
    mbs = best["csv_bytes"] / best["csv_seconds"] / 1e6
    cpu_mbs = best["csv_bytes"] / best["csv_cpu_seconds"] / 1e6
    loadtxt = anchor("CSV", "numpy_loadtxt")
    rows.append(("CSV", f"reader alone (`nnrun bench --csv`, bytes to float32 matrix), {threads} thread{'s' if threads > 1 else ''}",
                 f"{best['csv_seconds']:.3f} s = {mbs:.0f} MB/s ({cpu_mbs:.0f} MB per CPU-second)",
                 f"numpy.loadtxt {size / loadtxt['seconds'] / 1e6:.0f} MB/s" if loadtxt else "-",
                 f"{loadtxt['seconds'] / best['csv_seconds']:.1f}×" if loadtxt else "-",
                 "≥ 300 MB/s" if threads == 1 else "≥ 500 MB/s", f"{before} → {load()}"))
notes.append("CSV: 'whole `nnrun predict`' is the whole process (reading, predicting 300,000 rows, writing "
             "300,000 output lines to /dev/null); 'reader alone' is `nnrun bench --csv` (file bytes to the float32 "
             "input matrix in batches of 1024 rows, best of three; MB per CPU-second counts the CPU time of all the "
             "process' threads while reading, the measure that other work on the machine disturbs least).")

# L1 ------------------------------------------------------------------------------------------
l1 = os.path.join(out, "l1.nnf")
if not os.path.exists(l1):
    subprocess.run([nnrun, "init", "--inputs", "5000", "--layers", "5000:relu,1", "-o", l1], check=True, capture_output=True)
one_row = os.path.join(out, "l1-row.csv")
with open(one_row, "w") as f:
    f.write(",".join("0.5" for _ in range(5000)) + "\n")
file_mb = os.path.getsize(l1) / 1e6
before = load()
results = [run([nnrun, "predict", l1, one_row]) for _ in range(3)]
wall = min(r[0] for r in results)
peak = min(r[1] for r in results)
# The process baseline: the same command on the 32-16-1 model of the CSV case.
small_row = os.path.join(out, "csv-row.csv")
with open(small_row, "w") as f:
    f.write(",".join("0.5" for _ in range(32)) + "\n")
base = min(run([nnrun, "predict", csv_nnf, small_row])[1] for _ in range(3))
rows.append(("L1", f"whole `nnrun predict` of one row, {file_mb:.0f} MB .nnf (Dense 5000-5000-1)",
             f"{wall * 1000:.0f} ms, peak RSS {peak:.0f} MB = {(peak - base) / file_mb:.2f}× the file + {base:.0f} MB baseline",
             "-", "-",
             "≤ 60 ms, ≤ 1.2× file + baseline", f"{before} → {load()}"))

# Report --------------------------------------------------------------------------------------
cpu = machine["cpu"]
kernel = machine["blas_kernel"]
source = machine.get("blas_kernel_source", "")
lines = [
    "# make bench results",
    "",
    f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
    "",
    f"- CPU: **{cpu}**, {os.cpu_count()} logical CPUs, {platform.machine()}",
    f"- OpenBLAS kernel set: **{kernel}** (chosen by: {source})",
    f"- load average during the run: see each row (1, 5, 15 min, before → after); a load near or above "
    f"the core count means other work shared the machine and the figures are low and noisy",
    "",
    "| case | what | nnrun | anchor | ratio | goal (issue 10) | load avg |",
    "|---|---|---:|---:|---:|---|---|",
]
for r in rows:
    lines.append("| " + " | ".join(r) + " |")
lines += [""] + [f"- {n}" for n in notes if not n.startswith("environment:")]  # written once, below
env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "NNKIT", "OMP"))}
lines.append("- environment: " + (", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "no OPENBLAS_*/NNKIT_*/OMP_* variables"))
if extra and os.path.exists(extra):
    lines += ["", "## Prediction and training next to Keras, numpy and onnxruntime (scripts/bench.sh)", "", "```"]
    lines += open(extra).read().rstrip().split("\n")
    lines += ["```"]
open(results_path, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))

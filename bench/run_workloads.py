"""nnrun side of `make bench` for issue 10's workloads (P1, T1, T2, CSV, L1) and issue 13's M1 (training on 1 and 2 MPI ranks), next to the anchors that
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
    rows.append(("CSV", f"reader alone (`nnrun bench --csv`, bytes to float32 matrix), {threads} thread{'s' if threads > 1 else ''}, "
                 f"{best.get('csv_path', '?')} number path",
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

# M1: data-parallel training over MPI (issue 13) ----------------------------------------------
# The 64-256-256-10 MLP of scripts/bench.sh on its train.csv (10,000 rows), Adam, sparse categorical
# cross-entropy: one process without --distributed, then `mpirun -np 1` and `-np 2` with it. Epochs
# per second from the difference of a 5-epoch and a 1-epoch run (process start, MPI start, CSV and
# save cancel out); --bind-to none, so Open MPI does not pin a 2-thread rank to one core.
mpirun = "/usr/bin/mpirun"
mlp, train_csv = os.path.join(out, "mlp.nnf"), os.path.join(out, "train.csv")
if os.path.exists(mpirun) and os.path.exists(mlp) and os.path.exists(train_csv):
    train_rows = sum(1 for _ in open(train_csv)) - 1

    def m1_command(ranks, batch, epochs, model, quiet=True):
        args = [nnrun, "train", model, train_csv, "--target", "y", "--epochs", str(epochs), "--batch-size", str(batch),
                "--optimizer", "adam", "--learning-rate", "0.001", "--loss", "sparse_categorical_crossentropy"]
        args += ["-q"] if quiet else []
        if ranks == 0:
            return args
        return [mpirun, "--allow-run-as-root", "--bind-to", "none", "-np", str(ranks)] + args + ["--distributed"]

    def m1_seconds(ranks, batch, epochs):
        model = os.path.join(out, "m1-model.nnf")
        subprocess.run(["cp", mlp, model], check=True)
        return run(m1_command(ranks, batch, epochs, model))[0]

    model = os.path.join(out, "m1-model.nnf")
    subprocess.run(["cp", mlp, model], check=True)
    note = subprocess.run(m1_command(2, 32, 1, model, quiet=False), capture_output=True, text=True).stderr
    step_bytes = next((w for w in note.split(";") if "bytes summed per batch" in w), "").strip()
    for batch in (32, 256):
        before = load()
        rates = {}
        for ranks in (0, 1, 2):
            diff = best_of(3, lambda: m1_seconds(ranks, batch, 5)) - best_of(3, lambda: m1_seconds(ranks, batch, 1))
            rates[ranks] = 4 * train_rows / diff if diff > 0 else float("nan")
        load_s = f"{before} → {load()}"
        rows.append(("M1", f"`nnrun train` batch {batch}, one process, no --distributed (2 threads)", f"{rates[0] / 1e3:.1f}k rows/s",
                     "-", "-", "", load_s))
        rows.append(("M1", f"`mpirun -np 1 … --distributed`, batch {batch} (2 threads)", f"{rates[1] / 1e3:.1f}k rows/s",
                     f"one process {rates[0] / 1e3:.1f}k", f"{rates[1] / rates[0]:.2f}×", "", load_s))
        rows.append(("M1", f"`mpirun -np 2 … --distributed`, batch {batch} (1 thread each)", f"{rates[2] / 1e3:.1f}k rows/s",
                     f"-np 1: {rates[1] / 1e3:.1f}k", f"2 ranks ÷ 1 = {rates[2] / rates[1]:.2f}×", "measured, no goal", load_s))
    notes.append(f"M1: 64-256-256-10 MLP, {train_rows} rows, Adam; rows/s of training from the difference of 5- and 1-epoch runs "
                 f"(best of 3 each). Two ranks share the machine's {os.cpu_count()} cores: each rank runs its GEMMs on one thread "
                 f"(NNKIT_THREADS defaults to cores ÷ ranks; OpenBLAS is single-threaded in nnkit), one process and one rank on two. "
                 f"Each rank hands {step_bytes.replace('bytes summed per batch by each rank', 'bytes per batch to the sums') or '? bytes'} "
                 f"(float32 gradients of 85,002 weights + float64 loss and stop flag); with two ranks each sends and receives about that "
                 f"much per batch through shared memory. Open MPI yields while waiting (nnrun sets OMPI_MCA_mpi_yield_when_idle=1).")
else:
    notes.append("M1: skipped (no /usr/bin/mpirun, or scripts/bench.sh's mlp.nnf/train.csv missing); scripts/install-deps.sh installs openmpi-bin.")

# M1 reading: each rank parses only its byte range of DATA (issue 13). The CSV case's file (300,000 rows
# x 32 columns), x31 as the target of a 31-1 linear model, --no-shuffle, 1 epoch; each rank reports
# (NNKIT_DEBUG_SHARDS) the seconds from opening DATA to holding its rows (reading, agreeing, exchanging)
# and its peak resident memory; the job's figure is its slowest rank's. Measured, no goal.
if os.path.exists(mpirun) and os.path.exists(csv_path):
    read_model = os.path.join(out, "m1-read.nnf")
    subprocess.run([nnrun, "init", "--inputs", "31", "--layers", "1", "-o", read_model], check=True, capture_output=True)

    def m1_read(ranks):
        args = [mpirun, "--allow-run-as-root", "--bind-to", "none", "-x", "NNKIT_DEBUG_SHARDS=1", "-np", str(ranks),
                # A tiny learning rate: the file's values reach ±200, and SGD at its default 0.01 diverged in
                # batch 9 (exit 5, which stopped make bench); this case times the read, not the training.
                nnrun, "train", read_model, csv_path, "--target", "x31", "--loss", "mse", "--optimizer", "sgd", "--learning-rate", "1e-6", "--epochs", "1",
                "--batch-size", "1024", "--no-shuffle", "-q", "-o", os.path.join(out, "m1-read-out.nnf"), "--distributed"]
        err = subprocess.run(args, check=True, capture_output=True, text=True).stderr
        figures = []
        for line in err.splitlines():
            if line.startswith("shard: rank") and "read in" in line:
                seconds = float(line.split("read in ")[1].split(" s")[0])
                peak_kb = int(line.split("peak memory ")[1].split()[0])
                figures.append((seconds, peak_kb))
        return max(f[0] for f in figures), max(f[1] for f in figures) / 1024

    before = load()
    reads = {}
    for ranks in (1, 2):
        best = min(m1_read(ranks) for _ in range(3))
        reads[ranks] = best
    load_s = f"{before} → {load()}"
    rows.append(("M1", f"read {size / 1e6:.1f} MB CSV under --distributed (slowest rank: parse its byte range, agree, exchange), 1 rank",
                 f"{reads[1][0]:.2f} s, peak RSS {reads[1][1]:.0f} MB", "-", "-", "", load_s))
    rows.append(("M1", f"the same read, 2 ranks (1 parsing thread each)", f"{reads[2][0]:.2f} s, peak RSS {reads[2][1]:.0f} MB a rank",
                 f"1 rank: {reads[1][0]:.2f} s", f"2 ranks ÷ 1 = {reads[1][0] / reads[2][0]:.2f}× the speed", "measured, no goal", load_s))
    notes.append("M1 reading: one rank parses the whole file on 2 threads (NNKIT_THREADS defaults to cores ÷ ranks), two ranks "
                 "each parse half on one thread, so on this 2-core machine the CPU work is the same and the time cannot halve; "
                 "what halves is each rank's memory (its rows), which is what splitting the file buys on a cluster. Best of 3 runs.")

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
    "| case | what | nnrun | anchor | ratio | goal (issue 10; M1: issue 13) | load avg |",
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

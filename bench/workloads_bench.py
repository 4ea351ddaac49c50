"""Python side of `make bench` for the workloads of issue 10 (P1, T1, T2, CSV, L1): builds the
models and data files, and times the anchors a Python user would run on them.

Usage: python bench/workloads_bench.py OUT_DIR

Writes into OUT_DIR:
  p1.keras   MLP 784-512-256-10 (relu, relu, softmax), seeded, untrained
  t1.keras   MLP 32-64-64-1 (relu, relu, linear) compiled with Adam 1e-3 and MSE
  t1.csv     20,000 rows: x0..x31 uniform in [-1, 1), y a smooth function of them (6.7 MB)
  t2.keras   MLP 784-256-10 (relu, softmax) compiled with Adam 1e-3 and categorical cross-entropy
  t2.csv     20,000 rows: x0..x783 in [0, 1), one-hot targets c0..c9
  csv.keras  MLP 32-16-1 (relu, linear): the small model of the CSV case
  csv.csv    300,000 rows x 32 columns of 9-significant-digit floats with a header (~97.5 MB)
and prints one JSON object per line:
  {"case": "P1", "anchor": "onnxruntime"|"keras_predict", "batch_size", "rows_per_second"}
  {"case": "T1"|"T2", "anchor": "keras_fit", "seconds"}: one `fit` call (tracing included, as a
      user's first fit pays it) of 2 epochs (T1, batch 32) or 1 epoch (T2, batch 128) on a model
      freshly loaded from the .keras file; the faster of two such calls
  {"case": "CSV", "anchor": "numpy_loadtxt", "seconds", "bytes"}: numpy.loadtxt of csv.csv to
      float32 (the faster of two)
Each throughput case keeps the best of three windows of about BENCH_SECONDS/3 (the least disturbed
by other work on a shared machine). Nothing is asserted.
"""
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402

out = sys.argv[1]
seconds = float(os.environ.get("BENCH_SECONDS", "1"))
keras.utils.set_random_seed(0)
rng = np.random.default_rng(10)


def emit(**d):
    print(json.dumps(d), flush=True)


def dense(widths, activations):
    layers = [keras.Input((widths[0],))]
    layers += [keras.layers.Dense(w, activation=a) for w, a in zip(widths[1:], activations)]
    return keras.Sequential(layers)


def write_csv(path, columns, rows, fmt):
    with open(path, "w") as f:
        f.write(",".join(columns) + "\n")
        np.savetxt(f, rows, delimiter=",", fmt=fmt)


def best_rate(fn, rows_per_call):
    fn()
    best = 0.0
    for _ in range(3):
        done, start = 0, time.perf_counter()
        while True:
            fn()
            done += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 3 and done >= 2:
                break
        best = max(best, done * rows_per_call / elapsed)
    return best


# P1: prediction, MLP 784-512-256-10.
p1 = dense([784, 512, 256, 10], ["relu", "relu", "softmax"])
p1.save(os.path.join(out, "p1.keras"))
try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import onnxruntime as ort
    nodes, inits, prev = [], [], "x"
    ops = {"relu": "Relu", "softmax": "Softmax"}
    for i, d in enumerate(p1.layers):
        a = d.activation.__name__
        inits += [numpy_helper.from_array(d.kernel.numpy(), f"W{i}"), numpy_helper.from_array(d.bias.numpy(), f"b{i}")]
        nodes += [helper.make_node("MatMul", [prev, f"W{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"b{i}"], [f"z{i}"]),
                  helper.make_node(ops[a], [f"z{i}"], [f"y{i}"], **({"axis": -1} if a == "softmax" else {}))]
        prev = f"y{i}"
    graph = helper.make_graph(nodes, "p1", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 784])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [None, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
except ImportError:
    session = None
for b in (1, 32, 1024):
    x = rng.uniform(-1, 1, size=(b, 784)).astype(np.float32)
    if session is not None:
        emit(case="P1", anchor="onnxruntime", batch_size=b,
             rows_per_second=best_rate(lambda: session.run(None, {"x": x}), b))
x = rng.uniform(-1, 1, size=(20_000, 784)).astype(np.float32)
p1.predict(x[:2048], batch_size=1024, verbose=0)
best = 0.0
for _ in range(2):
    t = time.perf_counter()
    p1.predict(x, batch_size=1024, verbose=0)
    best = max(best, len(x) / (time.perf_counter() - t))
emit(case="P1", anchor="keras_predict", batch_size=1024, rows_per_second=best)

# T1: MLP 32-64-64-1, Adam, MSE, batch 32, 2 epochs over 20,000 rows.
t1 = dense([32, 64, 64, 1], ["relu", "relu", None])
t1.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
t1.save(os.path.join(out, "t1.keras"))
x1 = rng.uniform(-1, 1, size=(20_000, 32)).astype(np.float32)
y1 = (np.sin(x1[:, :8].sum(axis=1)) + 0.5 * x1[:, 8:16].mean(axis=1)).astype(np.float32)
write_csv(os.path.join(out, "t1.csv"), [f"x{i}" for i in range(32)] + ["y"], np.column_stack([x1, y1]), "%.9g")

# T2: MLP 784-256-10, softmax, categorical cross-entropy, batch 128, 1 epoch over 20,000 rows.
t2 = dense([784, 256, 10], ["relu", "softmax"])
t2.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
t2.save(os.path.join(out, "t2.keras"))
x2 = rng.uniform(0, 1, size=(20_000, 784)).astype(np.float32)
labels = (x2[:, :10].argmax(axis=1)).astype(np.int64)
y2 = np.eye(10, dtype=np.float32)[labels]
write_csv(os.path.join(out, "t2.csv"), [f"x{i}" for i in range(784)] + [f"c{i}" for i in range(10)],
          np.column_stack([x2, y2]), "%.6g")


def fit_seconds(name, x, y, epochs, batch):
    best = None
    for _ in range(2):
        m = keras.models.load_model(os.path.join(out, name))
        t = time.perf_counter()
        m.fit(x, y, epochs=epochs, batch_size=batch, shuffle=True, verbose=0)
        s = time.perf_counter() - t
        best = s if best is None else min(best, s)
    return best


emit(case="T1", anchor="keras_fit", seconds=fit_seconds("t1.keras", x1, y1, 2, 32))
emit(case="T2", anchor="keras_fit", seconds=fit_seconds("t2.keras", x2, y2, 1, 128))

# CSV: 300,000 x 32 floats, and numpy.loadtxt reading them.
csv_model = dense([32, 16, 1], ["relu", None])
csv_model.save(os.path.join(out, "csv.keras"))
path = os.path.join(out, "csv.csv")
with open(path, "w") as f:
    f.write(",".join(f"x{i}" for i in range(32)) + "\n")
    for start in range(0, 300_000, 50_000):
        block = rng.standard_normal(size=(50_000, 32)).astype(np.float32) * 100
        np.savetxt(f, block, delimiter=",", fmt="%.9g")
best = None
for _ in range(2):
    t = time.perf_counter()
    np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    s = time.perf_counter() - t
    best = s if best is None else min(best, s)
emit(case="CSV", anchor="numpy_loadtxt", seconds=best, bytes=os.path.getsize(path))

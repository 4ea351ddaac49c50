"""Python side of `make bench`: builds the benchmark models and the training data, saves them, and
times what a Python user would run on the same weights.

Usage: python bench/keras_bench.py OUT_DIR BATCH [BATCH ...]

Writes OUT_DIR/mlp.keras and OUT_DIR/xor.keras (seeded, untrained), OUT_DIR/train.csv (10,000
rows: x0..x63 uniform in [-1, 1), y an integer class 0..9 derived from the inputs) and prints one
JSON object per line:
  {"model", "batch_size", "method", "rows_per_second"} for method in
    predict      Keras 3 `model.predict(x, batch_size=B)` over an array of whole batches
    call         a direct `model(x_batch, training=False)` per batch (Keras' advice for small inputs)
    numpy        a hand-written numpy forward pass of the same weights (x @ W + b, activations):
                 the floor a Python user gets without a framework
    onnxruntime  onnxruntime on an ONNX graph built here from the same weights (MatMul, Add,
                 Relu/Sigmoid/Softmax; Keras' own ONNX export needs tf2onnx, not in the venv)
  {"model": "mlp", "method": "fit", "batch_size": 32, "epochs_per_second", "rows"}: Keras
    `model.fit` (Adam 1e-3, sparse categorical cross-entropy, shuffled) on train.csv: the faster
    of two one-epoch fit calls after a warm-up epoch (tracing).

Each case runs for about BENCH_SECONDS (default 1) after a warm-up call, in three windows of
which the fastest counts (the one least disturbed by other work on a shared machine). Models: mlp
(64-256-256-10, relu/relu/softmax) and xor (2-4-1, sigmoid/sigmoid). Nothing is asserted: the
numbers depend on the machine and on what else runs on it.
"""
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402

out_dir = sys.argv[1]
batches = [int(b) for b in sys.argv[2:]]
seconds = float(os.environ.get("BENCH_SECONDS", "1"))
keras.utils.set_random_seed(0)
models = {
    "mlp": keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"),
                             keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10, activation="softmax")]),
    "xor": keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="sigmoid"),
                             keras.layers.Dense(1, activation="sigmoid")]),
}


def emit(**d):
    print(json.dumps(d), flush=True)


def timed_loop(fn, batch, n_batches):
    """Calls fn(i) for i = 0, 1, ... (mod n_batches) in three windows of about `seconds`/3 each;
    returns the best window's rows per second (the least disturbed by other work on the machine)."""
    fn(0)
    best, calls = 0.0, 0
    for _ in range(3):
        done, start = 0, time.perf_counter()
        while True:
            fn(calls % n_batches)
            calls += 1
            done += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 3 and done >= 2:
                break
        best = max(best, done * batch / elapsed)
    return best


def numpy_forward(layers):
    """A plain numpy forward pass: [(W, b, activation)] in float32."""
    def relu(z):
        return np.maximum(z, 0, out=z)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    acts = {"relu": relu, "sigmoid": sigmoid, "softmax": softmax}

    def forward(x):
        for w, b, a in layers:
            x = acts[a](x @ w + b)
        return x
    return forward


def onnx_session(layers, width):
    """An onnxruntime session for the same Dense stack, or None if onnx/onnxruntime are missing."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        import onnxruntime as ort
    except ImportError:
        return None
    nodes, inits, prev = [], [], "x"
    ops = {"relu": "Relu", "sigmoid": "Sigmoid", "softmax": "Softmax"}
    for i, (w, b, a) in enumerate(layers):
        inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes += [helper.make_node("MatMul", [prev, f"W{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"b{i}"], [f"z{i}"]),
                  helper.make_node(ops[a], [f"z{i}"], [f"y{i}"], **({"axis": -1} if a == "softmax" else {}))]
        prev = f"y{i}"
    graph = helper.make_graph(nodes, "dense", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, width])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [None, layers[-1][0].shape[1]])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


rng = np.random.default_rng(42)
for name, model in models.items():
    model.save(os.path.join(out_dir, f"{name}.keras"))
    width = model.inputs[0].shape[1]
    layers = [(d.kernel.numpy(), d.bias.numpy(), d.activation.__name__) for d in model.layers]
    forward = numpy_forward(layers)
    session = onnx_session(layers, width)
    for b in batches:
        n_batches = max(1, min(64, 65536 // b))
        x = rng.uniform(-1, 1, size=(n_batches * b, width)).astype(np.float32)
        xb = [x[i * b:(i + 1) * b] for i in range(n_batches)]
        # model.predict: calibrate on a few batches, then one call sized for about `seconds`.
        few = x[:min(len(x), 4 * b)]
        model.predict(few, batch_size=b, verbose=0)  # warm-up (tracing)
        t = time.perf_counter()
        model.predict(few, batch_size=b, verbose=0)
        per_row = (time.perf_counter() - t) / len(few)
        rows = int(min(131072, max(2 * b, seconds / 3 / per_row)) // b * b)
        big = np.resize(x, (rows, width))
        best = 0.0
        for _ in range(3):
            t = time.perf_counter()
            model.predict(big, batch_size=b, verbose=0)
            best = max(best, rows / (time.perf_counter() - t))
        emit(model=name, batch_size=b, method="predict", rows_per_second=best)
        emit(model=name, batch_size=b, method="call",
             rows_per_second=timed_loop(lambda i: model(xb[i], training=False), b, n_batches))
        emit(model=name, batch_size=b, method="numpy", rows_per_second=timed_loop(lambda i: forward(xb[i]), b, n_batches))
        if session is not None:
            emit(model=name, batch_size=b, method="onnxruntime",
                 rows_per_second=timed_loop(lambda i: session.run(None, {"x": xb[i]}), b, n_batches))

# Training data shared with nnrun train, and Keras fit on it.
n, classes = 10_000, 10
tx = rng.uniform(-1, 1, size=(n, 64)).astype(np.float32)
ty = (np.floor((tx[:, 0] + 2 * tx[:, 1] + 3) / 6 * classes).clip(0, classes - 1)).astype(np.int64)
with open(os.path.join(out_dir, "train.csv"), "w") as f:
    f.write(",".join([f"x{i}" for i in range(64)] + ["y"]) + "\n")
    for row, label in zip(tx, ty):
        f.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
fit_model = keras.models.clone_model(models["mlp"])
fit_model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy())
fit_model.fit(tx, ty, batch_size=32, epochs=1, shuffle=True, verbose=0)  # warm-up (tracing)
best = 0.0
for _ in range(2):
    t = time.perf_counter()
    fit_model.fit(tx, ty, batch_size=32, epochs=1, shuffle=True, verbose=0)
    best = max(best, 1 / (time.perf_counter() - t))
emit(model="mlp", batch_size=32, method="fit", epochs_per_second=best, rows=n)

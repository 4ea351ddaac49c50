"""Keras side of `make bench`: builds the benchmark models, saves them as .keras, and times
Keras 3 `model.predict(x, batch_size=B)` and a direct `model(x)` call per batch.

Usage: python bench/keras_bench.py OUT_DIR ROWS BATCH [BATCH ...]
Prints one JSON object per (model, batch, method) line: {"model", "batch_size", "method", "rows_per_second"}.
Models: mlp (64-256-256-10, relu/relu/softmax) and xor (2-4-1 sigmoid). Seeded; never asserted.
"""
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402

out_dir, rows = sys.argv[1], int(sys.argv[2])
batches = [int(b) for b in sys.argv[3:]]
keras.utils.set_random_seed(0)
models = {
    "mlp": keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, activation="relu"),
                             keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10, activation="softmax")]),
    "xor": keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="sigmoid"), keras.layers.Dense(1, activation="sigmoid")]),
}
rng = np.random.default_rng(42)
for name, model in models.items():
    model.save(os.path.join(out_dir, f"{name}.keras"))
    width = model.inputs[0].shape[1]
    for b in batches:
        n = max(b, (rows // b) * b)
        x = rng.uniform(-1, 1, size=(n, width)).astype(np.float32)
        model.predict(x[:b], batch_size=b, verbose=0)  # warm-up (tracing)
        t = time.perf_counter()
        model.predict(x, batch_size=b, verbose=0)
        dt = time.perf_counter() - t
        print(json.dumps({"model": name, "batch_size": b, "method": "predict", "rows_per_second": n / dt}), flush=True)
        model(x[:b], training=False)
        calls = n // b
        t = time.perf_counter()
        for i in range(calls):
            model(x[i * b:(i + 1) * b], training=False)
        dt = time.perf_counter() - t
        print(json.dumps({"model": name, "batch_size": b, "method": "call", "rows_per_second": calls * b / dt}), flush=True)

#!/usr/bin/env python3
"""Batch scoring on Apache Spark without the nnkit binary: onnxruntime runs nnkit's ONNX export
of the model (`nnconv convert model.nnf model.onnx`) inside `mapInPandas`, one inference session
per partition, on Arrow batches of rows.

    nnconv convert model.nnf model.onnx
    spark-submit --master yarn score_onnx.py model.onnx data.csv out/ --keep id

The ONNX file is read on the driver and broadcast, so it needs no `--files`; every executor needs
onnxruntime, numpy, pandas and pyarrow in its Python. DATA.csv has a header row. The inputs are the
columns named by the model's `nnkit.input_names` (ONNX metadata written by nnkit's export; the file
may hold other columns), else every column but the `--keep` ones, in order. Values are read as
float32 by Spark (correctly rounded, as nnrun reads them); an empty or unreadable value fails the
job. The output folder gets CSV part files with a header: the `--keep` columns (as text), then one
float32 column per output, named by `nnkit.output_names` (else y0, y1, …), as `nnrun predict` names
them. onnxruntime's numbers agree with nnrun's within float32 rounding (nnkit's tests: 1e-5 +
1e-4·|y|), not bit for bit: use score_pipe.py where outputs must equal nnrun's exactly.
"""
import argparse
import json


def model_info(onnx_bytes):
    """The input and output column names recorded by nnkit's ONNX export (None when it recorded
    none) and the number of outputs."""
    import onnxruntime as ort

    s = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    meta = s.get_modelmeta().custom_metadata_map
    names = lambda key: json.loads(meta[key]) if key in meta else None  # noqa: E731
    return names("nnkit.input_names"), names("nnkit.output_names"), s.get_outputs()[0].shape[1]


def score(spark, onnx_path, data, keep=None, threads=1):
    """A DataFrame of the kept columns and the model's outputs for every row of DATA (in file
    order within each partition; join on a kept id column)."""
    import numpy as np
    from pyspark.sql import functions as F
    from pyspark.sql.types import FloatType, StringType, StructField, StructType

    with open(onnx_path, "rb") as f:
        onnx_bytes = f.read()
    input_names, output_names, width = model_info(onnx_bytes)
    names = output_names if output_names and len(output_names) == width else [f"y{j}" for j in range(width)]
    # Every column as text first: kept columns pass through unchanged, even when also an input.
    frame = spark.read.csv(data, header=True, mode="FAILFAST")
    header = frame.columns
    keep_cols = [c.strip() for c in keep.split(",")] if keep else []
    for c in keep_cols:
        if c not in header:
            raise ValueError(f"{data}: no column {c!r} to keep; the header has {header}")
    if input_names is None:
        input_names = [c for c in header if c not in keep_cols]
    missing = [c for c in input_names if c not in header]
    if missing:
        raise ValueError(f"{data}: the model's inputs {missing} are not in the header {header}")
    # Output names as nnrun gives them: one named like a kept column gets `_pred` appended.
    used, outputs = set(keep_cols), []
    for n in names:
        while n in used:
            n += "_pred"
        used.add(n)
        outputs.append(n)
    # Spark's string-to-float cast rounds correctly, as nnrun's reader does; with ANSI mode (the
    # default) text that is not a number fails the job.
    inputs = [f"_in{i}" for i in range(len(input_names))]
    frame = frame.select(*[F.col(c) for c in keep_cols],
                         *[F.col(c).cast(FloatType()).alias(a) for c, a in zip(input_names, inputs)])
    model = spark.sparkContext.broadcast(onnx_bytes)

    def predict(batches):
        import onnxruntime as ort
        import pandas as pd

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # Spark already runs one task per core
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(model.value, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        for batch in batches:
            x = batch[inputs].to_numpy(dtype=np.float32)
            bad = ~np.isfinite(x)  # an empty field is null, which arrives as NaN; nnrun refuses both
            if bad.any():
                raise ValueError(f"{data}: {int(bad.any(axis=1).sum())} rows of a partition have an empty, NaN or infinite input")
            y = session.run(None, {name: x})[0]
            out = pd.DataFrame({c: batch[c] for c in keep_cols})
            for j, n in enumerate(outputs):
                out[n] = y[:, j]
            yield out

    out_schema = StructType([StructField(c, StringType()) for c in keep_cols] + [StructField(n, FloatType()) for n in outputs])
    return frame.mapInPandas(predict, out_schema)


def main():
    from pyspark.sql import SparkSession

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="the ONNX file (nnconv convert model.nnf model.onnx)")
    p.add_argument("data", help="the CSV file, with a header row")
    p.add_argument("out", help="output folder (CSV part files with a header)")
    p.add_argument("--keep", help="comma-separated columns copied to the output (an id to join on)")
    p.add_argument("--threads", type=int, default=1, help="onnxruntime threads per task")
    a = p.parse_args()
    spark = SparkSession.builder.appName("nnkit score_onnx").getOrCreate()
    try:
        score(spark, a.model, a.data, a.keep, a.threads).write.csv(a.out, header=True)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()

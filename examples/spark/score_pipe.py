#!/usr/bin/env python3
"""Batch scoring on Apache Spark with the nnkit binary: every partition of a CSV file is piped
through `nnrun predict MODEL - --columns <header>` (RDD.pipe), one nnrun process per partition,
which streams its rows through the model and answers one output row per input row, in order.

    spark-submit --master yarn --files model.nnf score_pipe.py model.nnf data.csv out/ \
        --nnrun /opt/nnkit/bin/nnrun --keep id

MODEL is read by the nnrun processes on the executors: on a cluster ship it with `--files` and give
its bare name (executors run in the folder `--files` fills); in local mode give its path. The
nnrun binary must be installed at the same path on every node (`--nnrun`; RDD.pipe starts it with
an empty environment, so a bare name is looked up in /bin:/usr/bin only: give the full path).
Each nnrun predicts on `--threads` threads (default 1: Spark already runs one task per core). DATA.csv has a header row and one record per line (Spark splits the file at line breaks, so
quoted fields must not hold line breaks) and its header names hold no comma or quote (they are
passed to `--columns`). The output folder gets Spark's part files: CSV rows without header, the
`--keep` columns first, then the model's outputs (the columns `nnrun predict DATA.csv` would print).
Rows keep the file's order (part-00000 first); join them back on a kept id column.
"""
import argparse
import shlex


def drop_header(index, lines):
    """Partition 0 starts with the header line; every other partition starts with data."""
    it = iter(lines)
    if index == 0:
        next(it, None)
    return it


def score(spark, model, data, nnrun="nnrun", keep=None, partitions=None, batch_size=None, threads=1, lines=None):
    """The output rows of `nnrun predict` over DATA's rows, as an RDD of CSV lines in file order.

    `lines` (optional) is DATA already read as an RDD of lines (its first line the header);
    otherwise DATA is read with `textFile(data, partitions)`.
    """
    sc = spark.sparkContext
    if lines is None:
        lines = sc.textFile(data, minPartitions=partitions)
    header = lines.first().lstrip("\ufeff")  # a UTF-8 byte-order mark stays on the first line
    if '"' in header:
        raise ValueError(f"{data}: quoted header names cannot be passed to --columns: {header}")
    command = [nnrun, "predict", model, "-", "--columns", header]
    if keep:
        command += ["--keep", keep]
    if batch_size:
        command += ["--batch-size", str(batch_size)]
    # checkCode: a partition whose nnrun exits non-zero (bad data: exit 3, with the line and column
    # of the partition on the executor's stderr) fails the task instead of giving fewer rows.
    env = {"NNKIT_THREADS": str(threads)}  # RDD.pipe passes only these variables
    return lines.mapPartitionsWithIndex(drop_header).pipe(shlex.join(command), env=env, checkCode=True)


def main():
    from pyspark.sql import SparkSession

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="the model file, as the executors see it")
    p.add_argument("data", help="the CSV file, with a header row")
    p.add_argument("out", help="output folder (Spark part files)")
    p.add_argument("--nnrun", default="nnrun", help="the nnrun binary on every node")
    p.add_argument("--keep", help="columns copied to the output (an id to join on), as nnrun's --keep")
    p.add_argument("--partitions", type=int, help="minimum number of partitions of the input")
    p.add_argument("--batch-size", type=int, help="rows per nnrun batch (default 1024)")
    p.add_argument("--threads", type=int, default=1, help="prediction threads per nnrun process")
    a = p.parse_args()
    spark = SparkSession.builder.appName("nnkit score_pipe").getOrCreate()
    try:
        score(spark, a.model, a.data, a.nnrun, a.keep, a.partitions, a.batch_size, a.threads).saveAsTextFile(a.out)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()

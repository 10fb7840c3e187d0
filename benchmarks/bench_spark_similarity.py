"""Item-item cosine on Spark: partial products (what the build uses), the self-join, DIMSUM.

    nice -n 19 python benchmarks/bench_spark_similarity.py [--listens 300000] [--threshold 0.1]
        [--methods join partial dimsum sampled]

Same SYNTHETIC power-law listens as bench_spark_build.py, one Spark session (local[2]), the same
users x items of log(1 + plays) capped at USER_ITEM_CAP items per listener. Timed: from that
matrix to the top 50 neighbours of every item (materialised). Methods: the self-join on the
listener with i < j pairs summed by partial aggregation, then a window for the top 50 (the build
until 2026-12-02, the baseline); the build's partial products (`_neighbour_lists`: one scipy
product per chunk of listeners, sparse row blocks reduced by key, the top 50 per block);
`RowMatrix.columnSimilarities()` exact (threshold 0, all pairs of each row, in the JVM); and DIMSUM
sampling (`columnSimilarities(threshold)`). Each one's top-50 overlap with the join is reported.
One run each (minutes apiece on this 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.bench_spark_build import write_listens  # noqa: E402
from recommender.server.model import NEIGHBOURS, USER_ITEM_CAP  # noqa: E402
from recommender.server.spark_build import _neighbour_lists, spark_session  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listens", type=int, default=300_000)
    parser.add_argument("--threshold", type=float, default=0.1)
    parser.add_argument("--methods", nargs="+", default=["join", "partial", "dimsum", "sampled"])
    args = parser.parse_args(argv)
    folder = Path(tempfile.gettempdir()) / "tonearm-bench" / f"listens-{args.listens}"
    if not folder.exists():
        write_listens(folder, args.listens)

    from pyspark import StorageLevel
    from pyspark.mllib.linalg import Vectors
    from pyspark.mllib.linalg.distributed import RowMatrix
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = spark_session("local[2]", driver_memory="2g")
    raw = spark.read.parquet(str(folder))
    items = raw.select("title").distinct()
    items = items.withColumn("i", F.dense_rank().over(Window.orderBy("title")) - 1)
    users = raw.select("user").distinct()
    users = users.withColumn("u", F.dense_rank().over(Window.orderBy("user")) - 1)
    counts = (
        raw.groupBy("user", "title")
        .count()
        .join(items, "title")
        .join(users, "user")
        .select("u", "i", F.col("count").cast("double").alias("plays"))
    )
    strongest = Window.partitionBy("u").orderBy(F.desc("plays"), "i")
    profile = (
        counts.withColumn("rank", F.row_number().over(strongest))
        .where(F.col("rank") <= USER_ITEM_CAP)
        .select("u", "i", F.log1p("plays").alias("x"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    n_items = items.count()
    pairs_emitted = (
        profile.groupBy("u").count().select(F.sum(F.col("count") * (F.col("count") - 1) / 2))
    ).first()[0]
    best = Window.partitionBy("i").orderBy(F.desc("s"), "j")

    def top(frame):
        both = frame.unionByName(frame.select(F.col("j").alias("i"), F.col("i").alias("j"), "s"))
        return both.withColumn("r", F.row_number().over(best)).where(F.col("r") <= NEIGHBOURS)

    rows = []
    t0 = time.perf_counter()
    norms = profile.groupBy("i").agg(F.sqrt(F.sum(F.col("x") ** 2)).alias("norm"))
    w = profile.join(norms, "i").select("u", "i", (F.col("x") / F.col("norm")).alias("w"))
    a, b = w.alias("a"), w.alias("b")
    joined = (
        a.join(b, (F.col("a.u") == F.col("b.u")) & (F.col("a.i") < F.col("b.i")))
        .select(F.col("a.i").alias("i"), F.col("b.i").alias("j"), (F.col("a.w") * F.col("b.w")))
        .toDF("i", "j", "p")
        .groupBy("i", "j")
        .agg(F.sum("p").alias("s"))
    )
    join_top = top(joined).select("i", "j").persist(StorageLevel.MEMORY_AND_DISK)
    join_top.count()
    rows.append(("self-join, i < j, window top 50 (the baseline)", time.perf_counter() - t0, 1.0))

    def row_matrix():
        by_user = profile.rdd.map(lambda r: (r.u, (r.i, r.x))).groupByKey()
        return RowMatrix(
            by_user.map(lambda kv: Vectors.sparse(n_items, sorted(kv[1]))), numCols=n_items
        )

    def overlap(frame) -> float:
        hit = frame.join(join_top, ["i", "j"]).count()
        return hit / max(join_top.count(), 1)

    if "partial" in args.methods:
        t0 = time.perf_counter()
        lists = _neighbour_lists(w, n_items, NEIGHBOURS)
        frame = lists.select("i", F.explode("j").alias("j"))
        frame = frame.persist(StorageLevel.DISK_ONLY)
        frame.count()
        seconds = time.perf_counter() - t0
        rows.append(
            ("partial products, reduced by item block (the build)", seconds, overlap(frame))
        )
        frame.unpersist()
    for name, threshold in (
        ("DIMSUM exact (threshold 0)", 0.0),
        ("DIMSUM sampled", args.threshold),
    ):
        if ("dimsum" if threshold == 0 else "sampled") not in args.methods:
            continue
        t0 = time.perf_counter()
        sims = row_matrix().columnSimilarities(threshold).entries
        frame = spark.createDataFrame(sims.map(lambda e: (int(e.i), int(e.j), float(e.value))))
        frame = top(frame.toDF("i", "j", "s")).select("i", "j").persist(StorageLevel.DISK_ONLY)
        frame.count()
        seconds = time.perf_counter() - t0
        rows.append((f"{name}" + (f" {threshold}" if threshold else ""), seconds, overlap(frame)))
        frame.unpersist()
    spark.stop()
    print(
        f"{args.listens:,} SYNTHETIC listens, {n_items:,} items, {pairs_emitted:,.0f} pairs "
        f"before aggregation; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    print("| method | seconds | top-50 overlap with the join |")
    print("| --- | ---: | ---: |")
    for name, seconds, share in rows:
        print(f"| {name} | {seconds:.1f} | {share:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

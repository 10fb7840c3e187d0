"""The CF model built on Apache Spark: the same model as `build_model`, past one machine.

`tonearm serve build --engine spark` (local mode by default, `--spark-master URL` for a cluster,
or this module under `spark-submit`). Needs the `spark` extra (pyspark) and a Java runtime.

Nothing the size of the listens or of the users x items matrix goes through the driver. Keys,
counts and the capped profiles are DataFrame jobs. Item-item cosine is co-occurrence of each
listener's items (capped at `USER_ITEM_CAP`, see there why), summed where the listeners are: each
partition multiplies its own listeners' rows with one scipy product per chunk, the partial sums
are cut into blocks of items and reduced by block across partitions, and each block keeps its top
`NEIGHBOURS` by the in-process build's own function (`block_neighbours`). It replaced a
self-join on the listener, a shuffle of every pair and a window over all of them, which were
most of the build's time (docs/benchmarks.md, "Co-occurrence"). The results (the item table, the
neighbour lists and the capped profiles, one row per item and per listener, sorted) are written
as Parquet to a staging folder; the driver stops the JVM and streams them, batch by batch, into
the one .npz file the replicas load, through the in-process build's own `ModelWriter`. It holds
the item table and the row offsets, never the neighbours or the profiles whole, so the largest
thing a build keeps in one process no longer grows with the listens.

The same rules as the in-process build, so the two agree: JSON lines are parsed on the executors
by the same `parse_listen`; names are normalised by the same `recording_key`; a name joins the
smallest MusicBrainz id seen with it; an item is named by its most played spelling (ties: the
smallest); items in key order, listeners in name order; similarities rounded to
`SIMILARITY_DECIMALS` and ties broken by the smaller item.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.core.errors import UsageError
from recommender.library.names import normalise_artist
from recommender.remote.protocol import normalise_artist_title
from recommender.server.listens import (
    _kind,
    listen_files,
    parquet_columns,
    parse_genres,
    parse_listen,
)
from recommender.server.model import (
    MODEL_NAME,
    NEIGHBOURS,
    USER_ITEM_CAP,
    artist_numbers,
    block_neighbours,
    model_meta,
    popular_order,
    version_prefix,
)
from recommender.server.model_file import (
    INDEX_DTYPE,
    OFFSET_DTYPE,
    VALUE_DTYPE,
    ModelWriter,
    Spool,
)

log = logging.getLogger(__name__)

MBID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "2g"
LOCAL_SHUFFLE_PARTITIONS = 8
PAIRS_PER_TASK = 2_000_000
"""Pair products (a listener of d items makes d * d) one task sums at most, about 12 bytes each
once summed: the pairs over this set the number of partitions, so each task's memory is bounded."""
REDUCE_BLOCK_ITEMS = 512
"""Items per block in the reduction (a task sums and ranks one block: a few tens of MB here)."""
PAIRS_PER_CHUNK = 1_000_000
"""Pair products one scipy product makes at most (its temporaries are a few times this)."""


def _pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UsageError(
            "the Spark build needs the 'spark' extra: pip install \"tonearm[spark]\" "
            f"(and a Java 17+ runtime): {exc}"
        ) from exc
    return SparkSession


def spark_session(
    master: str | None = None,
    *,
    driver_memory: str | None = None,
    local_dir: str | None = None,
    shuffle_partitions: int | None = None,
):
    """A SparkSession: local mode unless `master` names a cluster (or spark-submit set one)."""
    SparkSession = _pyspark()
    builder = SparkSession.builder.appName("tonearm-build")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM, master set
    if master or not submitted:
        builder = builder.master(master or DEFAULT_MASTER)
    # under spark-submit the master is the cluster's: 8 shuffle partitions would starve it
    is_local = (master or ("" if submitted else DEFAULT_MASTER)).startswith("local")
    builder = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # plain Python UDFs: the Arrow ones need pandas, which Tonearm does not install
        .config("spark.sql.execution.pythonUDF.arrow.enabled", "false")
    )
    if is_local:
        # the Python workers run this interpreter (with Tonearm importable), not the first python3
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.driver.memory", driver_memory or DEFAULT_DRIVER_MEMORY)
        builder = builder.config(
            "spark.sql.shuffle.partitions", str(shuffle_partitions or LOCAL_SHUFFLE_PARTITIONS)
        )
    elif shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if local_dir:
        builder = builder.config("spark.local.dir", local_dir)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # py4j/Java start-up failures carry Java's own text
        raise UsageError(f"cannot start Spark (is Java 17+ installed?): {exc}") from exc
    spark.sparkContext.setLogLevel("WARN")
    return spark


# --- reading listens into one DataFrame (user, artist, title, mbid, genres) -----------------------


def _stem_of(column):
    from pyspark.sql import functions as F

    return F.regexp_extract(column, r"([^/]+?)(\.[^./]*)?$", 1)


def _json_listens(spark, paths: list[str]):
    """JSON lines parsed on the executors by the in-process parser itself (one rule, no drift)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("user", T.StringType()),
            T.StructField("artist", T.StringType()),
            T.StructField("title", T.StringType()),
            T.StructField("mbid", T.StringType()),
            T.StructField("genres", T.ArrayType(T.StringType())),
        ]
    )

    @F.udf(schema)
    def parse(value, stem):
        try:
            line = json.loads(value)
        except ValueError:
            return None
        listen = parse_listen(line, stem) if isinstance(line, dict) else None
        if listen is None:
            return None
        return (listen.user, listen.artist, listen.title, listen.mbid, list(listen.genres))

    # input_file_name is a URI (file:///...): its last part before the suffix is the stem
    frame = spark.read.text(paths).withColumn("file", F.input_file_name())
    parsed = frame.select(parse(F.col("value"), _stem_of(F.col("file"))).alias("l"))
    return parsed.where(F.col("l").isNotNull()).select("l.*")


def _parquet_listens(spark, paths: list[str]):
    """Parquet read natively; columns named as ListenBrainz's Spark dump or the flat names."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    frames = []
    for path in paths:  # files of different layouts may be mixed: map each file's columns
        frame = spark.read.parquet(path)
        cols = parquet_columns(frame.columns, path)
        stem = F.lit(Path(path).stem)
        user = F.col(cols["user"]).cast("string") if cols["user"] else F.lit(None).cast("string")
        user = F.when(user.isNull() | (user == ""), stem).otherwise(user)
        mbid = (
            F.lower(F.trim(F.col(cols["mbid"]).cast("string")))
            if cols["mbid"]
            else F.lit(None).cast("string")
        )
        mbid = F.when(mbid.rlike(MBID_PATTERN), mbid)
        if cols["genres"]:
            genre_type = T.ArrayType(T.StringType())

            @F.udf(genre_type)
            def genres(value):
                return list(parse_genres(value))

            genre_col = genres(F.col(cols["genres"]))
        else:
            genre_col = F.array().cast("array<string>")
        frames.append(
            frame.select(
                user.alias("user"),
                F.trim(F.col(str(cols["artist"])).cast("string")).alias("artist"),
                F.trim(F.col(str(cols["title"])).cast("string")).alias("title"),
                mbid.alias("mbid"),
                genre_col.alias("genres"),
            ).where(
                F.col("artist").isNotNull()
                & (F.col("artist") != "")
                & F.col("title").isNotNull()
                & (F.col("title") != "")
            )
        )
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def read_listens_frame(spark, specs: Sequence[str | Path]):
    """Every usable listen in the files (folders and globs expanded) as one DataFrame."""
    # hdfs://, s3a://, file:// ... go to Spark as they are: a folder of them is read as Parquet
    urls = [str(s) for s in specs if "://" in str(s)]
    files = (
        listen_files([s for s in specs if "://" not in str(s)]) if len(urls) < len(specs) else []
    )
    url_json = [u for u in urls if _kind(u) == "json"]
    files_parquet = [str(p) for p in files if _kind(p.name) == "parquet"]
    files_parquet += [u for u in urls if _kind(u) != "json"]
    archives = [str(p) for p in files if _kind(p.name) == "archive"]
    if archives:
        raise UsageError(
            f"the Spark build reads unpacked files: unpack {archives[0]} first "
            "(tar -xf FILE, or tar --zstd -xf FILE.tar.zst) and give the folder"
        )
    parquet = files_parquet
    json_files = [str(p) for p in files if _kind(p.name) != "parquet"] + url_json
    frames = []
    if json_files:
        frames.append(_json_listens(spark, json_files))
    if parquet:
        frames.append(_parquet_listens(spark, parquet))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


# --- the build -----------------------------------------------------------------------------------


def _indexed(frame, column: str, index: str):
    """`frame` (one row per distinct `column`) with `index` = its rank in `column` order, 0-based,
    computed by a distributed sort and zipWithIndex (no single-partition window)."""
    ordered = frame.orderBy(column)
    schema = ordered.schema.add(index, "long")
    rdd = ordered.rdd.zipWithIndex().map(lambda pair: (*pair[0], pair[1]))
    return ordered.sparkSession.createDataFrame(rdd, schema)


def _partial_products(rows, n_items: int, budget: int):
    """(item block, summed cosine products) for the listeners of one partition, in chunks.

    Listeners are taken until their pairs reach `budget` (a listener of d items makes d * d
    products), then one sparse product X.T @ X sums the chunk's pairs, cut into row blocks of
    REDUCE_BLOCK_ITEMS items (Spark's map-side combine adds up a partition's blocks): the memory
    a task needs is set by `budget` and PAIRS_PER_TASK, not by the size of the data."""
    import scipy.sparse as sp

    def flush(items, weights):
        lengths = np.fromiter((len(i) for i in items), np.int64, len(items))
        u = np.repeat(np.arange(len(items)), lengths)
        x = sp.csr_matrix(
            (np.concatenate(weights), (u, np.concatenate(items))), shape=(len(items), n_items)
        )
        cooc = (x.T.tocsr() @ x).tocsr()
        for start in range(0, n_items, REDUCE_BLOCK_ITEMS):
            block = cooc[start : start + REDUCE_BLOCK_ITEMS]
            if block.nnz:
                yield start // REDUCE_BLOCK_ITEMS, block

    items: list[list[int]] = []
    weights: list[list[float]] = []
    pairs = 0
    for row in rows:
        items.append(row[0])
        weights.append(row[1])
        pairs += len(row[0]) ** 2
        if pairs >= budget:
            yield from flush(items, weights)
            items, weights, pairs = [], [], 0
    if items:
        yield from flush(items, weights)


def _best_of_block(pair, k: int):
    """One block's summed rows to (item, neighbours, similarities), by the in-process rule."""
    block, sim = pair
    r, c, v = block_neighbours(sim, block * REDUCE_BLOCK_ITEMS, k)
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) if len(r) else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(r)]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        order = np.argsort(c[a:b], kind="stable")  # the file keeps each row by item number
        yield int(r[a]), b - a, c[a:b][order].tolist(), v[a:b][order].tolist()


def _neighbour_lists(weighted, n_items: int, k: int):
    """(i, n, j, s): the k best neighbours j (by item number) of every item with any, and their
    similarities s, from the listeners' weighted rows.

    Not a self-join: each partition of listeners sums its own pairs with one scipy product
    (`_partial_products`), the partial rows are reduced by item block across partitions (a
    shuffle of sparse blocks, never through the driver), and each block keeps its top k with the
    same function as the in-process build. The listeners' partitions grow with their pairs
    (PAIRS_PER_TASK each) and every block is reduced in a task of its own, so no task holds more
    than its share, however large the data."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = weighted.sparkSession
    per_user = weighted.groupBy("u").agg(
        F.collect_list("i").alias("items"), F.collect_list("w").alias("weights")
    )
    sizes = weighted.groupBy("u").count()
    pairs = sizes.select(F.sum(F.col("count") * F.col("count"))).first()[0] or 0
    configured = int(spark.conf.get("spark.sql.shuffle.partitions") or LOCAL_SHUFFLE_PARTITIONS)
    blocks = max(1, -(-n_items // REDUCE_BLOCK_ITEMS))
    partitions = max(configured, -(-int(pairs) // PAIRS_PER_TASK))
    budget = PAIRS_PER_CHUNK
    summed = (
        per_user.select("items", "weights")
        .repartition(partitions)
        .rdd.mapPartitions(lambda rows: _partial_products(rows, n_items, budget))
        .reduceByKey(lambda a, b: a + b, numPartitions=blocks)
        .flatMap(lambda pair: _best_of_block(pair, k))
    )
    schema = T.StructType(
        [
            T.StructField("i", T.LongType()),
            T.StructField("n", T.LongType()),
            T.StructField("j", T.ArrayType(T.LongType())),
            T.StructField("s", T.ArrayType(T.DoubleType())),
        ]
    )
    return spark.createDataFrame(summed, schema, verifySchema=False)


def compute_parts(
    spark,
    listens,
    staging: str,
    *,
    neighbours: int = NEIGHBOURS,
    user_item_cap: int = USER_ITEM_CAP,
) -> dict[str, int]:
    """Run the build's jobs; writes items/, neighbours/ and profiles/ as Parquet under staging."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    @F.udf(T.StringType())
    def name_key(artist, title):
        return normalise_artist_title(artist, title)

    @F.udf(T.StringType())
    def artist_key(artist):
        return normalise_artist(artist)

    listens = listens.persist(StorageLevel.MEMORY_AND_DISK)
    pairs = listens.select("artist", "title").distinct()
    pairs = pairs.withColumn("name", name_key("artist", "title"))
    keyed = listens.join(pairs, ["artist", "title"])
    mbid_by_name = (
        keyed.where(F.col("mbid").isNotNull()).groupBy("name").agg(F.min("mbid").alias("name_mbid"))
    )
    keyed = keyed.join(mbid_by_name, "name", "left").select(
        "user",
        "artist",
        "title",
        "genres",
        F.when(F.col("mbid").isNotNull(), F.concat(F.lit("mbid:"), F.col("mbid")))
        .when(F.col("name_mbid").isNotNull(), F.concat(F.lit("mbid:"), F.col("name_mbid")))
        .otherwise(F.concat(F.lit("name:"), F.col("name")))
        .alias("key"),
    )
    keyed = keyed.persist(StorageLevel.MEMORY_AND_DISK)

    spelling = keyed.groupBy("key", "artist", "title").count()
    first = Window.partitionBy("key").orderBy(F.desc("count"), "artist", "title")
    display = (
        spelling.withColumn("rank", F.row_number().over(first))
        .where(F.col("rank") == 1)
        .select("key", "artist", "title")
    )
    genres = (
        keyed.select("key", F.explode("genres").alias("genre"))
        .distinct()
        .groupBy("key")
        .agg(F.array_join(F.array_sort(F.collect_list("genre")), ";").alias("genres"))
    )
    items = display.join(genres, "key", "left").select(
        "key",
        "artist",
        "title",
        F.coalesce(F.col("genres"), F.lit("")).alias("genres"),
        F.when(F.col("key").startswith("mbid:"), F.substring("key", 6, 64))
        .otherwise(F.lit(""))
        .alias("mbid"),
        artist_key("artist").alias("artist_key"),
    )
    items = _indexed(items, "key", "i").persist(StorageLevel.MEMORY_AND_DISK)
    users = _indexed(keyed.select("user").distinct(), "user", "u")

    counts = (
        keyed.groupBy("user", "key")
        .count()
        .join(users, "user")
        .join(items.select("key", "i"), "key")
        .select("u", "i", F.col("count").cast("double").alias("plays"))
    )
    counts = counts.persist(StorageLevel.MEMORY_AND_DISK)
    listeners = counts.groupBy("i").agg(F.count("*").alias("listeners"))
    strongest = Window.partitionBy("u").orderBy(F.desc("plays"), "i")
    profile = (
        counts.withColumn("rank", F.row_number().over(strongest))
        .where(F.col("rank") <= user_item_cap)
        .select("u", "i", F.log1p("plays").alias("x"))
    ).persist(StorageLevel.MEMORY_AND_DISK)
    norms = profile.groupBy("i").agg(F.sqrt(F.sum(F.col("x") * F.col("x"))).alias("norm"))
    weighted = profile.join(norms, "i").select("u", "i", (F.col("x") / F.col("norm")).alias("w"))
    weighted = weighted.persist(StorageLevel.MEMORY_AND_DISK)
    top = _neighbour_lists(weighted, items.count(), neighbours)
    items.join(listeners, "i", "left").fillna(0, ["listeners"]).write.mode("overwrite").parquet(
        f"{staging}/items"
    )
    # sorted by item (and listener) so the driver can stream both into the file's rows in order
    top.orderBy("i").write.mode("overwrite").parquet(f"{staging}/neighbours")
    rows = profile.groupBy("u").agg(F.array_sort(F.collect_list(F.struct("i", "x"))).alias("p"))
    rows.select("u", F.size("p").cast("long").alias("n"), "p.i", "p.x").orderBy("u").write.mode(
        "overwrite"
    ).parquet(f"{staging}/profiles")
    stats = {"listens": keyed.count(), "users": users.count()}
    for frame in (weighted, profile, counts, items, keyed, listens):
        frame.unpersist()
    return stats


@dataclass(frozen=True)
class BuiltModel:
    """What a build that wrote its model straight to a file says about it."""

    path: Path
    version: str
    size: int
    users: int
    listens: int
    name: str = MODEL_NAME


def _is_local(staging: str) -> bool:
    return "://" not in staging or staging.startswith("file://")


class _ArrowStaging:
    """The staged Parquet read by pyarrow, file by file: what the driver uses when the JVM is
    gone (a local staging folder, or one pyarrow's file systems reach)."""

    def __init__(self, staging: str) -> None:
        self.staging = staging

    def _files(self, table: str):
        import pyarrow.fs as pafs

        where = f"{self.staging}/{table}"
        if where.startswith("s3a://"):  # Hadoop's name for what pyarrow calls s3
            where = "s3://" + where[len("s3a://") :]
        try:
            fs, root = pafs.FileSystem.from_uri(where if "://" in where else os.path.abspath(where))
            infos = fs.get_file_info(pafs.FileSelector(root))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read the staged model at {where}: {exc}") from exc
        return fs, sorted(i.path for i in infos if i.is_file and i.path.endswith(".parquet"))

    def table(self, name: str):
        import pyarrow as pa
        import pyarrow.parquet as pq

        fs, files = self._files(name)
        tables = [pq.read_table(f, filesystem=fs) for f in files]
        return pa.concat_tables(tables) if tables else None

    def rows(self, table: str, key: str, index: str, value: str, n_rows: int):
        """(CSR offsets of `n_rows` rows, batches of (indices, values) in key order), from
        files that Spark's sort wrote as disjoint ranges of keys."""
        import pyarrow.parquet as pq

        fs, files = self._files(table)
        parts = []
        for f in files:
            t = pq.read_table(f, columns=[key, "n"], filesystem=fs)
            keys = t.column(key).to_numpy()
            if len(keys):
                if np.any(np.diff(keys) <= 0):
                    raise UsageError(f"the staged {table} are not in order ({f})")
                parts.append((f, keys, t.column("n").to_numpy()))
        parts.sort(key=lambda part: part[1][0])
        for (_, before, _), (f, after, _) in itertools.pairwise(parts):
            if after[0] <= before[-1]:
                raise UsageError(f"the staged {table} files overlap ({f})")
        offsets = _offsets(
            n_rows,
            np.concatenate([keys for _, keys, _ in parts] or [np.empty(0, np.int64)]),
            np.concatenate([n for _, _, n in parts] or [np.empty(0, np.int64)]),
        )

        def batches():
            for f, _, _ in parts:
                source = pq.ParquetFile(f, filesystem=fs)
                for batch in source.iter_batches(batch_size=4096, columns=[index, value]):
                    yield (
                        batch.column(index).flatten().to_numpy(),
                        batch.column(value).flatten().to_numpy(),
                    )

        return offsets, batches()


class _SparkStaging:
    """The staged Parquet read through a live session: for staging on a cluster's file system
    (HDFS, S3) under spark-submit. Rows reach the driver one partition at a time, in order."""

    def __init__(self, spark, staging: str) -> None:
        self.spark, self.staging = spark, staging

    def table(self, name: str):
        return self.spark.read.parquet(f"{self.staging}/{name}").toArrow()

    def rows(self, table: str, key: str, index: str, value: str, n_rows: int):
        frame = self.spark.read.parquet(f"{self.staging}/{table}")
        t = frame.select(key, "n").toArrow()
        offsets = _offsets(n_rows, t.column(key).to_numpy(), t.column("n").to_numpy())

        def batches():
            rows = frame.orderBy(key).select(index, value).toLocalIterator()
            while chunk := list(itertools.islice(rows, 4096)):
                yield (
                    np.fromiter(itertools.chain.from_iterable(r[0] for r in chunk), np.int64),
                    np.fromiter(itertools.chain.from_iterable(r[1] for r in chunk), np.float64),
                )

        return offsets, batches()


def _offsets(n_rows: int, keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """CSR row offsets from each non-empty row's number and length (other rows are empty)."""
    lengths = np.zeros(n_rows + 1, dtype=OFFSET_DTYPE)
    lengths[keys + 1] = counts
    return np.cumsum(lengths)


def _stream_rows(writer: ModelWriter, prefix: str, rows, spool_dir: Path) -> None:
    """`{prefix}indptr`, `{prefix}indices`, `{prefix}data` of the staged rows, in that order:
    the values wait in a spool file while the indices are written (one zip member at a time)."""
    offsets, batches = rows
    writer.write(f"{prefix}indptr", offsets)
    spool = Spool(spool_dir, VALUE_DTYPE)
    try:

        def indices():
            for index, value in batches:
                spool.add(value)
                yield index

        writer.stream(f"{prefix}indices", INDEX_DTYPE, int(offsets[-1]), indices())
        writer.stream(f"{prefix}data", VALUE_DTYPE, spool.length, spool.chunks())
    finally:
        spool.close()


def write_staged_model(staging: str, stats: dict[str, int], out: Path, spark=None) -> BuiltModel:
    """The model file from the staged Parquet, without holding its neighbours or profiles:
    the item table and the row offsets are all the driver keeps in memory. Read by pyarrow,
    or through `spark` when it is given and the staging folder is not local."""
    reader = (
        _SparkStaging(spark, staging)
        if spark is not None and not _is_local(staging)
        else _ArrowStaging(staging)
    )
    items = reader.table("items")
    if items is None:
        raise UsageError(f"the staged model at {staging} has no items")
    items = items.sort_by("i")
    n_items = len(items)
    if not np.array_equal(items.column("i").to_numpy(), np.arange(n_items)):
        raise UsageError(f"the staged items at {staging} are not numbered 0..{n_items - 1}")
    item_arrays = [
        (member, items.column(name).to_numpy(zero_copy_only=False).astype(str))
        for member, name in (
            ("keys", "key"),
            ("artists", "artist"),
            ("titles", "title"),
            ("mbids", "mbid"),
            ("genres", "genres"),
        )
    ]
    item_arrays.append(("popular", popular_order(items.column("listeners").to_numpy())))
    artist_keys = items.column("artist_key").to_numpy(zero_copy_only=False)
    item_arrays.append(("item_artist", artist_numbers(artist_keys)))
    del items, artist_keys
    listens, users = stats["listens"], stats["users"]
    out = Path(out)
    with ModelWriter(out, version_prefix(listens)) as writer:
        for member, array in item_arrays:
            writer.write(member, array)
        del item_arrays
        _stream_rows(writer, "", reader.rows("neighbours", "i", "j", "s", n_items), out.parent)
        profiles = reader.rows("profiles", "u", "i", "x", users)
        _stream_rows(writer, "profile_", profiles, out.parent)
        version = writer.finish(model_meta(users, listens))
    return BuiltModel(out, version, n_items, users, listens)


def _stop_jvm(spark) -> None:
    """Stop the session and its JVM: `stop()` alone leaves the gateway JVM running, heap and
    all, until the Python process exits (measured: 0.93 GiB beside the 1.03 GiB model at 3M)."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    spark.stop()
    proc = getattr(gateway, "proc", None)  # None when the JVM was not started by this process
    if gateway is None or proc is None:
        return
    gateway.shutdown()
    proc.stdin.close()  # the gateway server exits when its standard input closes
    proc.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None


def build_model_spark(
    paths: Sequence[str | Path],
    out: Path,
    *,
    spark=None,
    master: str | None = None,
    neighbours: int = NEIGHBOURS,
    user_item_cap: int = USER_ITEM_CAP,
    staging: str | None = None,
    driver_memory: str | None = None,
    local_dir: str | None = None,
) -> BuiltModel:
    """Computes the model on Spark (a session is started unless given) and writes it to `out`."""
    own = spark is None
    if own:
        spark = spark_session(master, driver_memory=driver_memory, local_dir=local_dir)
    try:
        listens = read_listens_frame(spark, paths)
        with tempfile.TemporaryDirectory(prefix="tonearm-spark-", dir=local_dir) as tmp:
            where = staging or tmp
            stats = compute_parts(
                spark, listens, where, neighbours=neighbours, user_item_cap=user_item_cap
            )
            if stats["listens"] == 0:
                raise UsageError("the listens have no usable listens (each needs artist and title)")
            if own and _is_local(where):  # the file is written from local Parquet: free the heap
                _stop_jvm(spark)
                own, spark = False, None
            return write_staged_model(where, stats, Path(out), spark)
    finally:
        if own:
            spark.stop()


def main(argv: list[str] | None = None) -> int:
    """`spark-submit recommender/server/spark_build.py --listens ... --out model.npz`."""
    parser = argparse.ArgumentParser(
        prog="spark_build", description="Build the Tonearm CF model on Spark"
    )
    parser.add_argument("--listens", nargs="+", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--staging", help="a folder every executor and the driver can reach")
    parser.add_argument("--neighbours", type=int, default=NEIGHBOURS)
    args = parser.parse_args(argv)
    started = time.monotonic()
    spark = spark_session(None)
    try:
        model = build_model_spark(
            args.listens,
            Path(args.out),
            spark=spark,
            neighbours=args.neighbours,
            staging=args.staging,
        )
    finally:
        spark.stop()
    print(
        f"model {model.version}: {model.size:,} items, {model.users:,} users, "
        f"{model.listens:,} listens, built on Spark in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The CF model file: one .npz of plain arrays (no pickles), written one member at a time.

Both builds write through `ModelWriter`. The in-process build hands it whole arrays; the Spark
build streams the large ones (the neighbours and the listeners' profiles) batch by batch from
its staged Parquet, so its driver never holds the model whole: what it holds is the item table
and two offset arrays. The file is written beside its final name and renamed into place, so a
replica watching the path never reads half a file.

The version is a hash of the content in the order it is written (`MEMBERS`), chunk by chunk, so
the same model gets the same version however it was written.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

MEMBERS = (
    "keys",
    "artists",
    "titles",
    "mbids",
    "genres",
    "popular",
    "item_artist",
    "indptr",
    "indices",
    "data",
    "profile_indptr",
    "profile_indices",
    "profile_data",
)
"""The arrays of a model file in the order they are written and hashed. A model without the
listeners' profiles (format 1) leaves out `item_artist` and the `profile_` arrays."""
INDEX_DTYPE = np.dtype(np.int32)
"""Item numbers (neighbours' and profiles' indices): fixed, so both builds hash the same bytes."""
OFFSET_DTYPE = np.dtype(np.int64)
VALUE_DTYPE = np.dtype(np.float32)
COPY_BYTES = 16 << 20


class ContentHash:
    """sha1 over each member's name and values, independent of how the values were chunked."""

    def __init__(self, prefix: str) -> None:
        self._sha = hashlib.sha1(prefix.encode())

    def begin(self, name: str) -> None:
        self._sha.update(b"\0" + name.encode() + b"\0")

    def update(self, chunk: np.ndarray) -> None:
        if chunk.dtype.kind == "U":  # by text, so the width numpy chose does not matter
            self._sha.update("".join(f"{s}\n" for s in chunk.tolist()).encode())
        else:
            self._sha.update(_bytes(chunk))

    def version(self) -> str:
        return self._sha.hexdigest()[:12]


def content_version(prefix: str, arrays: Iterable[tuple[str, np.ndarray]]) -> str:
    """The version `ModelWriter` would give these arrays, without writing them."""
    digest = ContentHash(prefix)
    for name, array in arrays:
        digest.begin(name)
        digest.update(array)
    return digest.version()


def _bytes(chunk: np.ndarray) -> memoryview:
    return np.ascontiguousarray(chunk).reshape(-1).view(np.uint8).data


class ModelWriter:
    """Writes the members of one model file, then `finish(meta)` renames it into place."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._hash = ContentHash(prefix)
        self._next = 0  # members come in MEMBERS order: the version depends on it
        self._zip: zipfile.ZipFile | None = zipfile.ZipFile(
            self.tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True
        )

    def __enter__(self) -> ModelWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._zip is not None:  # not finished: an error; leave no half file behind
            self._zip.close()
            self._zip = None
            self.tmp.unlink(missing_ok=True)

    def write(self, name: str, array: np.ndarray) -> None:
        array = np.asarray(array)
        self.stream(name, array.dtype, len(array), [array])

    def stream(
        self, name: str, dtype: np.dtype | type, length: int, chunks: Iterable[np.ndarray]
    ) -> None:
        """One 1-d array of `length` values of `dtype`, from chunks that arrive in order."""
        assert self._zip is not None, "the model file is already finished"
        if name not in MEMBERS[self._next :]:
            raise ValueError(f"model member {name!r} out of order (members: {', '.join(MEMBERS)})")
        self._next = MEMBERS.index(name) + 1
        dtype = np.dtype(dtype)
        header = {
            "descr": np.lib.format.dtype_to_descr(dtype),
            "fortran_order": False,
            "shape": (int(length),),
        }
        self._hash.begin(name)
        written = 0
        with self._zip.open(f"{name}.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            for chunk in chunks:
                chunk = np.asarray(chunk, dtype=dtype)
                self._hash.update(chunk)
                fh.write(_bytes(chunk))
                written += len(chunk)
        if written != length:
            raise ValueError(f"model member {name}: {written:,} values where {length:,} were due")

    def finish(self, meta: dict[str, object]) -> str:
        """Writes `meta` (with the version added), renames the file into place; the version."""
        assert self._zip is not None, "the model file is already finished"
        version = self._hash.version()
        with self._zip.open("meta.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array(json.dumps({**meta, "version": version})))
        self._zip.close()
        self._zip = None
        os.replace(self.tmp, self.path)
        return version


class Spool:
    """A temporary file of values, for a member that must wait while another is written (a zip
    file takes one member at a time): the Spark build reads each batch's indices and values
    together, writes the indices, and spools the values until the indices are done."""

    def __init__(self, folder: Path, dtype: np.dtype | type) -> None:
        self.dtype = np.dtype(dtype)
        self.path = Path(folder) / f".tonearm-spool-{os.getpid()}-{id(self)}"
        self._fh = self.path.open("w+b")
        self.length = 0

    def add(self, chunk: np.ndarray) -> None:
        chunk = np.asarray(chunk, dtype=self.dtype)
        self._fh.write(_bytes(chunk))
        self.length += len(chunk)

    def chunks(self) -> Iterator[np.ndarray]:
        self._fh.flush()
        self._fh.seek(0)
        step = max(1, COPY_BYTES // self.dtype.itemsize) * self.dtype.itemsize
        while block := self._fh.read(step):
            yield np.frombuffer(block, dtype=self.dtype)

    def close(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)

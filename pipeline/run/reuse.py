"""What a published run's tables were made of, so that the next run links what it would write alike.

Besides its tables and summary, a run's folder (``DIR/.zhibiao/runs/<id>/``) holds ``.assembly/``:

    record.json               every part file's recipe and checksum, the checksums of the files below,
                              every document with a signature (in run order) and its near duplicate
    signatures.npy            those documents' MinHash signatures
    panel_indicators.arrow    the columns of the indicators and documents tables the panel reads,
    panel_documents.arrow       part by part

A part's recipe says what it is made from: the cache entry (stage, key) and table it copies; for a
documents part also a hash of the near-duplicate links written into it; for the panel, the recipes
of every indicators and documents part. A run that would make a part of a recipe the published run
has hard-links that run's file into its own folder instead of writing it, after checking the file
against its recorded checksum (a damaged table file is written again from the cache). Table files
are never linked to cache entries, so damaging one cannot damage the cache: links join the files of
two run folders only, and the older folder is removed once the newer is published.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.run.cache import file_digest, write_json_atomic
from pipeline.run.neardup import ShardSignatures
from pipeline.run.publish import published_dir
from pipeline.stages.clean.dedup import NUM_PERM

ASSEMBLY = ".assembly"
RECORD = "record.json"
#: Version of the record's layout (a record of another version is not used).
FORMAT = 1
SIGNATURES = "signatures.npy"
#: The columns the panel reads, by table (:mod:`pipeline.analysis.panel`).
PANEL_FILES = {"indicators": "panel_indicators.arrow", "documents": "panel_documents.arrow"}


class PreviousRun:
    """The published run of an output folder, as the next run may reuse it."""

    def __init__(self, folder: Path, record: dict[str, Any]) -> None:
        self.folder = folder
        self.record = record
        self.by_recipe = {recipe: (rel, digest) for rel, (recipe, digest) in record["parts"].items()}

    @classmethod
    def load(cls, out: Path) -> PreviousRun | None:
        """The published run of ``out`` with its record, or None (none, or one without a usable record)."""
        link = published_dir(out)
        if not link.is_symlink():
            return None
        folder = link.resolve()
        try:
            record = json.loads((folder / ASSEMBLY / RECORD).read_text(encoding="utf-8"))
            if record.get("format") != FORMAT:
                return None
            return cls(folder, record)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def link(self, recipe: str, dst: Path) -> str | None:
        """Hard-link the file of ``recipe`` to ``dst`` when the run has it intact; returns its checksum."""
        found = self.by_recipe.get(recipe)
        if found is None:
            return None
        src = os.path.join(self.folder, found[0])
        try:
            if file_digest(src) != found[1]:
                return None  # damaged since it was published: written again
            os.link(src, dst)
        except OSError:
            return None
        return found[1]

    def _intact(self, name: str) -> Path | None:
        """Path of one of the run's ``.assembly`` files, when it is there with its recorded checksum."""
        path = self.folder / ASSEMBLY / name
        try:
            return path if file_digest(path) == self.record["files"][name] else None
        except (OSError, KeyError):
            return None

    def arrow(self, name: str) -> pa.Table | None:
        """One of the run's ``.assembly`` Arrow tables, when it is intact."""
        path = self._intact(name)
        if path is None:
            return None
        try:
            with pa.memory_map(str(path)) as source:
                return pa.ipc.open_file(source).read_all()
        except (OSError, pa.ArrowException):
            return None

    def signatures(self) -> tuple[list[str], dict[str, ShardSignatures]]:
        """The run's shards (in order) and each one's signatures and near duplicates."""
        path = self._intact(SIGNATURES)
        try:
            sigs = np.load(path, allow_pickle=False) if path is not None else None
        except (OSError, ValueError):
            sigs = None
        docs = self.record.get("signature_docs", {})
        if sigs is None or sigs.shape != (len(docs.get("ids", ())), NUM_PERM):
            return [], {}
        ids, found = docs["ids"], docs["found"]
        order: list[str] = []
        shards: dict[str, ShardSignatures] = {}
        start = 0
        for key, n in self.record["signature_shards"]:
            order.append(key)
            shards[key] = ShardSignatures(key, ids[start:start + n], sigs[start:start + n], found[start:start + n])
            start += n
        return order, shards

    def panel_slices(self, table: str) -> dict[str, pa.Table]:
        """The panel's columns of table ``table``, by the recipe of the part they are from."""
        data = self.arrow(PANEL_FILES[table])
        if data is None:
            return {}
        out: dict[str, pa.Table] = {}
        start = 0
        for recipe, n in self.record["panel_slices"][table]:
            out[recipe] = data.slice(start, n)
            start += n
        return out


def _matrix(column: pa.ChunkedArray) -> np.ndarray:
    """A column of signatures (list or fixed-size list of uint64) as an (n, NUM_PERM) array."""
    parts = []
    for chunk in column.chunks:
        if isinstance(chunk, pa.FixedSizeListArray):  # its buffer as it is (flatten() copies slowly)
            values = chunk.values
            flat = np.frombuffer(values.buffers()[1], dtype=np.uint64, count=values.offset + len(values))
            parts.append(flat[values.offset:][chunk.offset * NUM_PERM:(chunk.offset + len(chunk)) * NUM_PERM])
        else:
            parts.append(np.asarray(chunk.flatten().to_numpy(zero_copy_only=False), dtype=np.uint64))
    flat = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    return flat.reshape(-1, NUM_PERM)


def read_parquet(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file as a table (:class:`pyarrow.parquet.ParquetFile`: ``pq.read_table`` goes through
    ``pyarrow.dataset``, whose import, with pandas, costs a quarter of a second)."""
    with pq.ParquetFile(path) as reader:
        return reader.read(columns=columns)


def read_signatures(path: Path, key: str) -> ShardSignatures:
    """A shard's signatures from its clean stage's cache entry (``signatures.parquet``)."""
    table = read_parquet(path)
    return ShardSignatures(key, table.column("doc_id").to_pylist(), _matrix(table.column("minhash")))


class Assembly:
    """The record of the run being assembled in ``run_dir``: parts made or linked from ``previous``."""

    def __init__(self, run_dir: Path, previous: PreviousRun | None) -> None:
        self.run_dir = run_dir
        self.previous = previous
        self.parts: dict[str, list[str]] = {}
        self.linked = 0
        self.signatures: tuple[list[ShardSignatures], list[list[str | None]]] | None = None
        self.panel: dict[str, list[tuple[str, pa.Table]]] = {}

    def part(self, rel: str, recipe: str, build: Callable[[Path], object]) -> None:
        """Make part file ``rel`` of recipe ``recipe``: linked from the previous run, else ``build(path)``."""
        dst = self.run_dir / rel
        digest = self.previous.link(recipe, dst) if self.previous is not None else None
        if digest is None:
            build(dst)
            digest = file_digest(dst)
        else:
            self.linked += 1
        self.parts[rel] = [recipe, digest]

    def recipe(self, rel: str) -> str:
        return self.parts[rel][0]

    def save(self) -> None:
        """Write the record and its tables into the run's ``.assembly`` folder."""
        folder = self.run_dir / ASSEMBLY
        folder.mkdir()
        files: dict[str, str] = {}
        record: dict[str, Any] = {"format": FORMAT, "parts": self.parts, "signature_shards": [],
                                  "panel_slices": {}}
        if self.signatures is not None:
            shards, found = self.signatures
            record["signature_shards"] = [[s.key, len(s.ids)] for s in shards]
            record["signature_docs"] = {"ids": [i for s in shards for i in s.ids],
                                        "found": [f for shard in found for f in shard]}
            sigs = np.concatenate([s.sigs for s in shards]) if shards else np.zeros((0, NUM_PERM), np.uint64)
            with (folder / SIGNATURES).open("wb") as fh:
                np.save(fh, np.ascontiguousarray(sigs, dtype=np.uint64), allow_pickle=False)
            files[SIGNATURES] = file_digest(folder / SIGNATURES)
        for name, slices in self.panel.items():
            record["panel_slices"][name] = [[recipe, t.num_rows] for recipe, t in slices]
            table = pa.concat_tables([t for _, t in slices]) if slices else None
            if table is not None:
                files[PANEL_FILES[name]] = _write_arrow(table, folder / PANEL_FILES[name])
        record["files"] = files
        write_json_atomic(folder / RECORD, record)


def _write_arrow(table: pa.Table, path: Path) -> str:
    """Write an Arrow IPC file (read back by memory map, without pandas); returns its checksum."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return file_digest(path)

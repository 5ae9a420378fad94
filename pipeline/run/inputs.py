"""Scanning the inputs with a stat cache: an input file unchanged since the last run is not read again.

The state folder keeps, for every input file of the last run, its stat signature (size, mtime and
ctime in nanoseconds, inode, device) and what reading it gave: each page's source, path, size,
content hash and meta, and each read error. When a file's signature is the same, :func:`scan_inputs`
yields those again (:class:`PageRef` without the bytes) instead of reading and hashing the file. A
change of content changes the signature: a write sets mtime and ctime, and ctime cannot be set back
(``touch -d``, ``cp -p``, ``rsync -t`` and unpacking an archive set mtime, but the kernel sets ctime
to the time of that change; a file replaced by another has another inode). Two cases the signature
cannot see are ruled out:

- a file written again within the clock tick of the scan (a "racy" entry, as git calls it): files
  whose ctime is less than :data:`RACY_NS` before the scan started are not remembered;
- a changed file whose pages a shard must read again (its neighbour changed): the bytes are read,
  hashed and compared (:func:`read_pages`); a mismatch raises :class:`StaleInput` and the runner
  starts again reading every file.

``zhibiao run --full-check`` reads and hashes every file whatever its signature.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.records import ErrorRecord, Page
from pipeline.run.sources import input_files, iter_file, not_found
from pipeline.stages.clean.dedup import content_hash

#: File of the stat cache in the state folder.
STAT_CACHE = "inputs.json"
#: Version of its layout (another version is ignored).
FORMAT = 1
#: A file whose ctime is this close to (or after) the start of the scan is not remembered: it may be
#: written again within the same clock tick, leaving its signature unchanged.
RACY_NS = 2_000_000_000


@dataclass
class PageRef:
    """A page of the inputs: what sharding needs (identity, size, content hash), and the page itself
    when it was read this run (None: known from the stat cache, read again only if a shard needs it)."""

    source: str
    path: str
    nbytes: int
    hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    page: Page | None = None


Item = PageRef | ErrorRecord


def _signature(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _encode(item: Item) -> list[Any]:
    if isinstance(item, PageRef):
        return ["p", item.source, item.path, item.nbytes, item.hash, item.meta]
    return ["e", item.source, item.path, item.stage, item.reason, item.message]


def _decode(row: list[Any], file: str) -> Item:
    if row[0] == "p":
        return PageRef(row[1], row[2], row[3], row[4], row[5], file)
    return ErrorRecord(row[1], row[2], row[3], row[4], row[5])


class StatCache:
    """The stat cache of an output folder: read at the start of a run, written at the end of its scan.

    ``use=False`` (a full check) ignores what is there but still writes what this run saw."""

    def __init__(self, state: Path, max_bytes: int | None, use: bool = True) -> None:
        self.path = state / STAT_CACHE
        self.max_bytes = max_bytes
        self.started = time.time_ns()
        self.old: dict[str, list[Any]] = {}
        self.new: dict[str, list[Any]] = {}
        self.hits = 0
        if use:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("format") == FORMAT and data.get("max_bytes") == max_bytes:
                    self.old = data["files"]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self.old = {}  # none yet, or unreadable: every file is read

    def lookup(self, file: str, st: os.stat_result) -> list[Item] | None:
        """The items of ``file`` when its signature is the one remembered, else None."""
        entry = self.old.get(file)
        if entry is None or entry[0] != _signature(st):
            return None
        self.hits += 1
        self.new[file] = entry
        return [_decode(row, file) for row in entry[1]]

    def record(self, file: str, st: os.stat_result, items: list[Item]) -> None:
        """Remember what reading ``file`` gave (unless it changed too recently to trust its signature)."""
        if max(st.st_ctime_ns, st.st_mtime_ns) < self.started - RACY_NS:
            self.new[file] = [_signature(st), [_encode(i) for i in items]]

    def forget(self) -> None:
        """Drop everything (a file's bytes did not match its remembered hash)."""
        self.old, self.new = {}, {}

    def save(self) -> None:
        """Write what this run saw (atomically)."""
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps({"format": FORMAT, "max_bytes": self.max_bytes, "files": self.new},
                                  ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.path)


def scan_inputs(paths: list[str | Path], max_bytes: int | None, cache: StatCache | None = None) -> Iterator[Item]:
    """Pages (as :class:`PageRef`) and read errors of every input, in the order of
    :func:`pipeline.run.sources.iter_inputs`; files the stat cache knows are not read."""
    for entry in input_files(paths):
        if isinstance(entry, ErrorRecord):
            yield entry
            continue
        path, st = entry
        if st is None:
            yield not_found(path)
            continue
        known = cache.lookup(path, st) if cache is not None else None
        if known is not None:
            yield from known
            continue
        items: list[Item] = []
        for item in iter_file(Path(path), max_bytes):
            ref: Item = item
            if isinstance(item, Page):
                ref = PageRef(item.source, item.path, len(item.data), content_hash(item.data), item.meta, path, item)
            items.append(ref)
            yield ref
        if cache is not None:
            cache.record(path, st, items)


class StaleInput(RuntimeError):
    """A file's bytes no longer match the hash its stat signature stands for."""


def read_pages(items: list[Item], max_bytes: int | None) -> list[Page | ErrorRecord]:
    """The shard's items as the clean stage takes them: pages known from the stat cache are read again
    (each input file once) and their hashes checked (:class:`StaleInput` when one differs)."""
    files: dict[str, dict[str, Page]] = {}
    out: list[Page | ErrorRecord] = []
    for item in items:
        if isinstance(item, ErrorRecord):
            out.append(item)
            continue
        page = item.page
        if page is None:
            if item.file not in files:
                files[item.file] = {p.path: p for p in iter_file(Path(item.file), max_bytes) if isinstance(p, Page)}
            page = files[item.file].get(item.path)
            if page is None or content_hash(page.data) != item.hash or page.meta != item.meta:
                raise StaleInput(f"{item.path} changed while its stat signature did not")
        out.append(page)
    return out

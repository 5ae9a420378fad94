"""Which cache entries were checked against their checksums, and the stat of their files then.

Checking an entry (:func:`pipeline.run.cache.entry_intact`) reads all its files: for the 927
entries of a 10,000-page archive a quarter of a second a run, whatever changed. A run records,
for every entry it found intact, the stat signature (size, mtime and ctime in nanoseconds,
inode) of each of its files; the next run checks an entry's checksums again only when one of
those changed. Any write to a file, a truncation or a replacement changes its ctime, which no
tool can set back, so damage done through the filesystem is always caught; damage that changes
no ctime (the disk itself losing bits) is caught by ``--full-check``, which checks every entry.
Files changed within :data:`RACY_NS` of the check are not trusted by their stat.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from pipeline.run.cache import SUMS, entry_intact, shard_dir, state_dir, write_json_atomic

#: File of the record in the state folder.
VERIFIED = "verified.json"
FORMAT = 1
#: Files changed this close to the check are checked again next time (a write within one clock tick).
RACY_NS = 2_000_000_000


def _signature(folder: Path, names: list[str]) -> list[list[Any]] | None:
    sig = []
    for name in names:
        try:
            st = os.stat(os.path.join(folder, name))
        except OSError:
            return None
        sig.append([name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    return sig


class EntryChecks:
    """The entries of ``out`` checked by earlier runs (ignored with ``use=False``) and by this one."""

    def __init__(self, out: Path, use: bool = True) -> None:
        self.out = out
        self.path = state_dir(out) / VERIFIED
        self.started = time.time_ns()
        self.old: dict[str, list[list[Any]]] = {}
        self.new: dict[str, list[list[Any]]] = {}
        if use:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("format") == FORMAT:
                    self.old = data["entries"]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self.old = {}

    def intact(self, stage: str, key: str) -> bool:
        """Whether a finished entry is intact: its files' stat as when it was last found intact, else its
        checksums (:func:`pipeline.run.cache.entry_intact`)."""
        name = f"{stage}/{key}"
        folder = shard_dir(self.out, stage, key)
        known = self.old.get(name)
        if known is not None and _signature(folder, [f[0] for f in known]) == known:
            self.new[name] = known
            return True
        if not entry_intact(self.out, stage, key):
            return False
        try:
            names = sorted(json.loads((folder / SUMS).read_text(encoding="utf-8"))) + [SUMS]
        except (OSError, ValueError):
            return True  # an entry of before checksums: checked again every run
        sig = _signature(folder, names)
        if sig is not None and all(max(f[2], f[3]) < self.started - RACY_NS for f in sig):
            self.new[name] = sig
        return True

    def save(self) -> None:
        """Keep the entries found intact by this run (those of other runs' shards are checked again)."""
        write_json_atomic(self.path, {"format": FORMAT, "entries": self.new})

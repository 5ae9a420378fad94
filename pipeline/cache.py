"""The runner's stage cache: where each shard's stage output lives, its key, and atomic commits.

Layout under an output folder ``DIR``::

    DIR/.zhibiao/manifest.json                      shards of the last run, in input order
    DIR/.zhibiao/cache/<stage>/<kk>/<key>/          one shard's output of one stage
        <table>.parquet  errors.parquet  stats.json  _DONE

A stage's key hashes what its output depends on: the shard's pages (source,
path, content hash), the stage's code version, rules_version() and the model
version, and the key of the stage before it. A finished shard directory is
written under a temporary name and renamed into place, with a ``_DONE``
marker, so a killed run leaves nothing half-written and a re-run skips it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

STATE_DIR = ".zhibiao"
STAGES = ("clean", "segment", "extract")
#: Tables each stage writes (besides errors).
STAGE_TABLES: dict[str, tuple[str, ...]] = {
    "clean": ("documents",), "segment": ("sentences", "tokens"), "extract": ("mentions", "indicators"),
}
DONE = "_DONE"

_PIPELINE = Path(__file__).resolve().parent
#: Entry modules of each stage; a stage's code version hashes them and every module they import.
STAGE_ENTRIES: dict[str, tuple[str, ...]] = {
    "clean": ("clean", "topic"), "segment": ("segment",), "extract": ("extract",),
}
_IMPORT = re.compile(r"^\s*from \.(\w*) import ([\w, ()]+)", re.M)


def digest(*parts: str) -> str:
    """Short stable hash of strings."""
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _hash_files(paths: Iterable[Path]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def models_version() -> str:
    """Hash of the trained model files in force (empty when there are none)."""
    try:
        from .features import models_dir

        folder = models_dir()
    except ImportError:
        folder = _PIPELINE.parent / "models"
    if not folder.is_dir():
        return ""
    return _hash_files(p for p in folder.rglob("*") if p.is_file())


def module_closure(entries: Iterable[str]) -> list[Path]:
    """Source files of ``entries`` and of every pipeline module they import, directly or not."""
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        name = todo.pop()
        path = _PIPELINE / f"{name}.py"
        if name in seen or not path.exists():
            continue
        seen.add(name)
        for m in _IMPORT.finditer(path.read_text(encoding="utf-8")):
            todo += [m.group(1)] if m.group(1) else [n.strip(" ()") for n in m.group(2).split(",")]
    return sorted(_PIPELINE / f"{n}.py" for n in seen)


#: Rule files that only the segment stage reads; the other stages' versions leave them out so a
#: dictionary edit does not re-clean every page.
SEGMENT_RULES = ("userdict.txt",)


def rules_hash(exclude: tuple[str, ...] = ()) -> str:
    """Hash of the rule files in force (like rules_version()), leaving out ``exclude``."""
    from .rulefiles import rules_dir

    folder = rules_dir()
    return _hash_files(p for p in folder.iterdir() if p.is_file() and p.name not in exclude)


def stage_versions() -> dict[str, str]:
    """Version of each stage: its code (entry modules and their imports), the rules in force, the models."""
    from .segment import SEGMENT_VERSION, tokenizer_backend, userdict_version

    rules, models = rules_hash(exclude=SEGMENT_RULES), models_version()
    code = {stage: _hash_files(module_closure(entries)) for stage, entries in STAGE_ENTRIES.items()}
    return {
        "clean": digest("clean", code["clean"], rules, models),
        "segment": digest(SEGMENT_VERSION, tokenizer_backend(), code["segment"], userdict_version()),
        "extract": digest("extract", code["extract"], rules, models),
    }


def shard_keys(content_id: str, versions: dict[str, str]) -> dict[str, str]:
    """Cache key of each stage for a shard whose pages hash to ``content_id``; each key chains the one before."""
    keys: dict[str, str] = {}
    prev = content_id
    for stage in STAGES:
        prev = keys[stage] = digest(prev, versions[stage])
    return keys


def state_dir(out: Path) -> Path:
    return out / STATE_DIR


def shard_dir(out: Path, stage: str, key: str) -> Path:
    """Folder of one shard's output of one stage."""
    return state_dir(out) / "cache" / stage / key[:2] / key


def is_done(out: Path, stage: str, key: str) -> bool:
    return (shard_dir(out, stage, key) / DONE).exists()


def commit(out: Path, stage: str, key: str, files: dict[str, Any], stats: dict[str, Any]) -> None:
    """Write a shard's stage output atomically: ``files`` maps a file name to a callable writing it to a path."""
    final = shard_dir(out, stage, key)
    tmp = final.with_name(f".{key}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        for name, write in files.items():
            write(tmp / name)
        (tmp / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        (tmp / DONE).write_text("", encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / DONE).exists():  # a half-written leftover (cannot happen with rename, but be safe)
                shutil.rmtree(final, ignore_errors=True)
                os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_stats(out: Path, stage: str, key: str) -> dict[str, Any]:
    return json.loads((shard_dir(out, stage, key) / "stats.json").read_text(encoding="utf-8"))


def pid_alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(out: Path) -> int:
    """Delete temporary shard folders that a killed run left behind (their writer's process is gone);
    those of a run still going in the same folder are left alone. Returns how many were removed."""
    root = state_dir(out) / "cache"
    n = 0
    if root.is_dir():
        for tmp in root.glob("*/*/.*.tmp-*"):
            pid = tmp.name.rsplit(".tmp-", 1)[1].split("-", 1)[0]
            if pid.isdigit() and pid_alive(int(pid)):
                continue
            shutil.rmtree(tmp, ignore_errors=True)
            n += 1
    return n


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON under a temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(out: Path) -> dict[str, Any]:
    path = state_dir(out) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{out} holds no pipeline run (run `zhibiao clean PATH --out {out}` first)")
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_json_atomic(state_dir(out) / "manifest.json", manifest)

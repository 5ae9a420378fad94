"""The runner's stage cache: where each shard's stage output lives, its key, and atomic commits.

Layout under an output folder ``DIR``::

    DIR/.zhibiao/manifest.json                      shards of the last run, in input order
    DIR/.zhibiao/lock                               runs hold it shared, pruning exclusive (flock)
    DIR/.zhibiao/cache/<stage>/<kk>/<key>/          one shard's output of one stage
        <table>.parquet  errors.parquet  stats.json  meta.json  [_TIMED_OUT]  sums.json  _DONE

A stage's key hashes what its output depends on: the shard's pages (source,
path, content hash), the stage's version (its code, the rule files it reads, its data, the models
it uses), and the key of the stage before it. A finished shard directory is
written under a temporary name and renamed into place, with a ``_DONE``
marker, so a killed run leaves nothing half-written and a re-run skips it.
``meta.json`` records the version chain the entry was made with (the versions
of its stage and the stages before it), so that :func:`prune` can tell entries
of older code, rules or models from current ones. A finished entry is never
changed; it is removed (pruned, or invalidated for a retry) by renaming it to a
``.<key>.trash-<pid>`` name first and deleting that, so no reader ever sees half an entry.
``sums.json`` holds a checksum of every other file of the entry: :func:`entry_intact`
tells a damaged entry (a file truncated, overwritten or gone, or no checksums) from an
intact one, and the runner drops a damaged entry and computes it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.codegraph import PACKAGE_DIR, closure
from pipeline.ruleset.rulefiles import rules_dir
from pipeline.stages.features import models_dir
from pipeline.stages.registry import STAGES as STAGE_REGISTRY

STATE_DIR = ".zhibiao"
STAGES: tuple[str, ...] = tuple(STAGE_REGISTRY)
#: Tables each stage writes (besides errors; the clean stage's signatures are no table of DIR).
STAGE_TABLES: dict[str, tuple[str, ...]] = {
    name: tuple(t for t in stage.writes if t != "signatures") for name, stage in STAGE_REGISTRY.items()
}
DONE = "_DONE"
META = "meta.json"
SUMS = "sums.json"

_PIPELINE = PACKAGE_DIR


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
        h.update((str(p.relative_to(_PIPELINE)) if p.is_relative_to(_PIPELINE) else p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def models_version() -> str:
    """Hash of the trained model files in force (empty when there are none)."""
    folder = models_dir()
    if not folder.is_dir():
        return ""
    return _hash_files(p for p in folder.rglob("*") if p.is_file())


def module_closure(entries: Iterable[str]) -> list[Path]:
    """Source files of ``entries`` (dotted names) and of every pipeline module they import."""
    return closure(entries)


def rules_hash(names: Iterable[str]) -> str:
    """Hash of the rule files in force called ``names`` (those that exist)."""
    folder = rules_dir()
    return _hash_files(p for p in folder.iterdir() if p.is_file() and p.name in set(names))


def rule_files_read(files: Iterable[Path]) -> list[str]:
    """Names of the rule files in force that the source ``files`` name (the files a stage's code reads)."""
    names = [p.name for p in rules_dir().iterdir() if p.is_file()]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    return sorted(n for n in names if n in text)


def _code_parts() -> dict[str, Any]:
    """What the stages' versions hash besides their declared data: per stage, its code (entry modules
    and every module they import) and the rule files that code names; the models."""
    parts: dict[str, Any] = {"models": models_version()}
    for name, stage in STAGE_REGISTRY.items():
        files = module_closure(stage.entry_modules)
        parts[name] = [_hash_files(files), rules_hash(rule_files_read(files))]
    return parts


#: File of the code versions' stat cache in the state folder.
VERSIONS_CACHE = "versions.json"
#: Files changed this close to (or after) now are not trusted by their stat (a write within one tick).
RACY_NS = 2_000_000_000


def _code_signature() -> tuple[list[Any], int]:
    """The stat signature (path, size, mtime, ctime, inode) of every file the code parts read: the
    package's sources, the rules and the models in force; and the newest ctime among them."""
    sig: list[Any] = []
    newest = 0
    folders = ((_PIPELINE, "*.py"), (rules_dir(), "*"), (models_dir(), "*"))
    for folder, pattern in folders:
        sig.append(str(folder))
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob(pattern)):
            st = path.stat()
            if path.is_file():
                sig.append([str(path.relative_to(folder)), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
                newest = max(newest, st.st_ctime_ns, st.st_mtime_ns)
    return sig, newest


def code_key() -> tuple[str, bool]:
    """A hash of the stat signatures of the code, rules and models (:func:`_code_signature`), and whether
    it may be kept (no file changed within :data:`RACY_NS`)."""
    sig, newest = _code_signature()
    return digest(json.dumps(sig)), newest < time.time_ns() - RACY_NS


#: File in the state folder naming the code key whose rule files were last validated.
RULES_CHECKED = "rules-checked.json"


def rules_checked(out: Path, key: str) -> bool:
    """Whether a run validated the rule files in force (and the code that reads them) as they are now."""
    try:
        return json.loads((state_dir(out) / RULES_CHECKED).read_text(encoding="utf-8")) == key
    except (OSError, ValueError):
        return False


def note_rules_checked(out: Path, key: str) -> None:
    write_json_atomic(state_dir(out) / RULES_CHECKED, key)


def _cached_code_parts(state: Path) -> dict[str, Any]:
    """:func:`_code_parts`, from ``state``'s cache when no file it reads changed since (by stat)."""
    path = state / VERSIONS_CACHE
    key, keep = code_key()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return data["parts"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # none yet or unreadable: computed again
    parts = _code_parts()
    if keep:
        write_json_atomic(path, {"key": key, "parts": parts})
    return parts


def stage_versions(state: Path | None = None) -> dict[str, str]:
    """Version of each stage: its code (entry modules and every module they import), the rule files
    that code names, the data it declares (:meth:`pipeline.stages.stage.Stage.versions`) and, for a
    stage that uses them, the models. A rule file only one stage's code reads changes that stage's
    version (and, through the version chains, the stages after it) and no other.

    With ``state`` (an output's state folder) the hashes of code, rules and models are kept there
    and reused while none of their files' stat signatures changed (:data:`VERSIONS_CACHE`)."""
    parts = _cached_code_parts(state) if state is not None and state.is_dir() else _code_parts()
    out = {}
    for name, stage in STAGE_REGISTRY.items():
        out[name] = digest(name, *parts[name], *stage.versions(), parts["models"] if stage.uses_models else "")
    return out


def version_chains(versions: dict[str, str]) -> dict[str, str]:
    """Version chain of each stage: its version and the versions of the stages before it (an entry
    of a stage is current when its recorded chain equals this)."""
    chains: dict[str, str] = {}
    prev = ""
    for stage in STAGES:
        prev = chains[stage] = digest(prev, versions[stage])
    return chains


def shard_keys(content_id: str, versions: dict[str, str]) -> dict[str, str]:
    """Cache key of each stage for a shard whose pages hash to ``content_id``; each key chains the one before."""
    keys: dict[str, str] = {}
    prev = content_id
    for stage in STAGES:
        prev = keys[stage] = digest(prev, versions[stage])
    return keys


def state_dir(out: Path) -> Path:
    return out / STATE_DIR


def _entry_path(out: Path, stage: str, key: str) -> str:
    return os.path.join(out, STATE_DIR, "cache", stage, key[:2], key)


def shard_dir(out: Path, stage: str, key: str) -> Path:
    """Folder of one shard's output of one stage."""
    return Path(_entry_path(out, stage, key))


def is_done(out: Path, stage: str, key: str) -> bool:
    return os.path.exists(os.path.join(_entry_path(out, stage, key), DONE))


def commit(out: Path, stage: str, key: str, files: dict[str, Any], stats: dict[str, Any],
           chain: str = "") -> None:
    """Write a shard's stage output atomically: ``files`` maps a file name to a callable writing it to a path.

    ``chain`` is the stage's version chain (:func:`version_chains`), recorded in ``meta.json``.
    """
    final = shard_dir(out, stage, key)
    tmp = final.with_name(f".{key}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        for name, write in files.items():
            write(tmp / name)
        (tmp / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        (tmp / META).write_text(json.dumps({"stage": stage, "chain": chain}), encoding="utf-8")
        sums = {p.name: file_digest(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / SUMS).write_text(json.dumps(sums, sort_keys=True), encoding="utf-8")
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


def file_digest(path: str | Path) -> str:
    """Checksum of a file's bytes (BLAKE2b, read in 1 MB blocks)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def entry_intact(out: Path, stage: str, key: str) -> bool:
    """Whether a finished entry's files are all there with the checksums recorded when it was
    written. An entry written before checksums were recorded passes when its Parquet files'
    footers and its stats read."""
    folder = shard_dir(out, stage, key)
    try:
        if not (folder / SUMS).exists():
            import pyarrow.parquet as pq

            json.loads((folder / "stats.json").read_text(encoding="utf-8"))
            for path in folder.glob("*.parquet"):
                pq.read_metadata(path)
            return True
        sums = json.loads((folder / SUMS).read_text(encoding="utf-8"))
        return isinstance(sums, dict) and bool(sums) and all(file_digest(folder / n) == h for n, h in sums.items())
    except Exception:  # noqa: BLE001 - OSError, bad JSON, a Parquet file pyarrow cannot open: damaged
        return False


def entry_sums(out: Path, stage: str, key: str) -> dict[str, str]:
    """The checksum of every file of a finished entry, as recorded when it was written (computed for an
    entry written before checksums were recorded): what a table copied from it holds."""
    folder = shard_dir(out, stage, key)
    try:
        sums = json.loads((folder / SUMS).read_text(encoding="utf-8"))
        if isinstance(sums, dict):
            return sums
    except (OSError, ValueError):
        pass
    return {p.name: file_digest(p) for p in folder.glob("*.parquet")}


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


def _leftovers(out: Path) -> Iterator[tuple[Path, bool]]:
    """Temporary and trash folders of the cache, each with whether its writer's process still runs."""
    root = state_dir(out) / "cache"
    if not root.is_dir():
        return
    for kind in ("tmp", "trash"):
        for tmp in root.glob(f"*/*/.*.{kind}-*"):
            pid = tmp.name.rsplit(f".{kind}-", 1)[1].split("-", 1)[0]
            yield tmp, pid.isdigit() and pid_alive(int(pid))


def remove_leftovers(out: Path) -> int:
    """Delete temporary shard folders that a killed run left behind (their writer's process is gone),
    and its temporary files of the state folder (a JSON file or link half-written: ``.name.tmp-<pid>``);
    those of a run still going in the same folder are left alone. Returns how many were removed."""
    n = 0
    for tmp, alive in list(_leftovers(out)):
        if not alive:
            shutil.rmtree(tmp, ignore_errors=True)
            n += 1
    state = state_dir(out)
    for tmp in state.glob(".*.tmp-*") if state.is_dir() else ():
        pid = tmp.name.rsplit(".tmp-", 1)[1]
        if pid.isdigit() and not pid_alive(int(pid)) and (tmp.is_symlink() or tmp.is_file()):
            tmp.unlink(missing_ok=True)
    return n


def remove_entry(out: Path, stage: str, key: str) -> int:
    """Remove one finished cache entry (renamed away first, then deleted); returns its bytes (0 if absent)."""
    final = shard_dir(out, stage, key)
    trash = final.with_name(f".{key}.trash-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(final, trash)
    except FileNotFoundError:
        return 0
    size = _dir_bytes(trash)
    shutil.rmtree(trash, ignore_errors=True)
    return size


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


# ----------------------------------------------------------------------------- housekeeping


try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def _locked(out: Path, name: str, how: int) -> Iterator[int | None]:
    """``flock(how)`` on the lock file ``name`` of ``out``'s state folder, held in the block; yields
    its descriptor, None when a non-blocking lock is held by another, -1 without ``fcntl``."""
    if fcntl is None:  # pragma: no cover - Windows: nothing is locked
        yield -1
        return
    path = state_dir(out) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, how)
        except BlockingIOError:
            yield None
            return
        yield fd
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def cache_lock(out: Path, exclusive: bool = False) -> Iterator[bool]:
    """Hold the output folder's lock: shared for a run (many may run at once), exclusive for pruning.

    Yields whether the lock is held. A shared lock waits for a prune to finish; an exclusive one
    does not wait (it yields False while any run holds the folder). Without ``fcntl`` (not POSIX)
    it yields True and locks nothing.
    """
    with _locked(out, "lock", (fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH) if fcntl else 0
                 ) as fd:
        yield fd is not None


class FolderBusy(RuntimeError):
    """Another run is writing the output folder."""


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold the output folder for one run (or ``zhibiao tables``): a second one refuses at once with
    :class:`FolderBusy` naming the process, instead of both writing tables and the last to finish
    silently replacing the other's. Without ``fcntl`` (not POSIX) it locks nothing."""
    with _locked(out, "run.lock", fcntl.LOCK_EX | fcntl.LOCK_NB if fcntl else 0) as fd:
        if fd is None:
            holder = (state_dir(out) / "run.lock").read_text(encoding="ascii", errors="replace").strip() or "?"
            raise FolderBusy(f"{out} is in use by another run (process {holder}): wait for it to finish, "
                             "or give another output folder")
        if fd >= 0:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield


@dataclass
class CacheReport:
    """What the cache of an output folder holds; each of the three groups of entries per stage."""

    entries: dict[str, dict[str, int]] = field(default_factory=dict)  # group -> stage -> count
    bytes: dict[str, int] = field(default_factory=dict)  # group -> bytes
    leftovers: int = 0  # temporary folders of killed runs
    in_progress: int = 0  # temporary folders of runs still going
    removed: int = 0  # entries removed (prune)
    removed_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "bytes": self.bytes, "leftovers": self.leftovers,
                "in_progress": self.in_progress, "removed": self.removed, "removed_bytes": self.removed_bytes}


#: Groups of cache entries: used by the last run with the current versions; made with the current
#: versions for shards the last run did not read (other input); made with older versions
#: (code, rules, models, or a stage before them), which no run with the current ones can use.
GROUPS = ("current", "unused", "stale")


def _entries(out: Path) -> Iterator[tuple[str, Path]]:
    root = state_dir(out) / "cache"
    for stage in STAGES:
        folder = root / stage
        if folder.is_dir():
            for entry in folder.glob("*/*"):
                if not entry.name.startswith(".") and (entry / DONE).exists():
                    yield stage, entry


def _entry_chain(entry: Path) -> str:
    try:
        return json.loads((entry / META).read_text(encoding="utf-8")).get("chain", "")
    except (OSError, ValueError):
        return ""  # written before versions were recorded: stale unless the last run used it


def survey(out: Path, versions: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> CacheReport:
    """Classify every finished cache entry of ``out`` into :data:`GROUPS` and remove those of the groups
    in ``remove`` (``("stale",)`` or ``("stale", "unused")``); temporary folders of killed runs are
    removed too when removing, those of running processes never.

    Removing is only safe when no run uses the folder: callers hold :func:`cache_lock` exclusively.
    """
    versions = versions or stage_versions(state_dir(out))
    chains = version_chains(versions)
    used: set[str] = set()
    try:
        for cid in read_manifest(out).get("shards", []):
            used.update(shard_keys(cid, versions).values())
    except FileNotFoundError:
        pass
    report = CacheReport(entries={g: {s: 0 for s in STAGES} for g in GROUPS}, bytes={g: 0 for g in GROUPS})
    for stage, entry in list(_entries(out)):
        if entry.name in used:
            group = "current"
        elif _entry_chain(entry) == chains[stage]:
            group = "unused"
        else:
            group = "stale"
        if group in remove:
            size = remove_entry(out, stage, entry.name)
            report.removed += 1
            report.removed_bytes += size
        else:
            size = _dir_bytes(entry)
        report.entries[group][stage] += 1
        report.bytes[group] += size
    for _tmp, alive in _leftovers(out):
        report.in_progress += alive
        report.leftovers += not alive
    if remove:
        report.leftovers -= remove_leftovers(out)
    return report


def prune(out: Path, include_unused: bool = False, versions: dict[str, str] | None = None,
          quick: bool = False) -> CacheReport | None:
    """Remove the stale cache entries of ``out`` (and, with ``include_unused``, those the last run did
    not use). Returns what was there and what was removed, or None when a run holds the folder.

    ``quick`` (after a run) skips the survey when the last prune was of these versions and no run of
    others has started since (:func:`note_versions`): no stale entry can be there; the report is empty."""
    with cache_lock(out, exclusive=True) as held:
        if not held:
            return None
        versions = versions or stage_versions(state_dir(out))
        if quick and not include_unused and not prune_pending(out, version_chains(versions)):
            return CacheReport()
        report = survey(out, versions, remove=("stale", "unused") if include_unused else ("stale",))
        write_json_atomic(state_dir(out) / PRUNED, version_chains(versions))
        return report


#: The version chains of the last prune, removed by a run of other versions when it starts
#: (:func:`note_versions`): while it stands, no entry of older versions can have been written since.
PRUNED = "pruned.json"


def note_versions(out: Path, chains: dict[str, str]) -> None:
    """A run of ``chains`` starts: the last prune no longer vouches for the cache if it was of others."""
    path = state_dir(out) / PRUNED
    try:
        if json.loads(path.read_text(encoding="utf-8")) != chains:
            path.unlink()
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        path.unlink(missing_ok=True)


def prune_pending(out: Path, chains: dict[str, str]) -> bool:
    """Whether entries of older versions may be in the cache: unless the last prune was of ``chains``
    and every run since was too."""
    try:
        return json.loads((state_dir(out) / PRUNED).read_text(encoding="utf-8")) != chains
    except (OSError, ValueError):
        return True


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

"""Publishing a run's tables in an output folder as one atomic switch.

A run writes all its tables and its summary aside, in a folder of their own
(``DIR/.zhibiao/runs/<id>/``), then switches one symbolic link,
``DIR/.zhibiao/published``, to it with a single ``rename``: a reader sees the
tables of one run or of the other, never a mix, and a run killed while writing
leaves the previous tables as they were. What a user opens is stable:

    DIR/documents  -> .zhibiao/published/documents     (a folder of part files)
    DIR/summary.json -> .zhibiao/published/summary.json

The table links are made once (an output folder of an older version, with real
folders there, is converted on its first run); a table the published run does
not have (a stage left incomplete) has no link. The previous run's folder is
removed after the switch, as are folders of runs killed while writing.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from pipeline.run.cache import pid_alive, state_dir
from pipeline.tables import TABLES

#: Folder (under the state folder) holding the tables of the published run and of runs being written.
RUNS = "runs"
#: The link to the published run's folder.
PUBLISHED = "published"
SUMMARY = "summary.json"


def new_run_dir(out: Path) -> Path:
    """A fresh folder to write a run's tables into, named by time and process id."""
    folder = state_dir(out) / RUNS / f"{time.time_ns()}-{os.getpid()}"
    folder.mkdir(parents=True)
    return folder


def published_dir(out: Path) -> Path:
    """The published run's folder, through its link (may not exist yet)."""
    return state_dir(out) / PUBLISHED


def summary_path(out: Path) -> Path:
    """Where the published run's summary is written (``DIR/summary.json`` links to it)."""
    return published_dir(out) / SUMMARY


def _remove(path: Path) -> None:
    """Remove a link, a file or a folder (a folder is renamed away first, then deleted)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        trash = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)


def _link(out: Path, name: str) -> None:
    """Make ``DIR/name`` the link to ``.zhibiao/published/name``; a real file or folder there (an older
    layout) is removed first, and so is a single-file table ``name.parquet``."""
    path = out / name
    target = f"{state_dir(out).name}/{PUBLISHED}/{name}"
    if path.is_symlink() and os.readlink(path) == target:
        return
    _remove(path)
    _remove(out / f"{name}.parquet")
    os.symlink(target, path)


def publish(out: Path, run_dir: Path, names: list[str]) -> None:
    """Make ``run_dir`` (holding the tables ``names`` and the summary) the published run of ``out``.

    The switch is one rename of the ``published`` link; the links of tables the run does not
    have are removed after it, and the previous run's folder is deleted."""
    link = published_dir(out)
    previous = link.resolve() if link.is_symlink() else None
    for name in [*names, SUMMARY]:
        _link(out, name)
    tmp = link.with_name(f".{PUBLISHED}.tmp-{os.getpid()}")
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(os.path.relpath(run_dir, link.parent), tmp)
    os.replace(tmp, link)  # the switch
    for name in TABLES:  # tables of stages this run left incomplete: no link, no older copy
        if name not in names:
            _remove(out / name)
            _remove(out / f"{name}.parquet")
    if previous is not None and previous != run_dir.resolve():
        shutil.rmtree(previous, ignore_errors=True)


def remove_unpublished(out: Path) -> int:
    """Delete run folders that were never published and whose writer is gone (killed while writing
    tables, or stopped by a full disk); returns how many."""
    runs = state_dir(out) / RUNS
    if not runs.is_dir():
        return 0
    current = published_dir(out).resolve() if published_dir(out).is_symlink() else None
    n = 0
    for folder in runs.iterdir():
        pid = folder.name.rsplit("-", 1)[-1]
        if folder.resolve() != current and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            n += 1
    return n

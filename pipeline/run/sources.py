"""Reading input pages: files, directories, .zip, .tar.gz, JSON Lines and WARC, mixed in one call.

:func:`iter_inputs` yields, in a stable order, a :class:`~pipeline.records.Page`
for every page and an :class:`~pipeline.records.ErrorRecord` (stage ``read``)
for every input that cannot be read (a truncated archive, a bad JSON line, an
unreadable file). It never raises for bad input.

With ``max_bytes``, a page bigger than that becomes a ``too_large`` read error
(its size in the message) instead of a page, checked before the page is read
where the container tells the size (files, .zip and .tar members), so a huge
page never reaches memory or a worker.

Source names: a plain file is named by its file name without extension
(``corpora/000_07bb8635d2c48c09.txt`` → ``000_07bb8635d2c48c09``), an archive
member by its path inside the archive, a JSON Lines or WARC record by its url
(else ``file.jsonl:line``).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.records import ErrorRecord, Page

#: Page files read from directories and archives.
PAGE_SUFFIXES = (".txt", ".html", ".htm")
#: Files holding many pages.
JSONL_SUFFIXES = (".jsonl", ".ndjson")
WARC_SUFFIXES = (".warc", ".warc.gz")
TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")

Item = Page | ErrorRecord
_LONG_SUFFIXES = TAR_SUFFIXES + WARC_SUFFIXES


def _suffix(path: str) -> str:
    low = path.lower()
    if low.endswith(_LONG_SUFFIXES):
        for suf in TAR_SUFFIXES + WARC_SUFFIXES:
            if low.endswith(suf):
                return suf
    if "/." in low:  # a "." part, which Path drops
        return Path(low).suffix
    name = low.rstrip("/").rpartition("/")[2]  # Path(low).suffix, without making a Path
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _is_page_name(name: str) -> bool:
    return _suffix(name) in PAGE_SUFFIXES


_INPUT_SUFFIXES = frozenset(PAGE_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES + TAR_SUFFIXES + (".zip",))



def source_name(path: str | Path) -> str:
    """Source of a plain page file: its name without extension (``pages.tar.gz`` → ``pages``)."""
    name = Path(path).name
    for suf in TAR_SUFFIXES + WARC_SUFFIXES:
        if name.lower().endswith(suf):
            return name[: -len(suf)]
    return Path(name).stem


def _error(source: str, path: str, reason: str, message: str) -> ErrorRecord:
    return ErrorRecord(source=source, path=path, stage="read", reason=reason, message=message[:500])


def _walk(root: Path) -> tuple[list[tuple[str, os.stat_result]], list[ErrorRecord]]:
    """Input files under a directory (their paths as ``str(Path)`` gives them) with their stat, in path
    order (not following directory links, hidden parts skipped), and an errors row for each directory
    that cannot be listed and each broken link (dangling or a loop) that has an input's name."""
    files: list[tuple[tuple[str, ...], str, os.stat_result]] = []
    errors: list[ErrorRecord] = []

    def unreadable(exc: OSError) -> None:
        where = exc.filename or str(root)
        errors.append(_error(source_name(where), str(where), "unreadable", f"{type(exc).__name__}: {exc}"))

    top = str(root)
    for folder, dirs, names in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        parts = tuple(folder.split(os.sep))
        # the folder as a Path would print it: os.walk joins names to the root as given, and a Path of
        # "." drops that part ("./a" is "a")
        base = folder if top != "." else folder[2:]
        for name in names:
            if name.startswith(".") or _suffix(name) not in _INPUT_SUFFIXES:
                continue
            child = os.path.join(base, name) if base else name
            try:
                st = os.stat(child)
            except OSError as exc:  # a dangling link, a link loop (ELOOP)
                what = "a link loop" if exc.errno == errno.ELOOP else "a broken link"
                errors.append(_error(source_name(child), child, "broken_link", f"{what}: {exc}"))
                continue
            if stat.S_ISREG(st.st_mode):
                files.append((parts + (name,), child, st))
    # sorted as the Paths sort (part by part), by tuples of strings: no Python comparison a pair
    files.sort(key=lambda f: f[0])
    return [(child, st) for _, child, st in files], errors


def input_files(paths: list[str | Path]) -> Iterator[tuple[str, os.stat_result | None] | ErrorRecord]:
    """Input files of the paths (as ``str(Path)`` gives them) with their stat (None: not found), in order
    (directories walked recursively, sorted, hidden parts skipped), and an errors row for every
    directory or link of them that cannot be read."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files, errors = _walk(path)
            yield from errors
            yield from files
        else:
            try:
                yield str(path), os.stat(path)
            except OSError:
                yield str(path), None


def _input_files(paths: list[str | Path]) -> Iterator[Path | ErrorRecord]:
    """Input files of the paths, in order, and an errors row for every directory or link of them
    that cannot be read (:func:`input_files` without the stats)."""
    for entry in input_files(paths):
        yield entry if isinstance(entry, ErrorRecord) else Path(entry[0])


def not_found(path: str | Path) -> ErrorRecord:
    """The errors row of an input path that does not exist."""
    return _error(source_name(path), str(path), "not_found", "no such file or directory")


def _too_large(source: str, where: str, size: int, max_bytes: int | None) -> ErrorRecord | None:
    if max_bytes is None or size <= max_bytes:
        return None
    return _error(source, where, "too_large", f"the page has {size} bytes ({size / 1e6:.1f} MB), more than "
                  f"--max-page-mb {max_bytes / 1e6:g} (a worker needs about 70 MB of memory a MB of page: "
                  "raise the limit where there is room, README \"Memory\")")


def iter_inputs(paths: list[str | Path], max_bytes: int | None = None) -> Iterator[Item]:
    """Pages and read errors of every input path, in order (directories walked recursively, sorted).

    A page of more than ``max_bytes`` bytes (None: no limit) is a ``too_large`` read error."""
    for entry in input_files(paths):
        if isinstance(entry, ErrorRecord):
            yield entry
        elif entry[1] is None:
            yield not_found(entry[0])
        else:
            yield from iter_file(Path(entry[0]), max_bytes)


def input_size(paths: list[str | Path]) -> int:
    """Bytes of the input files (archives as stored), for a progress bar's ETA."""
    return sum(p.stat().st_size for p in _input_files(paths) if isinstance(p, Path) and p.is_file())


def iter_file(path: Path, max_bytes: int | None = None) -> Iterator[Item]:
    """Pages of one input file, by its kind (page, .zip, .tar.gz, JSON Lines, WARC).

    Whatever a damaged file raises becomes an errors row: the archive readers record a bad
    member or line and go on; anything else ends that file only (``unreadable``)."""
    suf = _suffix(path.name)
    try:
        if suf == ".zip":
            yield from _iter_zip(path, max_bytes)
        elif suf in TAR_SUFFIXES:
            yield from _iter_tar(path, max_bytes)
        elif suf in JSONL_SUFFIXES:
            yield from _iter_jsonl(path, max_bytes)
        elif suf in WARC_SUFFIXES:
            yield from _iter_warc(path, max_bytes)
        else:
            big = _too_large(source_name(path), str(path), path.stat().st_size, max_bytes)
            yield big or Page(source=source_name(path), path=str(path), data=path.read_bytes())
    except Exception as exc:  # noqa: BLE001 - a reader's surprise ends this file, not the run
        yield _error(source_name(path), str(path), "unreadable", f"{type(exc).__name__}: {exc}")


def _member_reason(exc: BaseException) -> str:
    """Reason of an archive member that cannot be read: encrypted, a compression or zip version this
    Python cannot read, or damaged data (a truncated archive, corrupt deflate/LZMA/bzip2)."""
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "encrypted"
    if isinstance(exc, NotImplementedError):
        return "unsupported_compression"
    return "truncated_archive"


def _iter_zip(path: Path, max_bytes: int | None = None) -> Iterator[Item]:
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, OSError, and what a mangled directory raises
        yield _error(source_name(path), str(path), "bad_archive", f"{type(exc).__name__}: {exc}")
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir() or not _is_page_name(info.filename):
                continue
            big = _too_large(info.filename, f"{path}!{info.filename}", info.file_size, max_bytes)
            if big is not None:
                yield big
                continue
            try:
                data = zf.read(info)
            except Exception as exc:  # noqa: BLE001 - one bad member is its own errors row
                yield _error(info.filename, f"{path}!{info.filename}", _member_reason(exc),
                             f"{type(exc).__name__}: {exc}")
                continue
            yield Page(source=info.filename, path=f"{path}!{info.filename}", data=data)


def _iter_tar(path: Path, max_bytes: int | None = None) -> Iterator[Item]:
    member = None
    try:
        with tarfile.open(path, mode="r:*") as tf:
            for member in tf:
                if not member.isfile() or not _is_page_name(member.name):
                    continue
                big = _too_large(member.name, f"{path}!{member.name}", member.size, max_bytes)
                if big is not None:
                    yield big
                    continue
                fh = tf.extractfile(member)
                data = fh.read() if fh is not None else b""
                yield Page(source=member.name, path=f"{path}!{member.name}", data=data)
            member = None
    except Exception as exc:  # noqa: BLE001 - TarError, OSError, zlib/LZMA errors: the stream ends here
        where = f" after {member.name}" if member is not None else ""
        yield _error(source_name(path), str(path), _member_reason(exc),
                     f"{type(exc).__name__}{where}: {exc}")


def _iter_jsonl(path: Path, max_bytes: int | None = None) -> Iterator[Item]:
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError(f"expected an object, got {type(rec).__name__}")
                body = rec.get("text") if rec.get("text") is not None else rec.get("html")
                if not isinstance(body, str):
                    raise ValueError("no 'text' or 'html' string")
                data = body.encode("utf-8")  # a lone surrogate (\ud800) raises here
                meta = {k: v for k, v in rec.items() if k not in ("text", "html")}
                json.dumps(meta, ensure_ascii=False).encode("utf-8")  # and in the url or other fields
            except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than Python's stack
                yield _error(f"{source_name(path)}:{lineno}", where, "bad_json_line", str(exc))
                continue
            url = rec.get("url")
            if "html" in rec and rec.get("text") is None:
                meta["content_type"] = "text/html"
            source = str(url) if url else f"{source_name(path)}:{lineno}"
            yield _too_large(source, where, len(data), max_bytes) or Page(source=source, path=where, data=data,
                                                                          meta=meta)


def _iter_warc(path: Path, max_bytes: int | None = None) -> Iterator[Item]:
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        yield _error(source_name(path), str(path), "warc_unsupported", "install warcio to read WARC files")
        return
    with path.open("rb") as fh:
        try:
            for i, rec in enumerate(ArchiveIterator(fh)):
                if rec.rec_type != "response":
                    continue
                url = rec.rec_headers.get_header("WARC-Target-URI") or f"{source_name(path)}:{i}"
                ctype = rec.http_headers.get_header("Content-Type") if rec.http_headers else None
                data = rec.content_stream().read()
                yield _too_large(url, f"{path}!{i}", len(data), max_bytes) or Page(
                    source=url, path=f"{path}!{i}", data=data, meta={"url": url, "content_type": ctype})
        except Exception as exc:  # warcio raises assorted errors on a damaged file
            yield _error(source_name(path), str(path), "truncated_archive", f"{type(exc).__name__}: {exc}")

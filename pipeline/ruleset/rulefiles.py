"""Loading rule files from rules/ (YAML or TSV), validated, with errors that name file and line.

Rules are data: a researcher adds a trigger, a variant character or a
boilerplate pattern by editing a file in rules/, never Python. Every loader
here checks the file against a small schema (required keys, allowed keys,
types) and raises :class:`RuleError` naming ``file:line`` on the first problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import lru_cache
from operator import is_
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pipeline.settings import Settings, current, overridden

#: The repository's rules folder (the packaged default of :class:`pipeline.settings.Settings`).
DEFAULT_RULES_DIR = Settings.rules


class RuleError(ValueError):
    """A rule file is malformed; the message names file and line."""


def rules_dir() -> Path:
    """The rules folder in force (:func:`pipeline.settings.current`)."""
    return current().rules


def rule_path(name: str) -> Path:
    """Path of rule file ``name`` in the rules folder; a clear error when missing."""
    path = rules_dir() / name
    if not path.exists():
        raise RuleError(f"{path}: rule file not found")
    return path


def load_tsv(name: str, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Rows of a TSV rule file with a header line; ``#`` lines and blank lines are skipped.

    Every column of ``columns`` must be in the header and non-empty in each
    row; ``optional`` columns may be missing or empty. Each row gets a
    ``_line`` key with its line number.
    """
    path = rule_path(name)
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = [c.strip() for c in cells]
                unknown = set(header) - set(columns) - set(optional)
                missing = set(columns) - set(header)
                if missing or unknown:
                    raise RuleError(f"{path}:{lineno}: header must name {list(columns)} (optional {list(optional)});"
                                    f" missing {sorted(missing)}, unknown {sorted(unknown)}")
                continue
            if len(cells) > len(header):
                raise RuleError(f"{path}:{lineno}: {len(cells)} cells for {len(header)} columns")
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
            for col in columns:
                if not row[col]:
                    raise RuleError(f"{path}:{lineno}: empty '{col}'")
            row["_line"] = str(lineno)
            rows.append(row)
    return rows


#: libyaml's safe loader when PyYAML has it (about ten times faster than the pure-Python one, the same
#: documents and line marks), else the pure-Python safe loader.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_records(name: str, schema: Mapping[str, type | tuple[type, ...]],
                      required: tuple[str, ...] = (), key: str | None = None) -> list[dict[str, Any]]:
    """A YAML rule file holding a list of mappings, each checked against ``schema``.

    ``schema`` maps every allowed key to its type(s); unknown keys are an
    error, as are missing ``required`` keys and duplicate values of ``key``.
    Each record gets a ``_line`` key (its line in the file).
    """
    path = rule_path(name)
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"{where}: not valid YAML: {' '.join(str(problem).split())}") from exc
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise RuleError(f"{path}:{root.start_mark.line + 1}: expected a list of rules")
    _reject_duplicate_keys(root, path)
    data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    records: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    for node, rec in zip(root.value, data, strict=True):
        lineno = node.start_mark.line + 1
        if not isinstance(rec, dict):
            raise RuleError(f"{path}:{lineno}: expected a mapping, got {type(rec).__name__}")
        unknown = set(rec) - set(schema)
        if unknown:
            raise RuleError(f"{path}:{lineno}: unknown key(s) {sorted(unknown)}; allowed: {sorted(schema)}")
        for req in required:
            if rec.get(req) in (None, "", []):
                raise RuleError(f"{path}:{lineno}: missing '{req}'")
        for k, v in rec.items():
            if v is not None and not isinstance(v, schema[k]):
                raise RuleError(f"{path}:{lineno}: '{k}' should be {schema[k]}, got {type(v).__name__}")
        if key is not None:
            if rec.get(key) in seen:
                raise RuleError(f"{path}:{lineno}: duplicate {key} '{rec[key]}' (first at line {seen[rec[key]]})")
            seen[rec.get(key)] = lineno
        rec["_line"] = lineno
        records.append(rec)
    return records


def _reject_duplicate_keys(node: yaml.Node, path: Path) -> None:
    """Raise on a key written twice in one mapping (YAML would silently keep the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise RuleError(f"{path}:{key_node.start_mark.line + 1}: key '{key}' repeated "
                                f"(first at line {seen[key]})")
            seen[key] = key_node.start_mark.line + 1
            _reject_duplicate_keys(value_node, path)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _reject_duplicate_keys(child, path)


@lru_cache(maxsize=8)
def _hash_dir(folder: str, stamps: tuple[tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for name, _, _ in stamps:
        h.update(name.encode())
        h.update((Path(folder) / name).read_bytes())
    return h.hexdigest()[:16]


def rules_version() -> str:
    """A short hash of every file in the rules folder: changes when any rule changes."""
    folder = rules_dir()
    files = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()))
    return _hash_dir(str(folder), files)


def _one_line(exc: Exception, folder: Path, files: str) -> RuleError:
    """A loader's failure as a one-line RuleError naming the file (and the line where known)."""
    if isinstance(exc, RuleError):
        return RuleError(" ".join(str(exc).split()))
    if isinstance(exc, UnicodeDecodeError):
        name = next((f for f in files.split(", ") if (folder / f).exists()
                     and exc.object == (folder / f).read_bytes()), files.split(", ")[0])
        line = exc.object[: exc.start].count(b"\n") + 1
        return RuleError(f"{folder / name}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    return RuleError(f"{folder}/{files}: {type(exc).__name__}: {' '.join(str(exc).split())}")


def check_rule_files(loaders: Sequence[tuple[Callable[[], object], str]], folder: str | Path | None = None) -> int:
    """Run every ``(loader, files)`` on the rule files of ``folder`` (default: the rules in force), as a
    run would (the stages declare them: :func:`pipeline.stages.registry.check_rules`);
    raise :class:`RuleError` with one line naming file, line and problem at the first broken file.
    Returns the number of rule files checked. The files are read afresh (the loaders' caches emptied
    first); after checking another folder the caches are emptied again, so the rules in force load
    on their next use."""
    target = Path(folder) if folder is not None else rules_dir()
    other = folder is not None and target.resolve() != rules_dir().resolve()

    def forget() -> None:
        for load, _files in loaders:
            if hasattr(load, "cache_clear"):
                load.cache_clear()

    with overridden(rules=target):
        try:
            forget()
            for load, files in loaders:
                try:
                    load()
                except Exception as exc:  # noqa: BLE001 - any failure of a loader is a broken rule file
                    raise _one_line(exc, target, files) from exc
        finally:
            if other:
                forget()
    return sum(len(files.split(", ")) for _load, files in loaders)


T = TypeVar("T")

#: Entries a :func:`recall` memo holds before it starts again.
MEMO = 8192


def derived(slot: list, rules: tuple[object, ...], build: Callable[[], T]) -> T:
    """``build()``, kept in ``slot`` (a module-level list) while the loaded rule sets ``rules`` stay
    the same objects; built again when a rule file is reloaded (the loaders' caches cleared)."""
    if slot:
        kept, value = slot[0]
        if len(kept) == len(rules) and all(map(is_, kept, rules)):  # the test in C: called per clause
            return value
    slot[:] = [(rules, build())]
    return slot[0][1]


def recall(memo: dict, key: Hashable, compute: Callable[[Any], T]) -> T:
    """``compute(key)``, remembered in ``memo`` (emptied when it holds :data:`MEMO` entries). The
    value is shared by every caller: keep it immutable, or copy it."""
    found = memo.get(key)
    if found is None:
        if len(memo) >= MEMO:
            memo.clear()
        found = memo[key] = compute(key)
    return found

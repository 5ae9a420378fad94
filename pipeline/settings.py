"""Settings: one object built once, from packaged defaults, then a user file, then the environment,
then command-line flags (later wins), and installed for the process with :func:`use`.

The user file is YAML (``$XDG_CONFIG_HOME/zhibiao/settings.yaml``, else
``~/.config/zhibiao/settings.yaml``; ``ZHIBIAO_SETTINGS`` names another), with the keys of
:class:`Settings`. The environment variables are ``ZHIBIAO_RULES``, ``ZHIBIAO_MODELS``,
``ZHIBIAO_TRAIN_JOBS`` and ``ZHIBIAO_DASK_PROCESSES``. This is the only module that reads them:
the rest of pipeline/ asks :func:`current`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
#: Environment variable of each setting.
ENVIRONMENT = {"rules": "ZHIBIAO_RULES", "models": "ZHIBIAO_MODELS", "train_jobs": "ZHIBIAO_TRAIN_JOBS",
               "dask_processes": "ZHIBIAO_DASK_PROCESSES"}


class SettingsError(ValueError):
    """A settings file or value that cannot be used (one line: file and key)."""


@dataclass(frozen=True)
class Settings:
    """Where the rules and models are, and how training and Dask run."""

    rules: Path = REPO / "rules"
    models: Path = REPO / "models"
    train_jobs: int = 0  # 0: one a CPU
    dask_processes: bool = True  # Dask workers in processes (else threads)

    def with_values(self, values: Mapping[str, Any], where: str) -> Settings:
        """These settings with ``values`` (None: unchanged) applied, converted to each field's type."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in fields:
                raise SettingsError(f"{where}: unknown setting {key!r} (known: {', '.join(fields)})")
            if value is None:
                continue
            default = getattr(Settings, key)
            try:
                changes[key] = (Path(value).expanduser() if isinstance(default, Path) else
                                str(value).strip().lower() in ("1", "true", "yes") if isinstance(default, bool) else
                                int(value))
            except ValueError as exc:
                raise SettingsError(f"{where}: {key}: {exc}") from exc
        return dataclasses.replace(self, **changes)


def user_file(environ: Mapping[str, str]) -> Path:
    """Where the user's settings file is (it need not exist)."""
    if environ.get("ZHIBIAO_SETTINGS"):
        return Path(environ["ZHIBIAO_SETTINGS"])
    base = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "zhibiao" / "settings.yaml"


def build(flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from packaged defaults, the user file, the environment and ``flags``, in that order."""
    environ = os.environ if environ is None else environ
    settings = Settings()
    path = user_file(environ)
    if path.is_file():
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"{path}: {' '.join(str(exc).split())}") from exc
        if not isinstance(values, dict):
            raise SettingsError(f"{path}: expected a mapping of settings")
        settings = settings.with_values(values, str(path))
    settings = settings.with_values({k: environ.get(v) or None for k, v in ENVIRONMENT.items()}, "environment")
    return settings.with_values(dict(flags or {}), "command line")


#: Settings built per distinct environment (the environment carries them to worker processes).
_built: dict[tuple[str | None, ...], Settings] = {}
_KEYS = (*ENVIRONMENT.values(), "ZHIBIAO_SETTINGS", "XDG_CONFIG_HOME")


def current() -> Settings:
    """The settings in force: built once (per environment) from the defaults, the user file and the
    environment, or those installed by :func:`use`."""
    key = tuple(os.environ.get(k) for k in _KEYS)
    if key not in _built:
        _built[key] = build()
    return _built[key]


def use(settings: Settings) -> Settings:
    """Install ``settings`` for this process and the processes it starts (their environment carries
    the rules and models folders, which workers read); returns them."""
    os.environ[ENVIRONMENT["rules"]] = str(settings.rules)
    os.environ[ENVIRONMENT["models"]] = str(settings.models)
    _built[tuple(os.environ.get(k) for k in _KEYS)] = settings
    return settings


@contextmanager
def overridden(**changes: Any) -> Iterator[Settings]:
    """The settings in force with ``changes``, for the block only (e.g. another rules folder)."""
    saved = {k: os.environ.get(k) for k in ENVIRONMENT.values()}
    try:
        yield use(dataclasses.replace(current(), **changes))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

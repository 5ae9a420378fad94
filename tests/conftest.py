"""Shared fixtures: one run of the pipeline on corpora/ per test session (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def corpora_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tables `make run` writes, in a temporary folder (so tests need no previous `make run`)."""
    from pipeline.run.runner import RunOptions, run_pipeline

    out = tmp_path_factory.mktemp("corpora_run") / "data"
    run_pipeline([ROOT / "corpora"], out, RunOptions(jobs=1, progress=False))
    return out

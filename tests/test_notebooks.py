"""notebooks/: each notebook is paired with its jupytext text file (same cells) and runs from
start to end on the tables `make run` writes (made here in a temporary folder), from notebooks/."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PAIRS = sorted(NOTEBOOKS.glob("*.py"))


def test_every_notebook_has_its_text_file() -> None:
    assert len(PAIRS) >= 2
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == [p.stem for p in PAIRS]


@pytest.mark.parametrize("text", PAIRS, ids=lambda p: p.stem)
def test_notebook_matches_its_text_file_and_runs(text: Path, corpora_run: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import jupytext
    from nbclient import NotebookClient

    def cells(nb) -> list[tuple[str, str]]:  # noqa: ANN001 - a notebook node
        return [(c.cell_type, c.source.strip()) for c in nb.cells]

    paired = jupytext.read(text.with_suffix(".ipynb"))
    source = jupytext.read(text)
    assert cells(paired) == cells(source), f"{text.name} and its .ipynb differ: `jupytext --sync {text}`"
    monkeypatch.setenv("ZHIBIAO_DATA", str(corpora_run))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # plots as outputs
    client = NotebookClient(source, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, naming the cell, when a cell fails
    outputs = [o for c in source.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "one plot"

"""The layout of pipeline/: no import cycles (TYPE_CHECKING and function-level imports included),
layers imported one way, and no module over 600 lines."""

from __future__ import annotations

from pipeline.codegraph import PACKAGE_DIR, all_modules, cycles, imports_of

#: Layers from the bottom: a module imports only from its own layer or the ones before it.
LAYERS = (
    ("pipeline.records", "pipeline.tables", "pipeline.text", "pipeline.codegraph", "pipeline.settings", "pipeline.limits"),
    ("pipeline.ruleset",),
    ("pipeline.stages.stage", "pipeline.stages.features", "pipeline.stages.nearest"),
    ("pipeline.stages.clean",),
    ("pipeline.stages.segment",),
    ("pipeline.stages.extract",),
    ("pipeline.stages.registry",),
    ("pipeline.learn",),
    ("pipeline.analysis",),
    ("pipeline.run",),
    ("pipeline.cli",),
)
MAX_LINES = 600


def layer(module: str) -> int:
    """Index in LAYERS of the layer ``module`` belongs to."""
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: add it")


def test_no_import_cycles() -> None:
    assert cycles() == []


def test_every_module_has_a_layer_and_imports_only_below_it() -> None:
    wrong = [(m, i) for m in all_modules() if m != "pipeline" for i in imports_of(m) if layer(i) > layer(m)]
    assert wrong == []



def test_no_module_over_600_lines() -> None:
    sizes = {p.relative_to(PACKAGE_DIR).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE_DIR.rglob("*.py")}
    assert {f: n for f, n in sizes.items() if n > MAX_LINES} == {}

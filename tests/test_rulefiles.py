"""Rule-file loading: validation errors name the file and the line; rules_version follows edits."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.ruleset.rulefiles import RuleError, load_tsv, load_yaml_records, rules_version
from pipeline.stages.registry import check_rules

SCHEMA = {"id": str, "indicator": str, "pattern": str, "units": list, "priority": int}


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZHIBIAO_RULES", str(tmp_path))
    return tmp_path


def test_yaml_records_load_with_their_line(rules: Path) -> None:
    (rules / "t.yaml").write_text("# triggers\n- id: a\n  pattern: 巩固率\n- id: b\n  pattern: 毛入园率\n  units: ['%']\n",
                                  encoding="utf-8")
    recs = load_yaml_records("t.yaml", SCHEMA, required=("id", "pattern"), key="id")
    assert [(r["id"], r["_line"]) for r in recs] == [("a", 2), ("b", 4)]
    assert recs[1]["units"] == ["%"]


@pytest.mark.parametrize("body, message", [
    ("- id: a\n  patern: 巩固率\n", "t.yaml:1: unknown key(s) ['patern']"),
    ("- id: a\n  pattern: x\n- id: b\n", "t.yaml:3: missing 'pattern'"),
    ("- id: a\n  pattern: x\n- id: a\n  pattern: y\n", "t.yaml:3: duplicate id 'a' (first at line 1)"),
    ("- id: a\n  pattern: x\n  priority: high\n", "t.yaml:1: 'priority' should be"),
    ("- id: a\n  pattern: x\n  pattern: y\n", "t.yaml:3: key 'pattern' repeated (first at line 2)"),
    ("id: a\n", "t.yaml:1: expected a list of rules"),
    ("- id: a\n  pattern: [unclosed\n", "not valid YAML"),
])
def test_yaml_errors_name_file_and_line(rules: Path, body: str, message: str) -> None:
    (rules / "t.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_yaml_records("t.yaml", SCHEMA, required=("id", "pattern"), key="id")
    assert message in str(err.value)


def test_tsv_rows_and_errors(rules: Path) -> None:
    (rules / "v.tsv").write_text("# variants\nvariant\tstandard\tnote\n笁\t工\tanti-scraping\n媔\t面\n",
                                 encoding="utf-8")
    rows = load_tsv("v.tsv", ("variant", "standard"), optional=("note",))
    assert [(r["variant"], r["standard"], r["_line"]) for r in rows] == [("笁", "工", "3"), ("媔", "面", "4")]
    (rules / "v.tsv").write_text("variant\tstandard\n囻\t\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"v.tsv:2: empty 'standard'"):
        load_tsv("v.tsv", ("variant", "standard"))
    (rules / "v.tsv").write_text("variant\tstd\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"v.tsv:1: header must name"):
        load_tsv("v.tsv", ("variant", "standard"))
    with pytest.raises(RuleError, match="rule file not found"):
        load_tsv("missing.tsv", ("a",))


def test_rules_version_changes_when_a_rule_changes(rules: Path) -> None:
    (rules / "t.yaml").write_text("- id: a\n  pattern: x\n", encoding="utf-8")
    before = rules_version()
    assert rules_version() == before
    (rules / "t.yaml").write_text("- id: a\n  pattern: y\n", encoding="utf-8")
    assert rules_version() != before


REPO_RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.mark.parametrize(("name", "edit", "where"), [
    ("triggers.yaml", lambda t: t.replace("pattern: ", "pattern: (", 1), "triggers.yaml:"),  # a bad regex
    ("cues.yaml", lambda t: t + "\n- id: [unclosed\n", "cues.yaml:"),  # not YAML
    ("variants.tsv", lambda t: t + "笁\t工工\tbad\n", "variants.tsv:"),
    ("quantity_words.tsv", lambda t: t + "很多\tnot_a_role\n", "quantity_words.tsv:"),
    ("stages.yaml", lambda t: t.encode("utf-8") + b"\n# \xff\xfe\n", "stages.yaml:"),  # not UTF-8
])
def test_a_broken_rule_file_is_one_line_naming_file_and_line(tmp_path: Path, name: str, edit, where: str) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    folder = tmp_path / "rules"
    shutil.copytree(REPO_RULES, folder)
    assert check_rules(folder) == 9
    text = edit((folder / name).read_text(encoding="utf-8"))
    (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(RuleError) as err:
        check_rules(folder)
    message = str(err.value)
    assert where in message and "\n" not in message
    assert re.search(rf"{re.escape(name)}:\d+: ", message), message
    result = CliRunner().invoke(main, ["check-rules", str(folder)])
    assert result.exit_code == 1 and result.output.strip().splitlines() == [f"Error: {message}"]
    ok = CliRunner().invoke(main, ["check-rules", str(REPO_RULES)])
    assert ok.exit_code == 0 and "rules OK" in ok.output

"""Settings: packaged defaults, then the user file, then the environment, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.settings import REPO, Settings, SettingsError, build, current, overridden


def test_defaults_then_file_then_environment_then_flags(tmp_path: Path) -> None:
    file = tmp_path / "settings.yaml"
    assert build(environ={"ZHIBIAO_SETTINGS": str(file)}) == Settings(REPO / "rules", REPO / "models")
    file.write_text("rules: /from/file\nmodels: /models/file\ntrain_jobs: 3\n", encoding="utf-8")
    env = {"ZHIBIAO_SETTINGS": str(file)}
    assert build(environ=env) == Settings(Path("/from/file"), Path("/models/file"), 3)
    env["ZHIBIAO_RULES"] = "/from/env"
    assert build(environ=env).rules == Path("/from/env") and build(environ=env).models == Path("/models/file")
    assert build({"rules": "/from/flag"}, environ=env).rules == Path("/from/flag")


def test_an_unknown_setting_is_one_clear_line(tmp_path: Path) -> None:
    file = tmp_path / "settings.yaml"
    file.write_text("rule: /typo\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'rule'"):
        build(environ={"ZHIBIAO_SETTINGS": str(file)})


def test_the_rules_folder_in_force_follows_the_settings(tmp_path: Path) -> None:
    from pipeline.ruleset.rulefiles import rules_dir

    before = rules_dir()
    with overridden(rules=tmp_path):
        assert rules_dir() == tmp_path == current().rules
    assert rules_dir() == before


def test_the_rules_flag_reaches_the_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from click.testing import CliRunner

    from pipeline.cli import main

    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    monkeypatch.setenv("ZHIBIAO_RULES", str(REPO / "rules"))  # restored after the test, as the flag sets it
    monkeypatch.setenv("ZHIBIAO_MODELS", str(REPO / "models"))
    result = CliRunner().invoke(main, ["--rules", str(folder), "check-rules"])
    assert result.exit_code == 0 and str(folder) in result.output

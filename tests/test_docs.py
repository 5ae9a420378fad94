"""The README tells the truth: the two set-up commands, every command, every table column."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.cli import main
from pipeline.tables import columns_markdown

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_states_the_two_setup_commands() -> None:
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", setup, flags=re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_every_command_is_in_the_readme_and_its_help_has_an_example() -> None:
    for name, command in main.commands.items():
        assert f"zhibiao {name}" in README, f"`zhibiao {name}` is not documented in README.md"
        assert "Example:" in (command.help or ""), f"`zhibiao {name}` --help has no example"


def test_readme_table_schemas_match_the_code() -> None:
    block = README.split("<!-- schema:start -->", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert block.strip() == columns_markdown().strip(), "README tables section is stale: run `make readme`"

"""Every command docs/instructors.md tells an instructor to type is one the command line accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tutor.cli import build_parser

GUIDE = Path(__file__).parent.parent / "docs" / "instructors.md"


def guide_commands() -> list[str]:
    """The `lambda-tutor ...` lines of the guide's code blocks, continuation lines joined, with
    comments and redirections cut; usage summaries (with `[optional]` parts) are not commands."""
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", GUIDE.read_text(), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split(" #")[0].split(" >")[0].strip()
            if command.startswith("lambda-tutor ") and "[" not in command:
                commands.append(command)
    return commands


def test_the_guide_has_commands_to_check():
    assert len(guide_commands()) >= 20


@pytest.mark.parametrize("command", guide_commands())
def test_a_command_of_the_guide_parses(command, capsys):
    try:
        build_parser().parse_args(shlex.split(command)[1:])
    except SystemExit:
        pytest.fail(f"the guide's `{command}` is refused: {capsys.readouterr().err.strip()}")

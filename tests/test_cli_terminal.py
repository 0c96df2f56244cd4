"""Without a terminal the commands that open the app say so and stop, instead of spinning for ever.

Each runs as a real process with its standard input from /dev/null and its output to a pipe, as
under cron, CI or `lambda-tutor < file`. Browser mode runs the app with pipes too, through
textual-serve's web driver, and must still start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.cli import WEB_DRIVER

ROOT = Path(__file__).parent.parent
# Python and the command's imports start in about a second; a spinning app never ends.
QUICKLY = 15


def run_without_a_terminal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        cwd=ROOT,
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=QUICKLY,
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["lab"],
        ["quiz"],
        ["quiz", "--review"],
        ["simulate", "sqs-lambda", "--watch"],
        ["--profile", "ann"],
    ],
    ids=" ".join,
)
def test_a_command_that_opens_the_app_refuses_in_one_line_without_a_terminal(args):
    result = run_without_a_terminal(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("lambda-tutor: the course needs a terminal (standard input and output")
    assert "lambda-tutor simulate, validate, progress --export" in result.stderr


def test_the_headless_commands_still_run_without_a_terminal():
    result = run_without_a_terminal("simulate", "sqs-lambda")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sqs-lambda: SQS -> Lambda")


def test_the_app_served_to_a_browser_starts_on_pipes():
    """textual-serve names its web driver in TEXTUAL_DRIVER; the app then talks its protocol."""
    app = subprocess.Popen(
        [sys.executable, "-m", "tutor"],
        cwd=ROOT,
        env={**os.environ, "TEXTUAL_DRIVER": WEB_DRIVER},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert app.stdout is not None
        first = app.stdout.read(len(b"__GANGLION__"))
        assert first == b"__GANGLION__", "the web driver's greeting opens the output"
    finally:
        # It waits for its browser for ever (the session watchdog ends it when served): end it.
        app.kill()
        _, errors = app.communicate(timeout=QUICKLY)
    assert b"needs a terminal" not in errors

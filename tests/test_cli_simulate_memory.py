"""Bounded memory: a long `simulate` run keeps neither its trace nor its waiting messages as objects.

Measured as each child process's peak resident set and compared as ratios within one test run,
so the machine's load and the interpreter's own size do not decide the outcome.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# SQS drained by two concurrent batches: most of the 200,000 messages wait in the queue at once.
BACKLOG = (
    "model=sqs",
    "sqs.maximum_concurrency=2",
    "load.count=200000",
    "load.rate_per_s=400",
    "until_s=604800",
)


def peak_kb(arguments: list[str]) -> int:
    child = subprocess.Popen(
        [sys.executable, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=PROJECT_ROOT
    )
    _, status, usage = os.wait4(child.pid, 0)
    assert child.stderr is not None
    error = child.stderr.read().decode()
    child.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, error
    return usage.ru_maxrss


def simulate(*extra: str, sets: tuple[str, ...]) -> list[str]:
    return [
        "-m",
        "tutor",
        "simulate",
        "sqs-lambda",
        *extra,
        *(part for key in sets for part in ("--set", key)),
    ]


def test_a_long_run_with_its_trace_grows_far_less_than_keeping_the_trace(tmp_path):
    trace = tmp_path / "trace.jsonl"
    tiny = peak_kb(simulate("--json", sets=("load.count=100",)))
    streamed = peak_kb(simulate("--json", "--trace", str(trace), sets=BACKLOG))
    kept = peak_kb(
        [
            "-c",
            "import sys; from tutor.sim.engine import run; from tutor.sim.scenario import load_scenario; "
            f"sys.exit(not len(run(load_scenario('sqs-lambda', overrides={list(BACKLOG)!r})).trace))",
        ]
    )
    events = sum(1 for _ in trace.open())
    assert events > 200_000, "the trace file holds the whole run"
    assert kept > tiny, "keeping a quarter of a million events costs memory"
    assert (streamed - tiny) * 10 < kept - tiny, (tiny, streamed, kept)

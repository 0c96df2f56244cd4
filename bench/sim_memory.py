"""Simulator memory: the peak resident set of `lambda-tutor simulate` runs of N items, per model.

    python bench/sim_memory.py [--count 1000000] [--count 10000000] [--trace]

Each run is its own `python -m tutor simulate ... --json` process (so one run's memory is not
another's), measured as the child's maximum resident set (`ru_maxrss` from `os.wait4`). Cases:
each model at 400 items/s with defaults (the function keeps up), and the backlogs that hold the
most at once: an SQS queue drained by two concurrent batches, a burst of every message at t = 0,
asynchronous events throttled by reserved concurrency 1 (at 400/s; all at once in a burst; or
Poisson at 20,000/s), and a Kinesis stream read by one slot of a slow function. With `--trace`
every run also writes its trace to a temporary file. Goal: under 300 MB for 10,000,000 items in every case.

Not a timed test: 10 M items take minutes per case on one core.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 300

CASES: dict[str, tuple[str, ...]] = {
    "sync": ("model=sync",),
    "async": ("model=async",),
    "sqs": ("model=sqs",),
    "kinesis": ("model=kinesis",),
    "sqs backlog": ("model=sqs", "sqs.maximum_concurrency=2"),
    "sqs burst": ("model=sqs", "load.pattern=burst"),
    # Reserved concurrency 1: nearly every event waits in throttle backoff until its age runs out.
    "async throttled": ("model=async", "function.reserved_concurrency=1"),
    # Every event waiting at once: a burst, or Poisson arrivals (each keeps its arrival time)
    # faster than the age limit; the shorter age keeps a 10 M run to minutes.
    "async throttled burst": (
        "model=async",
        "function.reserved_concurrency=1",
        "load.pattern=burst",
        "async.maximum_event_age_s=60",
    ),
    "async throttled fast": (
        "model=async",
        "function.reserved_concurrency=1",
        "load.rate_per_s=20000",
        "async.maximum_event_age_s=600",
    ),
    "kinesis backlog": (
        "model=kinesis",
        "kinesis.shards=1",
        "function.duration_ms=50",
        "kinesis.batch_size=10",
    ),
}


def peak_memory_mb(arguments: list[str]) -> float:
    """Maximum resident set of one `python -m tutor simulate` process, in MB."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tutor", "simulate", *arguments],
        stdout=subprocess.DEVNULL,
        cwd=PROJECT_ROOT,
    )
    _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"simulate {' '.join(arguments)} exited {code}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, action="append", help="items per run (repeatable)")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="only these cases")
    parser.add_argument("--trace", action="store_true", help="also write each run's trace to a file")
    options = parser.parse_args()
    counts = options.count or [1_000_000]
    cases = options.case or list(CASES)
    with tempfile.TemporaryDirectory() as directory:
        for count in counts:
            print(
                f"Peak memory of `simulate --json{' --trace FILE' if options.trace else ''}`, "
                f"{count:,} items at 400/s (goal < {GOAL_MB} MB at 10 M)",
                flush=True,
            )
            for case in cases:
                overrides = ["load.rate_per_s=400", *CASES[case], f"load.count={count}", "until_s=604800"]
                arguments = ["sqs-lambda", "--json", *(part for key in overrides for part in ("--set", key))]
                if options.trace:
                    arguments += ["--trace", str(Path(directory) / "trace.jsonl")]
                started = time.perf_counter()
                peak = peak_memory_mb(arguments)
                print(f"  {case:16} {peak:7.0f} MB   {time.perf_counter() - started:6.0f} s wall", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

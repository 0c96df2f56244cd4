"""Simulator memory: the peak resident set of `lambda-tutor simulate` runs of N items, per model.

    python bench/sim_memory.py [--count 1000000] [--count 10000000] [--trace]

Each run is its own `python -m tutor simulate ... --json` process (so one run's memory is not
another's), measured as the high-water mark of its resident set that the child reads from
/proc/self/status as it exits (`ru_maxrss` from `os.wait4` would not do: on Linux a child's starts
from its parent's at fork). Cases:
each model at 400 items/s with defaults (the function keeps up), and the backlogs that hold the
most at once: an SQS queue drained by two concurrent batches, a burst of every message at t = 0,
asynchronous events throttled by reserved concurrency 1 (at 400/s; all at once in a burst; or
Poisson at 20,000/s), and a Kinesis stream read by one slot of a slow function. With `--trace`
every run also writes its trace to a temporary file. Goal: under 300 MB for 10,000,000 items in every case.

Not a timed test: 10 M items take minutes per case on one core.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 300

CASES: dict[str, tuple[str, ...]] = {
    "sync": ("model=sync",),
    # Every caller of a burst throttled by reserved concurrency 1, retrying its 429s: nearly all
    # of them back off at once, again and again.
    "sync throttled burst": (
        "model=sync",
        "function.reserved_concurrency=1",
        "function.duration_ms=10",
        "load.pattern=burst",
        "sync.client_retries=3",
    ),
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


# Run in the child before `simulate`: report VmHWM (its own peak resident set) as it exits.
REPORT_PEAK = (
    "import atexit, runpy, sys\n"
    "def report():\n"
    "    peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "    sys.stderr.write('\\n' + peak)\n"
    "atexit.register(report)\n"
    "sys.argv = ['tutor', 'simulate', *sys.argv[1:]]\n"
    "runpy.run_module('tutor', run_name='__main__')\n"
)


def peak_memory_mb(arguments: list[str]) -> float:
    """Peak resident set of one `python -m tutor simulate` process, in MB."""
    child = subprocess.run(
        [sys.executable, "-c", REPORT_PEAK, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=PROJECT_ROOT,
        check=False,
    )
    error = child.stderr.decode()
    if child.returncode:
        raise SystemExit(f"simulate {' '.join(arguments)} exited {child.returncode}: {error.strip()}")
    return int(error.rstrip().splitlines()[-1].split()[1]) / 1024  # kilobytes


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
                print(f"  {case:22} {peak:7.0f} MB   {time.perf_counter() - started:6.0f} s wall", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

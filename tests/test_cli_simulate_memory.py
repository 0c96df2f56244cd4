"""Bounded memory: a long `simulate` run keeps neither its trace nor its waiting messages as objects.

Measured as each child process's peak resident set and compared as ratios within one test run,
so the machine's load and the interpreter's own size do not decide the outcome.
"""

from __future__ import annotations

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


# The child reports its own high-water mark as it exits. The rusage of wait4 would not do: on
# Linux a child's ru_maxrss starts from its parent's at fork, and a pytest worker is larger than
# a small run.
REPORT_PEAK = (
    "import atexit, sys\n"
    "def report():\n"
    "    peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "    sys.stderr.write('\\n' + peak)\n"
    "atexit.register(report)\n"
)


def peak_kb(arguments: list[str]) -> int:
    if arguments[0] == "-m":
        module, argv = arguments[1], arguments[1:]
        program = f"import runpy, sys; sys.argv = {argv!r}; runpy.run_module({module!r}, run_name='__main__')"
    else:
        program = arguments[1]
    child = subprocess.run(
        [sys.executable, "-c", REPORT_PEAK + program],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=PROJECT_ROOT,
    )
    error = child.stderr.decode()
    assert child.returncode == 0, error
    return int(error.rstrip().splitlines()[-1].split()[1])


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
    # The same run without a trace is the baseline: its waiting messages cost what they cost with
    # or without one, so only what the trace adds is compared.
    untraced = peak_kb(simulate("--json", sets=BACKLOG))
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
    assert kept > untraced, "keeping a quarter of a million events costs memory"
    assert (streamed - untraced) * 10 < kept - untraced, (untraced, streamed, kept)


def waiting_processes_kb() -> int:
    """What waiting the old way cost: a SimPy process per item (200,000), each on its timeout."""
    return peak_kb(
        [
            "-c",
            "import simpy\n"
            "env = simpy.Environment()\n"
            "def wait(env):\n"
            "    yield env.timeout(1)\n"
            "for _ in range(200000):\n"
            "    env.process(wait(env))\n"
            "env.run()\n",
        ]
    )


# Reserved concurrency 1 and arrivals far faster than the function: nearly all 200,000 events wait
# in throttle backoff at once (each keeping its Poisson arrival time) until their age runs out.
THROTTLED = (
    "model=async",
    "function.reserved_concurrency=1",
    "load.count=200000",
    "load.rate_per_s=20000",
    "async.maximum_event_age_s=60",
    "until_s=604800",
)


def test_throttled_async_events_wait_for_far_less_than_a_process_each():
    tiny = peak_kb(simulate("--json", sets=("model=async", "load.count=100")))
    throttled = peak_kb(simulate("--json", sets=THROTTLED))
    processes = waiting_processes_kb()
    assert processes > tiny, "200,000 waiting processes cost memory"
    assert (throttled - tiny) * 10 < processes - tiny, (tiny, throttled, processes)


# A burst of 200,000 requests against reserved concurrency 1, each caller retrying its 429s: nearly
# every caller backs off at once, again and again.
SYNC_RETRIES = (
    "model=sync",
    "function.reserved_concurrency=1",
    "function.duration_ms=10",
    "load.pattern=burst",
    "load.count=200000",
    "sync.client_retries=3",
    "until_s=604800",
)


def test_sync_callers_backing_off_wait_for_far_less_than_a_process_each():
    tiny = peak_kb(simulate("--json", sets=("model=sync", "load.count=100")))
    backing_off = peak_kb(simulate("--json", sets=SYNC_RETRIES))
    processes = waiting_processes_kb()
    assert processes > tiny, "200,000 waiting processes cost memory"
    assert (backing_off - tiny) * 10 < processes - tiny, (tiny, backing_off, processes)

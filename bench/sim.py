"""Simulator speed: the engine against a hand-written floor, and simulated time per wall second.

    python bench/sim.py [--count 200000] [--repeat 3]

1. A 200,000-message SQS workload (Poisson arrivals at 800/s, the mapping's maximum concurrency
   10, batch size 10, exponential 100 ms handler, no throttling) run end to end through
   `lambda-tutor simulate SCENARIO.toml --json`, beside a minimal hand-written heapq model of the
   same workload in this process. Goal: the command at most 5x the floor.
2. The same scenario through `tutor.sim.engine.run` in this process (no interpreter start-up),
   recording its trace rows as every run does. Goal: at most 2x the floor.
3. Simulated seconds per wall second of the `async-retries-destination` preset, run whole and
   stepped in 0.1 s slices (with a snapshot and the new events read at each) as a pane would.
4. The SQS workload again, each message written to a 700 WCU DynamoDB table: the downstream's
   cost as a ratio to the run without it.
5. Each model on its own workload (`--count` items, Poisson at 800/s, exponential 100 ms handler;
   Kinesis: 4 shards, batch 10), `tutor.sim.engine.run` with its trace rows beside a minimal
   heapq loop doing the same arrivals and invocations for that model. Goal: each at most 4x.

Peak memory per model and backlog: bench/sim_memory.py.

Times are processor time (user + system, the child's for the command), best of `--repeat` runs:
the machine is shared, and processor time is what others disturb least.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

RATE_PER_S = 800.0
MAX_CONCURRENCY = 10
BATCH_SIZE = 10
MEAN_DURATION_S = 0.1
PROJECT_ROOT = Path(__file__).resolve().parents[1]

SCENARIO_TOML = """\
model = "sqs"
seed = 1
until_s = 604800

[function]
duration_ms = 100
duration_dist = "exponential"
timeout_s = 3

[load]
count = {count}
rate_per_s = 800
pattern = "poisson"

[sqs]
batch_size = 10
maximum_concurrency = 10
"""


def heapq_floor(count: int, seed: int = 1) -> dict:
    """The same workload with nothing but a heap: arrivals, 10 pollers, batches, latencies."""
    arrivals_rng = random.Random(f"floor/{seed}/arrivals")
    durations_rng = random.Random(f"floor/{seed}/durations")
    events: list = []
    sequence = 0
    visible: deque = deque()
    idle_pollers = MAX_CONCURRENCY
    latencies: list[float] = []
    invocations = 0
    max_depth = 0
    arrived = 0
    now = arrivals_rng.expovariate(RATE_PER_S)
    heapq.heappush(events, (now, sequence, None))
    while events:
        now, _, batch = heapq.heappop(events)
        if batch is None:
            visible.append(now)
            arrived += 1
            if arrived < count:
                sequence += 1
                heapq.heappush(events, (now + arrivals_rng.expovariate(RATE_PER_S), sequence, None))
        else:
            for sent in batch:
                latencies.append(now - sent)
            idle_pollers += 1
        max_depth = max(max_depth, len(visible))
        while idle_pollers and visible:
            batch = [visible.popleft() for _ in range(min(BATCH_SIZE, len(visible)))]
            idle_pollers -= 1
            invocations += 1
            sequence += 1
            heapq.heappush(events, (now + durations_rng.expovariate(1 / MEAN_DURATION_S), sequence, batch))
    latencies.sort()

    def rank(p: float) -> float:
        return round(latencies[max(0, math.ceil(p * len(latencies)) - 1)], 6)

    return {
        "items": arrived,
        "succeeded": len(latencies),
        "invocations": invocations,
        "sim_time_s": round(now, 6),
        "max_queue_depth": max_depth,
        "latency_s": {"p50": rank(0.5), "p95": rank(0.95), "p99": rank(0.99), "max": round(latencies[-1], 6)},
    }


def cpu_seconds() -> float:
    """Processor time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(repeat: int, action, clock=cpu_seconds) -> tuple[float, object]:
    best, value = math.inf, None
    for _ in range(repeat):
        value = None
        gc.collect()
        started = clock()
        value = action()
        best = min(best, clock() - started)
    return best, value


def run_cli(arguments: list[str]) -> dict:
    # `python -m tutor` from the project root, not the `lambda-tutor` script: the script imports
    # whichever copy is installed, which need not be the one being measured.
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "simulate", *arguments],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    sys.path.insert(0, str(PROJECT_ROOT))
    from tutor.sim.engine import Simulation, run
    from tutor.sim.scenario import load_scenario

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "sqs-200k.toml"
        path.write_text(SCENARIO_TOML.format(count=options.count), encoding="utf-8")
        floor_s, floor = best_of(options.repeat, lambda: heapq_floor(options.count))
        cli_s, document = best_of(options.repeat, lambda: run_cli([str(path), "--json"]))
        startup_s, _ = best_of(options.repeat, lambda: run_cli(["sqs-lambda", "--json"]))
        scenario = load_scenario(path)
        engine_s, result = best_of(options.repeat, lambda: run(scenario))
        traced_s, traced_len = best_of(1, lambda: len(run(scenario).trace))

    summary = document["summary"]
    print(
        f"SQS workload: {options.count:,} messages, Poisson {RATE_PER_S:g}/s, maximum concurrency "
        f"{MAX_CONCURRENCY}, batch {BATCH_SIZE}, exponential {MEAN_DURATION_S * 1000:g} ms handler"
    )
    print(
        f"  heapq floor (in process)            {floor_s:7.3f} s   invocations {floor['invocations']:,}, "
        f"p50 {floor['latency_s']['p50']} s, p99 {floor['latency_s']['p99']} s"
    )
    print(
        f"  lambda-tutor simulate --json        {cli_s:7.3f} s   invocations {summary['invocations']:,}, "
        f"p50 {summary['latency_s']['p50']} s, p99 {summary['latency_s']['p99']} s"
    )
    print(f"    of which start-up (tiny preset)   {startup_s:7.3f} s")
    print(f"  ratio command / floor               {cli_s / floor_s:7.2f} x   (goal <= 5)")
    print(
        f"  engine.run in process               {engine_s:7.3f} s   ratio {engine_s / floor_s:.2f} x "
        f"(goal <= 2; summary {'equal' if result.summary == summary else 'DIFFERENT'} to the command's)"
    )
    print(f"  engine.run + building the trace     {traced_s:7.3f} s   ({traced_len:,} events)")

    preset = load_scenario("async-retries-destination")
    whole_s, result = best_of(options.repeat * 10, lambda: run(preset), time.perf_counter)
    sim_s = result.summary["sim_time_s"]

    def stepped() -> float:
        sim = Simulation(preset)
        tick = 0
        while not sim.done:
            tick += 1
            sim.advance(tick * 0.1)
            sim.snapshot()
            sim.drain_events()
        return sim.now

    stepped_s, _ = best_of(options.repeat, stepped, time.perf_counter)
    print(f"async-retries-destination: {sim_s:g} simulated s")
    print(f"  run whole                           {sim_s / whole_s:12,.0f} simulated s per wall s")
    print(f"  stepped in 0.1 s slices + snapshot  {sim_s / stepped_s:12,.0f} simulated s per wall s")
    downstream_run(scenario, options.repeat)
    model_runs(options.count, options.repeat)
    return 0


MODEL_OVERRIDES = {
    "sync": {"model": "sync"},
    "async": {"model": "async"},
    "kinesis": {"model": "kinesis", "kinesis.shards": 4, "kinesis.batch_size": 10, "load.partition_keys": 64},
}


def invocation_floor(count: int, seed: int = 1) -> dict:
    """Sync and async without throttles: each item invokes at its arrival, on a warm environment
    if one is idle; a heap of handler ends merged with the arrivals."""
    arrivals_rng = random.Random(f"floor/{seed}/arrivals")
    durations_rng = random.Random(f"floor/{seed}/durations")
    ends: list = []
    latencies: list[float] = []
    idle = busy = most = 0
    arrived = 0
    next_arrival = arrivals_rng.expovariate(RATE_PER_S)
    while arrived < count or ends:
        if ends and (arrived == count or ends[0][0] <= next_arrival):
            now, sent = heapq.heappop(ends)
            latencies.append(now - sent)
            busy -= 1
            idle += 1
            continue
        now = next_arrival
        arrived += 1
        if arrived < count:
            next_arrival = now + arrivals_rng.expovariate(RATE_PER_S)
        if idle:
            idle -= 1
        busy += 1
        most = max(most, busy)
        heapq.heappush(ends, (now + durations_rng.expovariate(1 / MEAN_DURATION_S), now))
    latencies.sort()
    return {"items": arrived, "max_concurrency": most, "p50": latencies[len(latencies) // 2]}


def stream_floor(count: int, shards: int = 4, batch: int = 10, keys: int = 64, seed: int = 1) -> dict:
    """Kinesis: records go to their key's shard; one reader per shard sends up to `batch` records
    at a time, in order, the next batch when its handler ends."""
    arrivals_rng = random.Random(f"floor/{seed}/arrivals")
    durations_rng = random.Random(f"floor/{seed}/durations")
    waiting = [deque() for _ in range(shards)]
    reading = [False] * shards
    ends: list = []
    latencies: list[float] = []
    invocations = arrived = 0
    next_arrival = arrivals_rng.expovariate(RATE_PER_S)

    def send(shard: int, now: float) -> None:
        nonlocal invocations
        records = waiting[shard]
        sent = [records.popleft() for _ in range(min(batch, len(records)))]
        reading[shard] = True
        invocations += 1
        heapq.heappush(ends, (now + durations_rng.expovariate(1 / MEAN_DURATION_S), shard, sent))

    while arrived < count or ends:
        if ends and (arrived == count or ends[0][0] <= next_arrival):
            now, shard, sent = heapq.heappop(ends)
            latencies.extend(now - t for t in sent)
            reading[shard] = False
            if waiting[shard]:
                send(shard, now)
            continue
        now = next_arrival
        arrived += 1
        if arrived < count:
            next_arrival = now + arrivals_rng.expovariate(RATE_PER_S)
        shard = ((arrived - 1) % keys) % shards
        waiting[shard].append(now)
        if not reading[shard]:
            send(shard, now)
    latencies.sort()
    return {"items": arrived, "invocations": invocations, "p50": latencies[len(latencies) // 2]}


def model_runs(count: int, repeat: int) -> None:
    """5. Each model against its own heap-loop floor."""
    from tutor.sim.engine import run
    from tutor.sim.scenario import load_scenario

    print(f"Each model, {count:,} items, Poisson {RATE_PER_S:g}/s, exponential {MEAN_DURATION_S * 1000:g} ms")
    floors = {"sync": invocation_floor, "async": invocation_floor, "kinesis": stream_floor}
    for model, overrides in MODEL_OVERRIDES.items():
        scenario = load_scenario("sqs-lambda").with_overrides(
            {
                **overrides,
                "load.count": count,
                "load.rate_per_s": RATE_PER_S,
                "load.pattern": "poisson",
                "function.duration_ms": MEAN_DURATION_S * 1000,
                "function.duration_dist": "exponential",
                "until_s": 604800,
            }
        )
        floor = floors[model]
        floor_s, _ = best_of(repeat, lambda: floor(count))  # noqa: B023 - called at once
        engine_s, result = best_of(repeat, lambda: run(scenario))  # noqa: B023 - called at once
        print(
            f"  {model:8} floor {floor_s:6.3f} s   engine.run {engine_s:6.3f} s   "
            f"ratio {engine_s / floor_s:5.2f} x (goal <= 4); {result.summary['invocations']:,} invocations"
        )


def downstream_run(scenario, repeat: int) -> None:
    """4. The same SQS workload writing each message to a DynamoDB table that throttles part of
    the time, beside the same workload without a table: what the downstream costs per run."""
    from tutor.sim.engine import run

    table = scenario.with_overrides(
        {"downstream.kind": "dynamodb", "downstream.write_capacity_units": 700, "downstream.burst_s": 0}
    )
    plain_s, _ = best_of(repeat, lambda: run(scenario))
    table_s, result = best_of(repeat, lambda: run(table))
    downstream = result.summary["downstream"]
    print("SQS workload writing to a 700 WCU table (no burst)")
    print(
        f"  engine.run with the table           {table_s:7.3f} s   ratio {table_s / plain_s:.2f} x; "
        f"{downstream['writes']:,} writes, {downstream['throttled_writes']:,} throttled, "
        f"{downstream['sdk_retries']:,} SDK retries"
    )


if __name__ == "__main__":
    raise SystemExit(main())

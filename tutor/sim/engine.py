"""The simulation engine: a scenario in, a trace and a summary out (the simulation contract).

Built on SimPy. Each model is a set of processes that follow the AWS flow: a caller waits on an
execution environment (`_sync`), an event waits on Lambda's internal queue (`_async`), pollers
receive batches from a queue (`_sqs`), shard readers read in order per parallelization slot
(`_streams`); the function itself (environments, cold starts, throttles, outcomes) is `_common`.

API for the command line and the UI::

    sim = Simulation(scenario, interventions=[(t, changes), ...])
    sim.advance(until_s)       # run to min(until_s, scenario.until_s); stops early once drained
    sim.step()                 # to the next instant that writes to the trace ("step one event")
    sim.next_event_at          # when the next event is due (None once done)
    sim.now, sim.done          # simulated time reached; whether the run has ended
    sim.snapshot()             # live state for the panes (keys below)
    sim.stage_items(limit)     # which items are where (SQS, streams), computed on demand
    sim.drain_events()         # trace events since the last call
    sim.trace, sim.summary()   # the whole trace so far; the contract's summary fields
    sim.intervene(changes)     # lab faults, applied from sim.now and replayed after reset()
    sim.reset()                # back to t = 0 (recorded interventions are kept and replayed)
    result = run(scenario)     # result.trace, result.summary
    run(scenario, record_trace=False)   # summary only: faster, and the trace stays empty
    Simulation(scenario, on_processed=f)  # f(items, t) as each invocation ends, with the items it
                                          # processed successfully (a chain hands them on)
    for events in sim.stream():  # the whole run in slices of events that are not kept, so a
        ...                      # long run's memory does not grow with its trace
    for rows, first in sim.stream_rows():  # the same slices as compact rows (the CLI writes
        ...                                # them with `_common.write_rows`)
    for events in sim.advance_in_slices(t):  # advance(t), its events handed over the same way
        ...                                  # (the panes)

Stepping: `advance(t)` processes every event at a time <= t, so stepping in any slices gives the
trace of one full run. The run ends when every item has arrived, the model holds no more work and
no handler runs ("drained"), or at `scenario.until_s` ("until"); the last trace event is `end`.

Interventions (`intervene`): `{"function.error_rate": 0..1}`, `{"function.item_error_rate": 0..1}`,
`{"function.reserved_concurrency": n or None}`, `{"poison": True | False}`. Poison makes the next
item to arrive fail every attempt as an item error (`kind = "error"`: reported on its own where
the model allows partial batch responses); `False` cancels a pending poison and cures poisoned
items from then on. An intervention made at `sim.now` applies after every event at or before
`now` that has been processed; it is recorded with that time, and one made after stepping back
discards the recorded interventions that came later. `Simulation(..., interventions=[(t, c)])`
applies `c` as if `advance(t)` had been called first (for t = 0: before any event).

snapshot() keys:
- `model`, `t` (now), `done`, `until_s`
- `counters`: `items`, `succeeded`, `failed`, `failed_by_reason` (AWS condition name -> count;
  sync uses `TooManyRequestsException`, `CallerTimeout`, `FunctionError`), `unfinished`,
  `throttles`, `cold_starts`, `invocations`, `concurrency` (executions running now),
  `max_concurrency`, `duplicates`, `destinations` (`on_success`, `on_failure`, `dlq`), `dropped`
- `function`: `busy` (running, Init included), `initializing`, `idle` (warm), `limit`,
  `reserved_concurrency` (None if unset), `error_rate`, `poison_pending`
- per model, under the model's own key (`sync`, `async`, `sqs`, or `streams` for both stream
  models):
  - `sync`: `callers_waiting`, `callers_backing_off`, `responses` (status -> count)
  - `async`: `queue_depth` (events on the internal queue, those waiting for a retry or a backoff
    included), `waiting_retry`, `waiting_backoff`, `in_flight`
  - `sqs`: `visible`, `in_flight` (received, not yet deleted), `pollers`, `pollers_receiving`,
    `batches_in_flight`, `batches_backing_off` (throttled, waiting to retry), `dlq` (moved to the
    queue's DLQ), `deleted`, `max_queue_depth`, and for FIFO `groups_in_flight`
  - `streams`: `shards`, one dict per shard: `shard`, `records` (put so far), `checkpoint`
    (records before it are all done), `iterator_age_s` (of the last batch sent),
    `oldest_record_age_s` (of the oldest record not yet done), `blocked` (a failed batch waits
    for its retry), `busy_slots`, `slots`

Trace fields beyond the contract's, so a log can say which try this is and of how many (each
model's docstring says exactly what they count):
- async `invoke_start` and `retry`: `attempt` (1-based; the first invocation is attempt 1) and
  `max_attempts` (`maximum_retry_attempts + 1`); on a `retry`, the attempt it waits for.
- sync `retry`: `client_attempt`, `client_max_attempts` (the caller's tries, `client_retries + 1`).
- sqs `retry`, and `invoke_start` when the batch holds a message received before:
  `receive_counts` (per item, in the order of `items`) and, with a redrive policy,
  `max_receive_count`.
- streams `retry`, and `invoke_start` of a retried batch: `retry` (N, 1-based) and `max_retries`
  (`maximum_retry_attempts`, -1 for no limit).

Summary: the contract's fields, plus `failed_by_reason`. `latency_s` percentiles use the nearest
rank and are None while no item has finished. `destinations` counts items per target (an async
event sent to both an on-failure destination and a DLQ counts in both).

Interpretations of the contract made here (each model's docstring lists its own: `_common`,
`_sync`, `_async`, `_sqs`, `_streams`):
- Events at the same instant run in the order they were scheduled (SimPy's rule); an arrival comes
  after every SimPy event due at its instant.
- "Drained" means: every item has arrived, the model holds no unfinished work (a waiting caller,
  an event on the internal queue, a message not yet deleted or redriven, a record not yet
  checkpointed or sent on) and no handler is running. Timers that could change nothing (an idle
  poller's batching window, say) are not waited for. `sim_time_s` is when the run ended.
- An item's final outcome is the first one it reaches (a success, or a failure with its
  condition); `latency_s` runs from its arrival to that moment. Later copies only add to
  `duplicates`.
- `throttles` counts refused invocation attempts, so a batch throttled three times counts three.
"""

from __future__ import annotations

import gc
import math
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from heapq import heappop
from typing import Any

import simpy

from tutor.errors import UserError
from tutor.sim._async import AsyncModel
from tutor.sim._common import Core, Item, Producer, decode_rows, t6
from tutor.sim._sqs import SqsModel
from tutor.sim._streams import StreamModel
from tutor.sim._sync import SyncModel

ITEM_PREFIX = {"sync": "req", "async": "evt", "sqs": "msg", "kinesis": "rec", "dynamodb": "rec"}
SORT_SLICE = 1_000_000  # latencies sorted at a time for the percentiles
INTERVENTION_KEYS = (
    "function.error_rate",
    "function.item_error_rate",
    "function.reserved_concurrency",
    "poison",
)


class Result:
    """A finished run: `summary` (the contract's fields) and `trace` (its events, built on first use)."""

    __slots__ = ("_core", "summary")

    def __init__(self, core: Core, summary: dict):
        self._core = core
        self.summary = summary

    @property
    def trace(self) -> list[dict]:
        return self._core.materialise()


class Simulation:
    """One run of a scenario that can be advanced in steps, inspected and reset."""

    def __init__(
        self,
        scenario: Any,
        interventions: Iterable[tuple] | None = None,
        *,
        record_trace: bool = True,
        on_processed: Callable[[Sequence[Item], float], None] | None = None,
    ):
        self.scenario = scenario
        self.until_s = float(scenario.until_s)
        self._record_trace = record_trace
        self._on_processed = on_processed
        # (t, after_events_at_t, changes), in the order they were made
        self._interventions: list[tuple[float, bool, dict]] = []
        for entry in interventions or ():
            t, changes = float(entry[0]), dict(entry[1])
            check_changes(changes, scenario)
            self._interventions.append((t, t > 0, changes))
        self._interventions.sort(key=lambda entry: (entry[0], entry[1]))
        self._build()

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        scenario = self.scenario
        self.env = env = simpy.Environment(0.0)
        model = scenario.model
        self.core = core = Core(scenario, env, ITEM_PREFIX[model], self._record_trace)
        core.on_processed = self._on_processed
        self.model: SyncModel | AsyncModel | SqsModel | StreamModel
        if model == "sync":
            self.model = SyncModel(core)
        elif model == "async":
            self.model = AsyncModel(core)
        elif model == "sqs":
            self.model = SqsModel(core)
        else:
            self.model = StreamModel(core, model)
        self.producer = Producer(
            core,
            self.model.arrive,
            self.model.arrive_one,
            getattr(self.model, "arrive_number", None),
            getattr(self.model, "arrive_range", None),
            getattr(self.model, "quiet_arrivals", None),
        )
        self.done = False
        self.end_reason: str | None = None
        self._drained_at = 0
        self._row_budget: float = math.inf  # `stream` pauses the loop once this many rows wait
        self._paused = False
        self._processed_through = -math.inf  # every event at a time <= this has been processed
        self._next_intervention = 0

    def reset(self) -> None:
        """Back to the start; the recorded interventions will be replayed as time passes them."""
        self._build()

    # -- time -----------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.env._now

    @property
    def trace(self) -> list[dict]:
        return self.core.materialise()

    def advance(self, until_s: float) -> None:
        """Process every event up to min(until_s, scenario.until_s); stop early once drained."""
        if self.done:
            return
        target = min(float(until_s), self.until_s)
        if target < self.env._now:
            return
        pending = self._interventions
        while self._next_intervention < len(pending) and not self.core.drained:
            t, after, changes = pending[self._next_intervention]
            if t > target:
                break
            if self._run_to(t, inclusive=after):
                break
            if self._paused:
                return
            self.env._now = max(self.env._now, t)
            self._apply(changes)
            self._next_intervention += 1
        self._run_to(target, inclusive=True)
        if self._paused:
            return
        core = self.core
        if core.drained:
            self._finish("drained")
        else:
            self.env._now = max(self.env._now, target)
            self._processed_through = max(self._processed_through, target)
            if target >= self.until_s:
                self._finish("until")

    @property
    def next_event_at(self) -> float | None:
        """When the next event is due (SimPy's queue or the next arrival), or None if nothing is."""
        if self.done:
            return None
        queue = self.env._queue
        due = min(queue[0][0] if queue else math.inf, self.producer.next_at)
        return None if due == math.inf else due

    def step(self) -> float:
        """Advance to the next instant at which something is written to the trace (or to the end).

        For a "step one event" control: every event of that instant is processed, so stepping
        this way is the same as slicing at event times. Returns the new `now`.
        """
        written = len(self.core.rows) + len(self.core.trace)
        while not self.done:
            due = self.next_event_at
            if due is None or due > self.until_s:
                self.advance(self.until_s)
                break
            self.advance(due)
            if len(self.core.rows) + len(self.core.trace) > written:
                break
        return self.now

    def _run_to(self, t: float, inclusive: bool) -> bool:
        """Process events up to t (or just before it); whether that drained the run."""
        # A long run allocates a trace record per event and keeps them all: the cyclic garbage
        # collector would walk that ever-growing heap again and again for nothing (the engine
        # makes almost no reference cycles), so it is paused while events are processed.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._step_to(t, inclusive)
        finally:
            if collecting:
                gc.enable()
        return self.core.drained

    def _step_to(self, t: float, inclusive: bool) -> None:
        """Process SimPy's events and the arrivals, in time order, up to t (or just before it);
        pause (`_paused`) once the trace rows reach the row budget."""
        env = self.env
        # Typed loosely: besides SimPy's events it holds the models' own entries (`Line`, calls).
        queue: list[Any] = env._queue
        core = self.core
        rows = core.rows
        budget = self._row_budget
        producer = self.producer
        fire = producer.fire
        never = math.inf
        self._paused = False
        while not core.drained:
            if len(rows) >= budget:
                self._paused = True
                return
            head = queue[0][0] if queue else never
            due = producer.next_at
            if due < head:
                if due > t or (due == t and not inclusive):
                    break
                env._now = due
                fire(t, inclusive, budget)
            elif head < t or (head == t and inclusive):
                # SimPy 4.1's `Environment.step`, written out: one call less per event, the loop's
                # most frequent branch. A run never raises StopSimulation (it never calls
                # `env.run`), so only the crash on a failed, undefused event is kept.
                env._now, _, _, event = heappop(queue)
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    crash = type(event._value)(*event._value.args)
                    crash.__cause__ = event._value
                    raise crash
            else:
                break
        if inclusive:
            self._processed_through = max(self._processed_through, t)

    def _finish(self, reason: str) -> None:
        self.done = True
        self.end_reason = reason
        self.core.emit({"t": t6(self.env._now), "kind": "end", "reason": reason})

    # -- interventions --------------------------------------------------------------------------

    @property
    def interventions(self) -> list[tuple[float, dict]]:
        return [(t, dict(changes)) for t, _, changes in self._interventions]

    def intervene(self, changes: Mapping[str, Any]) -> None:
        """Apply lab changes from now on, and record them so a reset run reproduces them."""
        changes = dict(changes)
        check_changes(changes, self.scenario)
        now = self.env._now
        after = self._processed_through >= now
        # A new intervention after stepping back starts a new timeline: later ones are forgotten.
        keep = self._interventions[: self._next_intervention]
        keep.append((now, after, changes))
        self._interventions = keep
        self._next_intervention = len(keep)
        self._apply(changes)

    def _apply(self, changes: Mapping[str, Any]) -> None:
        core = self.core
        for key, value in changes.items():
            if key == "function.error_rate":
                core.error_rate = float(value)
            elif key == "function.item_error_rate":
                core.item_error_rate = float(value)
            elif key == "function.reserved_concurrency":
                core.reserved_concurrency = value
                core.limit = core.account_concurrency if value is None else int(value)
            elif key == "poison":
                if value:
                    core.poison_next = True
                else:
                    core.poison_next = False
                    for item in core.poisoned:
                        item.poisoned = False
                    core.poisoned = []

    # -- reading --------------------------------------------------------------------------------

    def stream(self, chunk_rows: int = 20_000) -> Iterator[list[dict]]:
        """Run to the end, yielding the trace in slices of about `chunk_rows` events, in order.

        The events are handed over and not kept (`trace` stays empty), so memory stays bounded
        however long the run; without `record_trace` the slices are empty and only the summary
        is built. Not for a run that is also read through `trace` or `drain_events`.
        """
        prefix = self.core.prefix
        for rows, first in self.stream_rows(chunk_rows):
            events: list[dict] = []
            decode_rows(rows, prefix, first, events.append)
            yield events

    def stream_rows(self, chunk_rows: int = 20_000) -> Iterator[tuple[list, int]]:
        """`stream`, its slices as the engine's compact rows, with the number of the item of the
        first bare-float `arrive` row: for `_common.write_rows` (a trace file written without a
        dict per event) or `_common.decode_rows`."""
        core = self.core
        self._row_budget = chunk_rows
        try:
            while not self.done:
                self.advance(self.until_s)
                if core.rows or self.done:
                    yield core.take_rows()
        finally:
            self._row_budget = math.inf

    def advance_in_slices(self, until_s: float, chunk_rows: int = 20_000) -> Iterator[list[dict]]:
        """`advance(until_s)`, yielding the events it writes in slices of about `chunk_rows`.

        Like `stream`, the events are handed over and not kept, so a pane that plays a long run
        (or re-runs it to step back) holds only what it makes of them.
        """
        core = self.core
        self._row_budget = chunk_rows
        try:
            while True:
                self.advance(until_s)
                if core.rows:
                    yield core.take_events()
                if not self._paused or self.done:
                    return
        finally:
            self._row_budget = math.inf
            self._paused = False

    def drain_events(self) -> list[dict]:
        """The trace events written since the previous call."""
        trace = self.core.materialise()
        events = trace[self._drained_at :]
        self._drained_at = len(trace)
        return events

    def snapshot(self) -> dict:
        core = self.core
        counters = self._counters()
        counters["concurrency"] = core.busy
        model_key = "streams" if self.scenario.model in ("kinesis", "dynamodb") else self.scenario.model
        return {
            "model": self.scenario.model,
            "t": t6(self.env._now),
            "done": self.done,
            "until_s": self.until_s,
            "counters": counters,
            "function": {
                "busy": core.busy,
                "initializing": core.initializing(),
                "idle": core.idle,
                "limit": core.limit,
                "reserved_concurrency": core.reserved_concurrency,
                "error_rate": core.error_rate,
                "poison_pending": core.poison_next,
            },
            model_key: self.model.snapshot(),
        }

    def stage_items(self, limit: int = 50) -> dict:
        """Which items are in which stage, for a flow view, where the model holds them in order:
        SQS (visible messages, pollers' batches) and streams (each shard's records from its
        checkpoint). Empty for sync (callers wait inside SimPy processes) and async (waiting events
        are compact rows by delay, not in queue order); a view follows those through the trace.
        Computed on demand: nothing is added to the event loop."""
        listing = getattr(self.model, "stage_items", None)
        return listing(limit) if listing is not None else {}

    def _counters(self) -> dict:
        core = self.core
        items = core.arrived
        return {
            "items": items,
            "succeeded": core.succeeded,
            "failed": core.failed,
            "failed_by_reason": dict(sorted(core.failed_by_reason.items())),
            "unfinished": items - core.succeeded - core.failed,
            "throttles": core.throttles,
            "cold_starts": core.cold_starts,
            "invocations": core.invocations,
            "max_concurrency": core.max_concurrency,
            "duplicates": core.duplicates,
            "destinations": dict(core.destinations),
            "dropped": core.dropped,
        }

    def summary(self) -> dict:
        core = self.core
        counters = self._counters()
        summary = {
            "model": self.scenario.model,
            "sim_time_s": t6(self.env._now),
            "items": counters["items"],
            "succeeded": counters["succeeded"],
            "failed": counters["failed"],
            "unfinished": counters["unfinished"],
            "invocations": counters["invocations"],
            "cold_starts": counters["cold_starts"],
            "throttles": counters["throttles"],
            "max_concurrency": counters["max_concurrency"],
            "duplicates": counters["duplicates"],
            "destinations": counters["destinations"],
            "dropped": counters["dropped"],
            "latency_s": latency_summary(core.latencies),
            "failed_by_reason": counters["failed_by_reason"],
        }
        summary.update(self.model.summary())
        # Downstream, reclaimed environments and billed units: counters kept as the run goes.
        if core.downstream is not None:
            summary["downstream"] = core.downstream.summary()
        if core.reclaim is not None:
            core.reclaim.prune(self.env._now)
            summary["reclaimed_environments"] = core.reclaim.reclaimed
        summary["billed"] = core.billing.summary(core.downstream)
        return summary


def latency_summary(latencies: array) -> dict:
    """Nearest-rank percentiles of an array("d"), which is sorted in place in slices: sorting ten
    million latencies at once would take a list of float objects, 40 bytes each."""
    count = len(latencies)
    if not count:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    runs = []
    for start in range(0, count, SORT_SLICE):
        end = min(start + SORT_SLICE, count)
        latencies[start:end] = array("d", sorted(latencies[start:end]))
        runs.append((start, end))

    def rank(p: float) -> float:
        return t6(_kth_smallest(latencies, runs, max(0, math.ceil(p * count) - 1)))

    return {
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": t6(max(latencies[end - 1] for _, end in runs)),
    }


def _kth_smallest(values: array, runs: list[tuple[int, int]], k: int) -> float:
    """The k-th smallest (from 0) of `values`, whose slices `runs` are each sorted."""
    if len(runs) == 1:
        return values[k]
    best = math.inf
    for start, end in runs:
        low, high = start, end
        while low < high:  # the first value of this run with more than k values at or below it
            middle = (low + high) // 2
            at_or_below = sum(bisect_right(values, values[middle], lo, hi) - lo for lo, hi in runs)
            if at_or_below > k:
                high = middle
            else:
                low = middle + 1
        if low < end:
            best = min(best, values[low])
    return best


def check_changes(changes: Mapping[str, Any], scenario: Any) -> None:
    """Refuse an intervention the lab should never send, in one line naming the key and the range."""
    for key, value in changes.items():
        if key not in INTERVENTION_KEYS:
            raise UserError(f"intervention {key!r}: unknown; allowed {', '.join(INTERVENTION_KEYS)}")
        if key in ("function.error_rate", "function.item_error_rate"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise UserError(f"intervention {key} = {value!r}: allowed a number 0..1")
        elif key == "function.reserved_concurrency":
            highest = scenario.function.account_concurrency - 100
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest
            ):
                raise UserError(
                    f"intervention {key} = {value!r}: allowed a whole number 0..{highest:,} "
                    "or None to remove the reservation"
                )
        elif not isinstance(value, bool):
            raise UserError(f"intervention poison = {value!r}: allowed true or false")


def run(scenario: Any, *, record_trace: bool = True) -> Result:
    """Run a scenario to its end (drained, or `until_s`)."""
    simulation = Simulation(scenario, record_trace=record_trace)
    simulation.advance(simulation.until_s)
    return Result(simulation.core, simulation.summary())

"""The parts every model shares: items, the function's execution environments, invocations,
outcomes, destinations, random streams and the trace.

A model (`_sync`, `_async`, `_sqs`, `_streams`) owns the flow in front of the function (a caller,
the internal queue, pollers, shard readers); `Core` owns what happens at the function itself and
the bookkeeping that the summary and the snapshot read. Everything here runs inside SimPy
processes, so nothing may look at wall-clock time or any randomness but `Core.rng(concern)`.

Interpretations of the contract made here (listed again in the engine's docstring):
- Execution environments are never reclaimed while idle (AWS documents no idle lifetime), unless
  `function.idle_reclaim_s` is set (see `_reclaim`).
- The scaling rate is a token bucket of 1,000 new environments that refills at 100 a second and
  never holds more than 1,000: a burst may start 1,000 environments at once, then 100 a second.
- The Init phase (cold start) comes before the handler and does not count against `timeout_s`
  (AWS caps on-demand Init separately at 10 s and `Duration` excludes it).
- Random errors and durations are drawn when an invocation starts; a timeout ends the handler at
  `timeout_s`. `duration_dist = "lognormal"` keeps `duration_ms` as its mean with shape 0.5.
- Load: `uniform` puts item n at (n - 1) / rate_per_s, `poisson` draws exponential gaps (the first
  item after one gap), `burst` puts every item at t = 0 (see `Producer`).
- A "successful processing" of an item (what `duplicates` counts beyond the first) is an
  invocation in which that item did not fail: an item error fails only its own item (the others
  in the batch were processed, even when the batch is reported failed because partial batch
  responses are off), while a raise or a timeout processes none of the batch.
"""

from __future__ import annotations

import gc
import math
import random
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from heapq import heappush
from math import log
from typing import TYPE_CHECKING, Any, ClassVar

import simpy

from tutor.sim._downstream import Downstream
from tutor.sim._outcome import ERROR, OK, TIMEOUT, t6
from tutor.sim._reclaim import IdleReclaim
from tutor.sim.billing import Billing

if TYPE_CHECKING:
    from tutor.sim._sqs import Receipt
    from tutor.sim.scenario import Fault

# How many new execution environments a function may add per 10 s, refilled continuously.
SCALE_BURST = 1000
SCALE_REFILL_PER_S = SCALE_BURST / 10.0
LOGNORMAL_SHAPE = 0.5
# Backoff (s) for throttled retries and stream retries: starts here, doubles, stops growing here.
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 300.0

SUCCEEDED = "succeeded"
# How a batch handler can report failures: not at all (the batch fails whole), each failed item
# (SQS standard, streams), or the first failure and everything after it (SQS FIFO).
WHOLE, EACH, REST = 0, 1, 2


class Item:
    """One request, event, message or record, from arrival to its final outcome.

    Every model's fields live here, with neutral values for the models that do not use them:
    one slotted class keeps the per-item cost (the hottest allocation of a long run) low.
    `_sqs.Fresh.receive` makes most SQS messages field by field instead of calling `__init__`: a
    new field is set there too."""

    __slots__ = (
        "attempts",
        "faults",
        "group",
        "holder",
        "id",
        "n",
        "outcome",
        "poisoned",
        "receives",
        "shard",
        "slot",
        "state",
        "successes",
        "t",
    )

    id: str
    n: int  # its number in arrival order, from 1
    t: float  # when it arrived
    outcome: str | None  # None while unfinished, then SUCCEEDED or the failure's condition name
    successes: int  # invocations that processed it without it failing
    attempts: int  # invocations that held it (counted only when faults or poison are in play)
    faults: list[Fault] | None  # the scenario's deterministic faults for this item
    poisoned: bool  # the lab's poison: fails every invocation that holds it
    # SQS: the message's state (_sqs.VISIBLE, IN_FLIGHT or DONE), how often it was received, the
    # receipt that received it last, and its FIFO message group (0 on a standard queue).
    state: int
    receives: int
    holder: Receipt | None
    group: int
    # Streams: the shard and parallelization slot that its partition key maps to.
    shard: int
    slot: int

    def __init__(self, prefix: str, n: int, t: float):
        self.id = f"{prefix}-{n}"
        self.n = n
        self.t = t
        self.outcome = None
        self.successes = 0
        self.attempts = 0
        self.faults = None
        self.poisoned = False
        self.state = 0  # _sqs.VISIBLE: a message arrives visible, with no receive yet
        self.receives = 0
        self.holder = None
        self.group = 0
        self.shard = 0
        self.slot = 0


class Invocation:
    """One run of the handler: who it holds, how long it takes, how it ends (decided at start)."""

    __slots__ = ("cold", "failed", "id", "items", "outcome", "partial", "processed", "shard", "total_s")

    def __init__(
        self,
        number: int,
        items: list[Item],
        cold: bool,
        total_s: float,
        outcome: str,
        failed: list[Item] | None,
        partial: bool,
        processed: Sequence[Item],
        shard: int | None,
    ):
        self.id = number
        self.items = items
        self.cold = cold
        self.total_s = total_s  # Init (if cold) plus the handler, as seen by whoever waits on it
        self.outcome = outcome
        self.failed = failed  # None, or the items reported failed (all of them for a whole failure)
        self.partial = partial  # the handler reported some items failed (no raise, no timeout)
        self.processed = processed  # the items the handler did process successfully
        self.shard = shard


class Core:
    """Shared state of one run: environment pool, counters, trace, random streams."""

    # Told of each invocation's successfully processed items as it ends (a chain hands them on).
    on_processed: Callable[[Sequence[Item], float], None] | None = None

    def __init__(self, scenario: Any, env: simpy.Environment, prefix: str, record_trace: bool = True):
        self.scenario = scenario
        self.env = env
        self.prefix = prefix
        fn = scenario.function
        self.seed = scenario.seed
        # The trace as written: a flat list holding dicts for most events and a compact encoding of
        # the frequent kinds (see ARRIVE), turned into the contract's dicts (`trace`) when somebody
        # reads the trace. A long run read only for its summary never pays for a dict and a
        # rounding per event, and its rows are plain numbers and strings that the cyclic garbage
        # collector never has to visit.
        self.rows: list = []
        self.trace: list[dict] = []
        self._arrive_rows = 0
        self.tracing = record_trace
        # The `items` of the last compact `invoke_start` row (ids joined by commas): an SQS batch
        # that is deleted whole writes the same string in its `delete` row.
        self.started_ids = ""
        self.emit: Callable[[Any], None] = self.rows.append if record_trace else _discard

        # The function's settings (interventions may change some of them mid-run).
        self.duration_s = fn.duration_ms / 1000.0
        self.duration_dist = fn.duration_dist
        self.timeout_s = float(fn.timeout_s)
        self.cold_start_s = fn.cold_start_ms / 1000.0
        self.account_concurrency = fn.account_concurrency
        self.reserved_concurrency = fn.reserved_concurrency
        self.limit = fn.account_concurrency if fn.reserved_concurrency is None else fn.reserved_concurrency
        self.error_rate = fn.error_rate
        self.item_error_rate = fn.item_error_rate
        self.faults_by_n: dict[int, list] = {}
        for fault in fn.faults:
            self.faults_by_n.setdefault(int(fault.item.rsplit("-", 1)[1]), []).append(fault)
        self.poison_next = False
        self.poisoned: list[Item] = []

        self._random_streams()

        # Execution environments.
        self.busy = 0  # running an invocation (its Init phase included)
        self.idle = 0  # warm, waiting for the next invocation
        self.init_ends: deque[float] = deque()  # when the Init phases still running end (for snapshots)
        self.tokens = float(SCALE_BURST)
        self.tokens_t = 0.0

        # Items and counters.
        self.arrived = 0
        self.arrivals_done = False
        self.drained = False
        self.outstanding = 0  # work the model still holds (see each model); 0 + nothing running = drained
        self.invocations = 0
        self.cold_starts = 0
        self.throttles = 0
        self.max_concurrency = 0
        self.succeeded = 0
        self.failed = 0
        self.failed_by_reason: dict[str, int] = {}
        self.duplicates = 0
        self.destinations = {"on_success": 0, "on_failure": 0, "dlq": 0}
        self.dropped = 0
        # Arrival to final outcome, one per finished item: 8 bytes each, not a float object.
        self.latencies = array("d")
        self._attach_extensions(scenario)

    def _attach_extensions(self, scenario: Any) -> None:
        """Billed units, the downstream and idle reclaim: their own modules, hooked into `start`
        and `finish`."""
        self.billing = Billing(self)
        self.downstream = (
            Downstream(self, scenario.downstream) if scenario.downstream.kind != "none" else None
        )
        idle_s = scenario.function.idle_reclaim_s
        self.reclaim = None if idle_s is None else IdleReclaim(self, idle_s)

    # -- randomness -----------------------------------------------------------------------------

    def _random_streams(self) -> None:
        self._durations = self.rng("durations")
        self._duration_draw = self._durations.random
        self._errors = self.rng("errors")
        self._item_errors = self.rng("item_errors")
        if self.duration_dist == "lognormal" and self.duration_s > 0:
            self._lognormal_mu = math.log(self.duration_s) - LOGNORMAL_SHAPE**2 / 2
        # `start` draws an exponential duration itself (see `sample_duration`) when this is set.
        self._exponential_rate = (
            1.0 / self.duration_s if self.duration_dist == "exponential" and self.duration_s > 0 else None
        )

    def rng(self, concern: str) -> random.Random:
        """An independent stream per concern, so changing one parameter does not reshuffle others."""
        return random.Random(f"lambda-tutor/{self.seed}/{concern}")

    def sample_duration(self) -> float:
        dist = self.duration_dist
        mean = self.duration_s
        if dist == "fixed" or mean <= 0:
            return mean
        if dist == "exponential":
            # random.expovariate(1 / mean), inlined: the same numbers, one call less.
            return -log(1.0 - self._duration_draw()) / (1.0 / mean)
        return self._durations.lognormvariate(self._lognormal_mu, LOGNORMAL_SHAPE)

    # -- items ----------------------------------------------------------------------------------

    def new_item(self, n: int, t: float) -> Item:
        item = Item(self.prefix, n, t)
        if self.faults_by_n:
            item.faults = self.faults_by_n.get(n)
        if self.poison_next:
            self.poison_next = False
            item.poisoned = True
            self.poisoned.append(item)
        self.arrived += 1
        return item

    def succeed(self, item: Item) -> None:
        """The item's final outcome is a success (first one wins)."""
        if item.outcome is None:
            item.outcome = SUCCEEDED
            self.succeeded += 1
            self.latencies.append(self.env._now - item.t)

    def fail(self, item: Item, reason: str) -> None:
        """The item's final outcome is a failure with an AWS condition name (first one wins)."""
        if item.outcome is None:
            item.outcome = reason
            self.failed += 1
            self.failed_by_reason[reason] = self.failed_by_reason.get(reason, 0) + 1
            self.latencies.append(self.env._now - item.t)

    def fail_unmade(self, t: float, reason: str) -> None:
        """`fail` for an item whose `Item` was never made (it never ran), arrived at t."""
        self.failed += 1
        self.failed_by_reason[reason] = self.failed_by_reason.get(reason, 0) + 1
        self.latencies.append(self.env._now - t)

    def deliver(self, items: list[Item], target: str, reason: str, **counts: Any) -> None:
        """Items sent to `target` (on_success, on_failure or dlq) with AWS's condition name;
        `counts` say how often they were tried (invocations, receives or retries)."""
        self.destinations[target] += len(items)
        event = {
            "t": t6(self.env._now),
            "kind": "destination",
            "items": [i.id for i in items],
            "target": target,
            "reason": reason,
        }
        if counts:
            event.update(counts)
        self.emit(event)

    def drop(self, items: list[Item], reason: str, **counts: Any) -> None:
        self.dropped += len(items)
        event = {"t": t6(self.env._now), "kind": "drop", "items": [i.id for i in items], "reason": reason}
        if counts:
            event.update(counts)
        self.emit(event)

    def retry(self, items: list[Item], reason: str, at: float, **counts: Any) -> None:
        """Items to be tried again at `at`; `counts` are the model's attempt, receive or retry numbers."""
        event = {
            "t": t6(self.env._now),
            "kind": "retry",
            "items": [i.id for i in items],
            "reason": reason,
            "at": t6(at),
        }
        if counts:
            event.update(counts)
        self.emit(event)

    def settle(self) -> None:
        """Mark the run drained once every item has arrived and nothing is left to do."""
        if self.arrivals_done and not self.outstanding and not self.busy:
            self.drained = True

    # -- the function ---------------------------------------------------------------------------

    def start(
        self,
        items: list[Item],
        report: int = WHOLE,
        shard: int | None = None,
        counts: dict | None = None,
        attempt: tuple[int, int] | None = None,
        first: int = 0,
    ) -> Invocation | None:
        """Invoke the handler with `items`, or throttle (None) for lack of concurrency.

        An invocation takes a warm idle environment when there is one, else starts a new one (a
        cold start) if the function's concurrency limit and the scaling rate allow it. `counts`
        (attempt, receive or retry numbers) are added to the `invoke_start` event; SQS and streams pass
        them only for a redelivery or a retry, so their common first try keeps the compact row. The
        async model's one event and its `attempt` of `max_attempts` come as `attempt`, a compact row.
        A `first` other than 0 says that `items` are items first, first + 1, ... in order (an SQS
        batch received off one run of never-received messages): the row names them by that range.

        This runs once per invocation, so the common case (a warm environment, nothing failing, a
        first try) stays inline here and only the rarer steps are calls.
        """
        now = self.env._now
        if self.busy >= self.limit:
            self._throttle(items)
            return None
        reclaim = self.reclaim
        if reclaim is not None:
            reclaim.prune(now)
        if self.idle:
            self.idle -= 1
            if reclaim is not None:
                reclaim.take()
            cold = False
        elif self._start_environment(now):
            cold = True
        else:
            self._throttle(items)
            return None
        busy = self.busy = self.busy + 1
        if busy > self.max_concurrency:  # noqa: PLR1730 - once per invocation: max() costs more
            self.max_concurrency = busy
        self.invocations += 1
        number = self.invocations

        rate = self._exponential_rate
        # `sample_duration`'s exponential draw written out (the same numbers): one call less.
        run_s = -log(1.0 - self._duration_draw()) / rate if rate is not None else self.sample_duration()
        whole = bad = None
        if self.faults_by_n or self.poisoned or self.error_rate > 0.0 or self.item_error_rate > 0.0:
            whole, bad = self._draw_failures(items)
        outcome, failed, partial = OK, None, False
        processed: Sequence[Item] = items
        if whole is not None or bad is not None or run_s > self.timeout_s:
            outcome, run_s, failed, partial, processed = self._failure(items, report, run_s, whole, bad)
        if self.downstream is not None and processed:
            outcome, run_s, failed, partial, processed = self.downstream.write(
                number,
                items,
                processed,
                now + (self.cold_start_s if cold else 0.0),
                run_s,
                outcome,
                failed,
                partial,
            )
        invocation = Invocation(
            number,
            items,
            cold,
            (self.cold_start_s if cold else 0.0) + run_s,
            outcome,
            failed,
            partial,
            processed,
            shard,
        )
        if self.tracing:
            if attempt is not None:
                self.rows.extend((START_ATTEMPT, now, number, items[0].n, cold, *attempt))
            elif first:
                # No ids read or joined: the readers of the rows spell them out when they need them.
                self.rows.extend((INVOKE_RANGE, now, number, first, len(items), cold))
            elif counts is None:
                ids = self.started_ids = (
                    items[0].id if len(items) == 1 else ",".join([item.id for item in items])
                )
                self.rows.extend((INVOKE_START, now, number, ids, cold, shard))
            else:
                self._trace_start(invocation, counts)
        return invocation

    def _start_environment(self, now: float) -> bool:
        """A cold start, if the scaling rate has a token left: whether a new environment started."""
        tokens = self.tokens + (now - self.tokens_t) * SCALE_REFILL_PER_S
        self.tokens_t = now
        tokens = min(tokens, SCALE_BURST)
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        self.cold_starts += 1
        if self.cold_start_s > 0:
            self.init_ends.append(now + self.cold_start_s)
        return True

    def _draw_failures(self, items: list[Item]) -> tuple[str | None, list[Item] | None]:
        """What goes wrong in this invocation: a whole-invocation fault ("raise" or "timeout", or
        None) and the items that fail on their own (or None). Faults first, then the random
        streams, always in this order so that the same seed draws the same numbers."""
        whole: str | None = None
        bad: list[Item] | None = None
        if self.faults_by_n or self.poisoned:
            whole, bad = self._match_faults(items)
        if self.error_rate > 0.0 and self._errors.random() < self.error_rate and whole is None:
            whole = "raise"
        if self.item_error_rate > 0.0:
            draw = self._item_errors.random
            rate = self.item_error_rate
            for item in items:
                if draw() < rate:
                    if bad is None:
                        bad = [item]
                    elif item not in bad:
                        bad.append(item)
        return whole, bad

    def _match_faults(self, items: list[Item]) -> tuple[str | None, list[Item] | None]:
        """The scenario's deterministic faults and the lab's poisoned items, counting this attempt."""
        whole: str | None = None
        bad: list[Item] | None = None
        for item in items:
            item.attempts += 1
            failing = item.poisoned
            if item.faults is not None:
                for fault in item.faults:
                    if fault.fails_attempt(item.attempts):
                        kind = fault.kind
                        if kind == "error":
                            failing = True
                        elif kind == "timeout" or whole is None:
                            whole = kind
            if failing:
                if bad is None:
                    bad = [item]
                else:
                    bad.append(item)
        return whole, bad

    def _failure(
        self, items: list[Item], report: int, run_s: float, whole: str | None, bad: list[Item] | None
    ) -> tuple[str, float, list[Item], bool, Sequence[Item]]:
        """How a failing invocation ends: outcome, run time, the items reported failed, whether the
        handler reported them itself (a partial batch response), and the items it did process."""
        if whole == "timeout" or run_s > self.timeout_s:
            return TIMEOUT, self.timeout_s, items, False, ()
        if whole is not None or bad is None:  # bad is None only when `whole` says what failed
            return ERROR, run_s, items, False, ()
        if report == REST:
            # FIFO: the handler stops at the first failure and reports it with every later message,
            # which it never processed. Reporting batchItemFailures is a normal return, not a
            # function error: the handler caught the bad items and listed them.
            first = min(items.index(item) for item in bad)
            return OK, run_s, items[first:], True, items[:first]
        processed = [item for item in items if item not in bad]
        if report == WHOLE:
            return ERROR, run_s, items, False, processed
        failed = [item for item in items if item in bad] if len(bad) > 1 else bad
        return OK, run_s, failed, True, processed

    def _trace_start(self, invocation: Invocation, counts: dict) -> None:
        """An `invoke_start` that carries attempt, receive or retry numbers, as its full dict."""
        record = {
            "t": t6(self.env._now),
            "kind": "invoke_start",
            "invocation": invocation.id,
            "items": [item.id for item in invocation.items],
            "cold": invocation.cold,
        }
        if invocation.shard is not None:
            record["shard"] = invocation.shard
        record.update(counts)
        self.rows.append(record)

    def _throttle(self, items: list[Item]) -> None:
        self.throttles += 1
        self.emit({"t": t6(self.env._now), "kind": "throttle", "items": [item.id for item in items]})

    def finish(self, invocation: Invocation) -> None:
        """The handler ends: its environment becomes idle and warm; successes are counted.

        The end of the last running handler can be what drains the run (an SQS message moved to
        the DLQ while the batch holding it still ran), so the run is settled here too."""
        self.busy -= 1
        self.idle += 1
        self.billing.ended(invocation.total_s)
        if self.reclaim is not None:
            self.reclaim.idled(self.env._now)
        failed = invocation.failed
        for item in invocation.processed:
            if item.successes:
                self.duplicates += 1
            item.successes += 1
        if self.on_processed is not None:
            self.on_processed(invocation.processed, self.env._now)
        if self.tracing:
            self.rows.extend(
                (
                    INVOKE_END,
                    self.env._now,
                    invocation.id,
                    invocation.outcome,
                    ""
                    if failed is None
                    else failed[0].id
                    if len(failed) == 1
                    else ",".join([item.id for item in failed]),
                    invocation.shard,
                )
            )
        if not self.outstanding:
            self.settle()

    def materialise(self) -> list[dict]:
        """The trace so far as the contract's dicts (the rows written since the last call decoded)."""
        rows = self.rows
        if not rows:
            return self.trace
        collecting = gc.isenabled()
        gc.disable()  # thousands of new dicts, no cycles: see Simulation._run_to
        try:
            self._arrive_rows = decode_rows(rows, self.prefix, self._arrive_rows + 1, self.trace.append) - 1
        finally:
            if collecting:
                gc.enable()
        rows.clear()
        return self.trace

    def take_rows(self) -> tuple[list, int]:
        """The rows written since the last call, which the core forgets, and the number of the
        item whose `arrive` is the first bare-float row among them (see `decode_rows`)."""
        rows = self.rows[:]
        self.rows.clear()
        first = self._arrive_rows + 1
        # Bare-float `arrive` rows are written as items arrive, one per item in order.
        self._arrive_rows = self.arrived
        return rows, first

    def take_events(self) -> list[dict]:
        """The rows written since the last call, decoded into a new list that the core forgets."""
        kept = self.trace
        events: list[dict] = []
        self.trace = events
        try:
            self.materialise()
        finally:
            self.trace = kept
        return events

    def initializing(self) -> int:
        now = self.env._now
        ends = self.init_ends
        while ends and ends[0] <= now:
            ends.popleft()
        return len(ends)


def _discard(record: Any) -> None:
    return None


# How the frequent events are written into `Core.rows`, a flat list that a reader decodes in order:
# a bare float is an `arrive` at that time, of the next item (items arrive in order, so the k-th
# is item k; only a model whose `arrive` carries no other field writes it so); INVOKE_START,
# t, invocation, ids, cold, shard; INVOKE_END, t, invocation, outcome, failed ids, shard; DELETE,
# t, ids; ids joined by commas. The async model's events name one item by its number n:
# ARRIVE_ACCEPTED, t, count (an `arrive` and an `accepted` for each of the next `count` items);
# START_ATTEMPT, t, invocation, n, cold, attempt, max_attempts; THROTTLE_ONE, t, n; RETRY_ONE, t,
# n, reason, at, attempt, max_attempts. The sync model's: ARRIVE_RANGE, t, count (an `arrive` for
# each of the next `count` items); RESPONSE_ONE, t, n, status, function_error, latency;
# CLIENT_RETRY_ONE, t, n, reason, at, client_attempt, client_max_attempts. ARRIVE_RECORD below.
# A batch of consecutive items (most SQS batches) names them as a range of numbers instead of
# ids: INVOKE_RANGE, t, invocation, first, count, cold (no shard); DELETE_RANGE, t, range of the
# numbers. Each is as wide as the row it replaces, so a row budget pauses a run at the same events.
# Anything else is written as its finished dict.
INVOKE_START, INVOKE_END, DELETE = 1, 2, 3
ARRIVE_ACCEPTED, START_ATTEMPT, THROTTLE_ONE, RETRY_ONE = 4, 5, 6, 7
ARRIVE_RANGE, RESPONSE_ONE, CLIENT_RETRY_ONE = 8, 9, 10
# A stream record's `arrive`: ARRIVE_RECORD, t, n, partition key number, shard, slot.
ARRIVE_RECORD = 11
INVOKE_RANGE, DELETE_RANGE = 12, 13


def decode_rows(rows: list, prefix: str, arrive_n: int, out: Callable[[dict], Any]) -> int:
    """Hand each event of `rows` to `out` as the contract's dict; `arrive_n` numbers the first
    bare-float `arrive` row. Returns the number the next such row would have."""
    prefix += "-"
    index = 0
    size = len(rows)
    while index < size:
        row = rows[index]
        kind = type(row)
        if kind is float:
            out({"t": round(row, 6), "kind": "arrive", "item": f"{prefix}{arrive_n}"})
            arrive_n += 1
            index += 1
        elif kind is dict:
            out(row)
            index += 1
        elif row == INVOKE_START:
            _, t, number, ids, cold, shard = rows[index : index + 6]
            record = {
                "t": round(t, 6),
                "kind": "invoke_start",
                "invocation": number,
                "items": ids.split(","),
                "cold": cold,
            }
            if shard is not None:
                record["shard"] = shard
            out(record)
            index += 6
        elif row == INVOKE_END:
            _, t, number, outcome, ids, shard = rows[index : index + 6]
            record = {
                "t": round(t, 6),
                "kind": "invoke_end",
                "invocation": number,
                "outcome": outcome,
                "failed_items": ids.split(",") if ids else [],
            }
            if shard is not None:
                record["shard"] = shard
            out(record)
            index += 6
        elif row == DELETE:
            out({"t": round(rows[index + 1], 6), "kind": "delete", "items": rows[index + 2].split(",")})
            index += 3
        elif row == INVOKE_RANGE:
            _, t, number, first, count, cold = rows[index : index + 6]
            out(
                {
                    "t": round(t, 6),
                    "kind": "invoke_start",
                    "invocation": number,
                    "items": [f"{prefix}{n}" for n in range(first, first + count)],
                    "cold": cold,
                }
            )
            index += 6
        elif row == DELETE_RANGE:
            items = [f"{prefix}{n}" for n in rows[index + 2]]
            out({"t": round(rows[index + 1], 6), "kind": "delete", "items": items})
            index += 3
        else:
            arrive_n = _decode_one_item_row(rows, index, prefix, arrive_n, out)
            index += _ONE_ITEM_WIDTH[row]
    return arrive_n


_ONE_ITEM_WIDTH = {
    ARRIVE_ACCEPTED: 3,
    START_ATTEMPT: 7,
    THROTTLE_ONE: 3,
    RETRY_ONE: 7,
    ARRIVE_RANGE: 3,
    RESPONSE_ONE: 6,
    CLIENT_RETRY_ONE: 7,
    ARRIVE_RECORD: 6,
}


def _decode_one_item_row(
    rows: list, index: int, prefix: str, arrive_n: int, out: Callable[[dict], Any]
) -> int:
    """`decode_rows` for the async model's rows (see ARRIVE_ACCEPTED); `prefix` ends with "-"."""
    kind = rows[index]
    t = round(rows[index + 1], 6)
    if kind == ARRIVE_ACCEPTED:
        for n in range(arrive_n, arrive_n + rows[index + 2]):
            item = f"{prefix}{n}"
            out({"t": t, "kind": "arrive", "item": item})
            out({"t": t, "kind": "accepted", "item": item, "status": 202})
        return arrive_n + rows[index + 2]
    if kind == ARRIVE_RANGE:
        for n in range(arrive_n, arrive_n + rows[index + 2]):
            out({"t": t, "kind": "arrive", "item": f"{prefix}{n}"})
        return arrive_n + rows[index + 2]
    if kind == ARRIVE_RECORD:
        _, _, n, key, shard, slot = rows[index : index + 6]
        out(
            {
                "t": t,
                "kind": "arrive",
                "item": f"{prefix}{n}",
                "key": f"pk-{key}",
                "shard": shard,
                "slot": slot,
            }
        )
        return arrive_n
    if kind == RESPONSE_ONE:
        _, _, n, status, function_error, latency = rows[index : index + 6]
        out(
            {
                "t": t,
                "kind": "response",
                "item": f"{prefix}{n}",
                "status": status,
                "function_error": function_error,
                "latency_s": round(latency, 6),
            }
        )
        return arrive_n
    if kind == CLIENT_RETRY_ONE:
        _, _, n, reason, at, attempt, max_attempts = rows[index : index + 7]
        out(
            {
                "t": t,
                "kind": "retry",
                "items": [f"{prefix}{n}"],
                "reason": reason,
                "at": round(at, 6),
                "client_attempt": attempt,
                "client_max_attempts": max_attempts,
            }
        )
        return arrive_n
    item = f"{prefix}{rows[index + 2] if kind != START_ATTEMPT else rows[index + 3]}"
    if kind == START_ATTEMPT:
        _, _, number, _, cold, attempt, max_attempts = rows[index : index + 7]
        out(
            {
                "t": t,
                "kind": "invoke_start",
                "invocation": number,
                "items": [item],
                "cold": cold,
                "attempt": attempt,
                "max_attempts": max_attempts,
            }
        )
    elif kind == THROTTLE_ONE:
        out({"t": t, "kind": "throttle", "items": [item]})
    else:
        _, _, _, reason, at, attempt, max_attempts = rows[index : index + 7]
        out(
            {
                "t": t,
                "kind": "retry",
                "items": [item],
                "reason": reason,
                "at": round(at, 6),
                "attempt": attempt,
                "max_attempts": max_attempts,
            }
        )
    return arrive_n


# The trace file's lines for the compact rows, exactly as json.dumps(event, separators=(",", ":"))
# writes the dicts that `decode_rows` makes: item ids and outcomes are plain ASCII, never escaped.
_ARRIVE_LINE = '{"t":%r,"kind":"arrive","item":"%s%d"}\n'
_START_LINE = '{"t":%r,"kind":"invoke_start","invocation":%d,"items":["%s"],"cold":%s%s}\n'
_END_LINE = '{"t":%r,"kind":"invoke_end","invocation":%d,"outcome":"%s","failed_items":[%s]%s}\n'
_DELETE_LINE = '{"t":%r,"kind":"delete","items":["%s"]}\n'
_ACCEPTED_LINE = '{"t":%r,"kind":"accepted","item":"%s%d","status":202}\n'
_START_ATTEMPT_LINE = (
    '{"t":%r,"kind":"invoke_start","invocation":%d,"items":["%s%d"],"cold":%s,'
    '"attempt":%d,"max_attempts":%d}\n'
)
_THROTTLE_LINE = '{"t":%r,"kind":"throttle","items":["%s%d"]}\n'
_RETRY_LINE = (
    '{"t":%r,"kind":"retry","items":["%s%d"],"reason":"%s","at":%r,"attempt":%d,"max_attempts":%d}\n'
)
_ARRIVE_RECORD_LINE = '{"t":%r,"kind":"arrive","item":"%s%d","key":"pk-%d","shard":%d,"slot":%d}\n'
_RESPONSE_LINE = '{"t":%r,"kind":"response","item":"%s%d","status":%d,"function_error":%s,"latency_s":%r}\n'
_CLIENT_RETRY_LINE = (
    '{"t":%r,"kind":"retry","items":["%s%d"],"reason":"%s","at":%r,'
    '"client_attempt":%d,"client_max_attempts":%d}\n'
)
LINES_PER_WRITE = 4096


def write_rows(rows: list, prefix: str, arrive_n: int, write: Callable[[str], Any]) -> int:
    """Write `rows` as JSON lines, the same text as `decode_rows` then json.dumps, without making
    the dicts; `write` gets a few thousand lines at a time. Returns the next `arrive` number."""
    from json import dumps

    prefix += "-"
    lines: list[str] = []
    add = lines.append
    index = 0
    size = len(rows)
    while index < size:
        row = rows[index]
        kind = type(row)
        if kind is float:
            add(_ARRIVE_LINE % (round(row, 6), prefix, arrive_n))
            arrive_n += 1
            index += 1
        elif kind is dict:
            add(dumps(row, separators=(",", ":")) + "\n")
            index += 1
        elif row == INVOKE_START:
            _, t, number, ids, cold, shard = rows[index : index + 6]
            add(
                _START_LINE
                % (
                    round(t, 6),
                    number,
                    ids.replace(",", '","'),
                    "true" if cold else "false",
                    "" if shard is None else f',"shard":{shard}',
                )
            )
            index += 6
        elif row == INVOKE_END:
            _, t, number, outcome, ids, shard = rows[index : index + 6]
            add(
                _END_LINE
                % (
                    round(t, 6),
                    number,
                    outcome,
                    '"' + ids.replace(",", '","') + '"' if ids else "",
                    "" if shard is None else f',"shard":{shard}',
                )
            )
            index += 6
        elif row == DELETE:
            add(_DELETE_LINE % (round(rows[index + 1], 6), rows[index + 2].replace(",", '","')))
            index += 3
        elif row == INVOKE_RANGE:
            _, t, number, first, count, cold = rows[index : index + 6]
            ids = '","'.join([f"{prefix}{n}" for n in range(first, first + count)])
            add(_START_LINE % (round(t, 6), number, ids, "true" if cold else "false", ""))
            index += 6
        elif row == DELETE_RANGE:
            ids = '","'.join([f"{prefix}{n}" for n in rows[index + 2]])
            add(_DELETE_LINE % (round(rows[index + 1], 6), ids))
            index += 3
        else:
            arrive_n = _write_one_item_row(rows, index, prefix, arrive_n, lines, write)
            index += _ONE_ITEM_WIDTH[row]
        if len(lines) >= LINES_PER_WRITE:
            write("".join(lines))
            lines.clear()
    if lines:
        write("".join(lines))
    return arrive_n


def _write_one_item_row(
    rows: list, index: int, prefix: str, arrive_n: int, lines: list[str], write: Callable[[str], Any]
) -> int:
    """`write_rows` for the async model's rows (see ARRIVE_ACCEPTED): the lines go to `lines`,
    which a burst's row (millions of events) writes out as it goes. Returns the next arrive number."""
    add = lines.append
    kind = rows[index]
    if kind == ARRIVE_ACCEPTED:
        t = round(rows[index + 1], 6)
        for n in range(arrive_n, arrive_n + rows[index + 2]):
            add(_ARRIVE_LINE % (t, prefix, n))
            add(_ACCEPTED_LINE % (t, prefix, n))
            if len(lines) >= LINES_PER_WRITE:
                write("".join(lines))
                lines.clear()
        return arrive_n + rows[index + 2]
    if kind == ARRIVE_RANGE:
        t = round(rows[index + 1], 6)
        for n in range(arrive_n, arrive_n + rows[index + 2]):
            add(_ARRIVE_LINE % (t, prefix, n))
            if len(lines) >= LINES_PER_WRITE:
                write("".join(lines))
                lines.clear()
        return arrive_n + rows[index + 2]
    if kind == ARRIVE_RECORD:
        _, t, n, key, shard, slot = rows[index : index + 6]
        add(_ARRIVE_RECORD_LINE % (round(t, 6), prefix, n, key, shard, slot))
    elif kind == RESPONSE_ONE:
        _, t, n, status, function_error, latency = rows[index : index + 6]
        add(
            _RESPONSE_LINE
            % (round(t, 6), prefix, n, status, "true" if function_error else "false", round(latency, 6))
        )
    elif kind == CLIENT_RETRY_ONE:
        _, t, n, reason, at, attempt, max_attempts = rows[index : index + 7]
        add(_CLIENT_RETRY_LINE % (round(t, 6), prefix, n, reason, round(at, 6), attempt, max_attempts))
    elif kind == START_ATTEMPT:
        _, t, number, n, cold, attempt, max_attempts = rows[index : index + 7]
        add(
            _START_ATTEMPT_LINE
            % (round(t, 6), number, prefix, n, "true" if cold else "false", attempt, max_attempts)
        )
    elif kind == THROTTLE_ONE:
        add(_THROTTLE_LINE % (round(rows[index + 1], 6), prefix, rows[index + 2]))
    else:
        _, t, n, reason, at, attempt, max_attempts = rows[index : index + 7]
        add(_RETRY_LINE % (round(t, 6), prefix, n, reason, round(at, 6), attempt, max_attempts))
    return arrive_n


# SimPy's queue priorities: a process's start comes before anything else due at its instant.
URGENT, NORMAL = 0, 1
# A `Line` row's key: SimPy's event number above the item's number (load.count is at most
# 10,000,000 < 2**24).
LINE_EID_SHIFT, LINE_N_MASK = 24, (1 << 24) - 1
ROWS_PER_CHUNK = 4096  # a line's rows are kept in chunks, freed as the line moves on


class Line:
    """Items waiting out one delay, in the order they began to wait: a compact stand-in for a
    SimPy process per item, each waiting on a timeout of `delay`.

    A row is the wake-up time and a key packing SimPy's event number (taken when the row is added,
    as the timeout took it) with the item's number, and the item's arrival time when `times` is
    kept (else `wake` gets -1.0 and works it out). Rows of one line were added in time order with
    the same delay, so the line is sorted; only its first row is on SimPy's queue, with its own
    time and event number, and SimPy pops every row exactly when it would have popped the
    timeout. SimPy 4.1's `Environment.step` treats the line as the event: it pops the entry,
    calls `callbacks` and checks `_ok`."""

    __slots__ = (
        "callbacks",
        "chunks",
        "delay",
        "env",
        "head",
        "on_wake",
        "queue",
        "queued",
        "tag",
        "times",
        "wake_callbacks",
    )
    _ok: ClassVar[bool] = True

    def __init__(
        self,
        env: simpy.Environment,
        delay: float,
        times: bool,
        on_wake: Callable[[int, float, int], None],
        tag: int,
    ):
        self.env = env
        # SimPy's event queue (typed loosely: a line is not an `Event`, only what `step` reads of one).
        self.queue: list[Any] = env._queue
        self.delay = delay
        self.times = times
        self.on_wake = on_wake  # on_wake(n, arrival time or -1.0, tag)
        self.tag = tag
        self.chunks: deque[tuple[array, array, array | None]] = deque()
        self.head = 0  # the first row still waiting, in chunks[0]
        self.queued = False  # the first row is on SimPy's queue
        self.callbacks: list | None = None
        self.wake_callbacks = [Line.wake]

    def add(self, n: int, t: float) -> None:
        env = self.env
        wake = env._now + self.delay
        eid = next(env._eid)
        chunks = self.chunks
        if not chunks or len(chunks[-1][0]) >= ROWS_PER_CHUNK:
            chunks.append((array("d"), array("Q"), array("d") if self.times else None))
        wakes, keys, times = chunks[-1]
        wakes.append(wake)
        keys.append(eid << LINE_EID_SHIFT | n)
        if times is not None:
            times.append(t)
        if not self.queued:
            self.queued = True
            self.callbacks = self.wake_callbacks
            heappush(self.queue, (wake, NORMAL, eid, self))

    def wake(self) -> None:
        """Called by SimPy's `step` with the line itself as the event: its first row's time has
        come. The next row goes on SimPy's queue, then this row's item is handed on."""
        chunks = self.chunks
        wakes, keys, times = chunks[0]
        index = self.head
        key = keys[index]
        t = times[index] if times is not None else -1.0
        index += 1
        if index == len(wakes):
            if len(chunks) > 1:
                chunks.popleft()
            else:
                del wakes[:], keys[:]
                if times is not None:
                    del times[:]
            index = 0
        self.head = index
        wakes, keys, _ = chunks[0]
        if index < len(wakes):
            self.callbacks = self.wake_callbacks
            heappush(self.queue, (wakes[index], NORMAL, keys[index] >> LINE_EID_SHIFT, self))
        else:
            self.queued = False
        self.on_wake(key & LINE_N_MASK, t, self.tag)


class FirstAttempts:
    """A burst's items, each started once at its arrival in the order they arrived: one per SimPy
    step, as SimPy started a process per item (before anything else due at that instant).
    `Environment.step` treats this object as the event, like a `Line`."""

    __slots__ = ("callbacks", "env", "next_callbacks", "queue", "ranges", "start")
    _ok: ClassVar[bool] = True

    def __init__(self, env: simpy.Environment, start: Callable[[int, float], None]):
        self.env = env
        self.queue: list[Any] = env._queue
        self.start = start  # start(n, t): item n, arrived at t, is tried now
        self.ranges: deque[list] = deque()  # [next n, end, t]
        self.callbacks: list | None = None
        self.next_callbacks = [FirstAttempts.next]

    def add(self, first: int, end: int, t: float) -> None:
        if not self.ranges:
            self.schedule()
        self.ranges.append([first, end, t])

    def schedule(self) -> None:
        env = self.env
        self.callbacks = self.next_callbacks
        heappush(self.queue, (env._now, URGENT, next(env._eid), self))

    def next(self) -> None:
        """Called by SimPy's `step` with this object as the event: the next item's first attempt."""
        pending = self.ranges[0]
        n, end, t = pending
        if n + 1 == end:
            self.ranges.popleft()
        else:
            pending[0] = n + 1
        if self.ranges:
            self.schedule()
        self.start(n, t)


class Producer:
    """The load: items enter in order; all items of one instant are handed over together.

    `uniform` puts item n at start_s + (n - 1) / rate_per_s (the first at start_s, 0 by default);
    `poisson` draws gaps from the arrivals stream (the first one gap after start_s); `burst` puts
    every item at start_s; `explicit` puts item n at `arrival_times_s[n - 1]` (a chain's later
    stage: what the stage before handed on), one item at a time even when several share an
    instant, and draws nothing.

    Arrivals are the hottest path of a long run (one per item), so they are not SimPy events: the
    engine's loop merges this stream, whose next arrival is at `next_at`, with SimPy's queue,
    taking SimPy's events first when both are due at the same instant (so processes started at
    t = 0 are ready before the first arrival). That saves an event allocation, a heap push and pop
    and a callback dispatch per item, and keeps one fixed order, whatever the slicing.
    """

    def __init__(
        self,
        core: Core,
        arrive: Callable[[list[Item]], None],
        arrive_one: Callable[[Item], None] | None = None,
        arrive_number: Callable[[int, float], None] | None = None,
        arrive_range: Callable[[int, int, float], None] | None = None,
        quiet_arrivals: tuple[Callable[[], bool], Callable[[int, list[float]], None]] | None = None,
    ):
        self.core = core
        self.env = core.env
        self.arrive = arrive
        self.arrive_one = arrive_one or (lambda item: arrive([item]))
        # A model that keeps waiting items as numbers and times (SQS's standard queue) takes them
        # so, and makes the `Item` itself when it needs one: a backlog costs no objects.
        self.arrive_number = arrive_number
        self.arrive_range = arrive_range
        # A model whose arrivals are often only queued (SQS's standard queue, while no poller
        # waits): `quiet()` says whether an arrival now would only be queued, and `queue(first,
        # times)` queues items first, first + 1, ... arriving at `times` as those arrivals would.
        self.quiet: Callable[[], bool] | None = None
        self.queue_numbers: Callable[[int, list[float]], None] | None = None
        if quiet_arrivals is not None:
            self.quiet, self.queue_numbers = quiet_arrivals
        load = core.scenario.load
        self.count = load.count
        self.burst = load.pattern == "burst"
        self.uniform = load.pattern == "uniform"
        self.gap = 1.0 / load.rate_per_s
        self.rate = load.rate_per_s
        # random.expovariate's own formula, inlined: the same numbers, one call less per item.
        self.uniform_draw = core.rng("arrivals").random
        self.n = 0
        self.start = load.start_s
        self.times = load.arrival_times_s if load.pattern == "explicit" else None
        # The arrival due at `next_at`, which is now: the engine's loop calls it when that arrival
        # comes next (a Poisson load's `fire` then takes the arrivals after it that come next too).
        self.fire: Callable[[float, bool, float], None] = self._fire_any
        if self.burst or self.uniform:
            self.next_at = self.start
        elif self.times is not None:
            self.next_at = self.times[0] if self.count else math.inf
            if not self.count:  # a later stage that was handed nothing: drained from the start
                core.arrivals_done = True
                core.settle()
        else:
            self.next_at = self.start - log(1.0 - self.uniform_draw()) / self.rate
            if arrive_number is not None:
                self.number_arrives = arrive_number
                self.fire = self._fire_poisson_number

    def _fire_poisson_number(self, until: float, inclusive: bool, budget: float) -> None:
        """`fire` for a Poisson load into a model that takes items as numbers (all but FIFO SQS).

        This is the hottest path of a long run, so it goes on with the next arrivals itself for as
        long as the engine's loop would have taken them next, with the loop's own tests: the run
        is not drained, the trace rows are under `budget`, the arrival comes before SimPy's next
        event (an arrival comes after every event due at its instant) and at or before `until`
        (strictly before unless `inclusive`). That saves the loop's round and a call per item.
        While the model is `quiet`, the arrivals that come next are drawn first and queued
        together: a quiet arrival changes nothing that these tests or the next one read (it adds
        one trace row and schedules nothing), and the draws are made in the same order."""
        core = self.core
        env = self.env
        queue = env._queue
        rows = core.rows
        arrive = self.number_arrives
        quiet = self.quiet
        queue_numbers = self.queue_numbers
        draw = self.uniform_draw
        rate = self.rate
        count = self.count
        now = self.next_at
        n = self.n
        while True:
            if queue_numbers is not None and quiet is not None and not core.poison_next and quiet():
                head = queue[0][0] if queue else math.inf
                room = count - n
                if core.tracing:
                    room = min(room, budget - len(rows))  # at least 1: the engine's loop tested it
                times = [now]
                while len(times) < room:
                    later = now - log(1.0 - draw()) / rate
                    if later >= head or later > until or (later == until and not inclusive):
                        self.n = n + len(times)
                        core.arrived += len(times)
                        env._now = now
                        queue_numbers(n + 1, times)
                        self.next_at = later
                        return
                    now = later
                    times.append(now)
                env._now = now
                n = self.n = n + len(times)
                core.arrived += len(times)
                queue_numbers(n + 1 - len(times), times)
            else:
                n = self.n = n + 1
                if core.poison_next:
                    self.arrive_one(core.new_item(n, now))
                else:
                    core.arrived += 1
                    arrive(n, now)
            if n >= count:
                break
            now = self.next_at = now - log(1.0 - draw()) / rate
            if (
                core.drained
                or len(rows) >= budget
                or (queue and queue[0][0] <= now)
                or now > until
                or (now == until and not inclusive)
            ):
                return
            env._now = now
        self.next_at = math.inf
        core.arrivals_done = True
        core.settle()

    def _fire_any(self, until: float, inclusive: bool, budget: float) -> None:
        """The arrival (or, for a burst, all arrivals) due at `next_at`, which is now (the
        arguments are the bounds of `_fire_poisson_number`)."""
        core = self.core
        now = self.next_at
        if self.burst:
            if self.arrive_range is not None and not core.poison_next:
                core.arrived += self.count
                self.arrive_range(1, self.count + 1, now)
            else:
                self.arrive([core.new_item(n, now) for n in range(1, self.count + 1)])
            self.n = self.count
        else:
            n = self.n = self.n + 1
            if core.poison_next:
                self.arrive_one(core.new_item(n, now))
            elif self.arrive_number is not None:
                core.arrived += 1
                self.arrive_number(n, now)
            elif core.faults_by_n:
                self.arrive_one(core.new_item(n, now))
            else:
                core.arrived += 1
                self.arrive_one(Item(core.prefix, n, now))
            if n < self.count:
                if self.uniform:
                    self.next_at = self.start + n * self.gap
                elif self.times is not None:
                    self.next_at = self.times[n]
                else:
                    self.next_at = now - log(1.0 - self.uniform_draw()) / self.rate
                return
        self.next_at = math.inf
        core.arrivals_done = True
        core.settle()

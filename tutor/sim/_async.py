"""Asynchronous invocation (Event): Lambda accepts the event (202) onto its internal queue, and a
separate process invokes the function from there.

Flow per event: accepted at once; tried at once; a throttle puts it back with a backoff of 1 s
that doubles up to 300 s, without using a retry; a function error or timeout is retried 60 s,
then 120 s, after the end of the failed attempt, up to `maximum_retry_attempts`. The event is
given up (`RetriesExhausted`, `EventAgeExceeded`) to `on_failure` and/or `dead_letter_queue`, or
dropped when neither is set; a success goes to `on_success` when set.

Interpretations:
- Event age: the event is given up at the moment its next attempt is scheduled, if that attempt
  would start when the event is older than `maximum_event_age_s` (strictly older: an attempt
  exactly at the limit still runs).
- The throttle backoff belongs to one wait for concurrency: it starts again at 1 s after the event
  has run (so a throttle after a function-error retry waits 1 s first).
- Reserved concurrency 0 is checked whenever the event is about to be tried: new events and
  events already waiting both go to the failure targets at once with `ZeroReservedConcurrency`.
- `max_event_age_s` in the summary is the largest age of an event when an attempt started (AWS's
  `AsyncEventAge` measures the time from enqueue to invocation).
- The internal queue has no duplicate deliveries and reads as fast as concurrency allows.
- Attempts (`attempt`, `max_attempts` on `invoke_start` and `retry`): the first invocation is
  attempt 1 of `maximum_retry_attempts + 1`; a `retry` names the attempt it waits for. A throttle
  does not use an attempt, so the event waits for the same attempt again.
- A `destination` or `drop` carries `invocations`: how many of the event's attempts ran. AWS's
  invocation record has a like field, `approximateInvokeCount`; whether it counts throttled
  tries is not documented, so the simulator counts only attempts that ran.

Memory: an event waiting on the queue is not a SimPy process but a row of a `Waiting` line, one
line per delay (each throttle backoff, each retry delay): its wake-up time and a key packing
SimPy's event number, the item's number and its retries (16 bytes; 24 with a Poisson arrival
time), so millions of throttled events fit in a few hundred megabytes. The `Item` is made when
an attempt runs or the event is given up. Events with faults or the lab's poison keep their
`Item` aside (`specials`) for its attempt count. Each line puts only its first row on SimPy's
queue, with that row's own time and event number: rows of one line were scheduled in order with
the same delay, so the line is sorted, and SimPy pops every row exactly when it would have popped
the process's timeout. An event's first attempt runs at its arrival, as SimPy's process start did
(for a burst, one event per step at that instant, before anything else due then).
"""

from __future__ import annotations

from array import array
from collections import deque
from heapq import heappush
from typing import Any, ClassVar

from tutor.sim._common import (
    ARRIVE_ACCEPTED,
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    NORMAL,
    OK,
    RETRY_ONE,
    SUCCEEDED,
    THROTTLE_ONE,
    Core,
    FirstAttempts,
    Invocation,
    Item,
    t6,
)

RETRY_DELAYS_S = (60.0, 120.0)
# A waiting row's key: SimPy's event number, then the item's number (load.count is at most
# 10,000,000 < 2**24), then its retries (at most 2).
N_SHIFT, EID_SHIFT, N_MASK = 2, 26, (1 << 24) - 1
ROWS_PER_CHUNK = 4096  # a line's rows are kept in chunks, freed as the line moves on


class Waiting:
    """Events waiting out one delay, in the order they began to wait (see the module's Memory).

    SimPy's `step` treats the line as an event: it pops the line's entry from the queue, calls
    `callbacks` and checks `_ok`."""

    __slots__ = ("callbacks", "chunks", "delay", "head", "model", "next_wait", "queued", "retry", "times")
    _ok: ClassVar[bool] = True

    def __init__(self, model: AsyncModel, delay: float, retry: bool):
        self.model = model
        self.delay = delay
        self.retry = retry  # a retry delay after a failed attempt, else a throttle backoff
        # A throttle after this wait backs off for this long (after a retry delay: from the start).
        self.next_wait = BACKOFF_FIRST_S if retry else min(delay * 2, BACKOFF_MAX_S)
        self.times = model.times_kept
        self.chunks: deque[tuple[array, array, array | None]] = deque()
        self.head = 0  # the first row still waiting, in chunks[0]
        self.queued = False  # the first row is on SimPy's queue
        self.callbacks: list | None = None

    def add(self, n: int, t: float, retries: int) -> None:
        env = self.model.env
        wake = env._now + self.delay
        eid = next(env._eid)
        chunks = self.chunks
        if not chunks or len(chunks[-1][0]) >= ROWS_PER_CHUNK:
            chunks.append((array("d"), array("Q"), array("d") if self.times else None))
        wakes, keys, times = chunks[-1]
        wakes.append(wake)
        keys.append(eid << EID_SHIFT | n << N_SHIFT | retries)
        if times is not None:
            times.append(t)
        if not self.queued:
            self.queued = True
            self.callbacks = self.model.wake_callbacks
            heappush(self.model.queue, (wake, NORMAL, eid, self))

    def wake(self) -> None:
        """Called by SimPy's `step` with the line itself as the event: its first row's time has come.
        The next row goes on SimPy's queue, then this row's event is tried."""
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
            self.callbacks = self.model.wake_callbacks
            heappush(self.model.queue, (wakes[index], NORMAL, keys[index] >> EID_SHIFT, self))
        else:
            self.queued = False
        model = self.model
        if self.retry:
            model.waiting_retry -= 1
        else:
            model.waiting_backoff -= 1
        n = key >> N_SHIFT & N_MASK
        model.attempt(n, t if t >= 0.0 else model.arrival_time(n), key & 3, self.next_wait)


class Running:
    """An attempt that runs: SimPy pops it from its queue when the handler ends."""

    __slots__ = ("callbacks", "invocation", "item", "retries")
    _ok: ClassVar[bool] = True

    def __init__(self, callbacks: list, invocation: Invocation, item: Item, retries: int):
        self.callbacks = callbacks
        self.invocation = invocation
        self.item = item
        self.retries = retries


class AsyncModel:
    kind = "async"

    def __init__(self, core: Core):
        self.core = core
        self.env = core.env
        # SimPy's event queue, which this model's waiting lines and running attempts join (typed
        # loosely: they are not `Event`s, only what `Environment.step` reads of one).
        self.queue: list[Any] = core.env._queue
        cfg = core.scenario.async_
        self.maximum_retry_attempts = cfg.maximum_retry_attempts
        self.max_attempts = cfg.maximum_retry_attempts + 1
        self.maximum_event_age_s = float(cfg.maximum_event_age_s)
        self.on_success = cfg.on_success
        self.on_failure = cfg.on_failure
        self.dead_letter_queue = cfg.dead_letter_queue
        self.queued = 0  # on the internal queue, waiting for a first attempt, a retry or a backoff
        self.waiting_retry = 0
        self.waiting_backoff = 0
        self.in_flight = 0
        self.max_event_age_s = 0.0
        load = core.scenario.load
        # Arrival times: kept per waiting row for Poisson and explicit arrivals; item n of a uniform
        # load arrived at start_s + (n - 1) / rate (the producer's own sum) and a burst's at start_s.
        self.times_kept = load.pattern in ("poisson", "explicit")
        self.start_s = load.start_s
        self.uniform_gap = 1.0 / load.rate_per_s if load.pattern == "uniform" else 0.0
        self.specials: dict[int, Item] = {}  # items with faults or poison, by number
        self.wake_callbacks = [Waiting.wake]
        self.running_callbacks = [self.ended]
        self.lines: dict[tuple[float, bool], Waiting] = {}
        self.firsts = FirstAttempts(core.env, self.first_attempt)

    def arrival_time(self, n: int) -> float:
        return self.start_s + (n - 1) * self.uniform_gap

    def item(self, n: int, t: float) -> Item:
        """Event n as an `Item`: its own kept one, or a new one (kept if it has faults, whose
        attempts count across the event's life)."""
        special = self.specials.get(n) if self.specials else None
        if special is not None:
            return special
        item = Item(self.core.prefix, n, t)
        faults_by_n = self.core.faults_by_n
        if faults_by_n and n in faults_by_n:
            item.faults = faults_by_n[n]
            self.specials[n] = item
        return item

    # -- arrivals -------------------------------------------------------------------------------

    def arrive_number(self, n: int, t: float) -> None:
        core = self.core
        if core.tracing:
            core.rows.extend((ARRIVE_ACCEPTED, t, 1))
        core.outstanding += 1
        self.queued += 1
        self.attempt(n, t, 0, BACKOFF_FIRST_S)

    def arrive_one(self, item: Item) -> None:
        """An item made by the producer (poisoned, or with faults), kept for its attempt count."""
        self.specials[item.n] = item
        core = self.core
        if core.tracing:
            core.rows.extend((ARRIVE_ACCEPTED, item.t, 1))
        core.outstanding += 1
        self.queued += 1
        self.attempt(item.n, item.t, 0, BACKOFF_FIRST_S)

    def arrive_range(self, first: int, end: int, t: float) -> None:
        """A burst: events first .. end - 1 all sent at t, without their `Item`s."""
        core = self.core
        if core.tracing:
            core.rows.extend((ARRIVE_ACCEPTED, t, end - first))
        core.outstanding += end - first
        self.queued += end - first
        self.firsts.add(first, end, t)

    def arrive(self, items: list[Item]) -> None:
        """A burst of items made by the producer (a poison was pending): kept aside like `arrive_one`."""
        for item in items:
            self.specials[item.n] = item
        self.arrive_range(items[0].n, items[-1].n + 1, items[0].t)

    # -- one event's life -----------------------------------------------------------------------

    def first_attempt(self, n: int, t: float) -> None:
        self.attempt(n, t, 0, BACKOFF_FIRST_S)

    def attempt(self, n: int, t: float, retries: int, throttle_wait: float) -> None:
        """Try event n (arrived at t) now: it runs, or waits `throttle_wait` for a throttle, or
        is given up."""
        core = self.core
        now = self.env._now
        item = None
        if core.limit == 0:
            self.queued -= 1
            self.give_up(self.item(n, t), "ZeroReservedConcurrency", invocations=retries)
            return
        if core.busy >= core.limit:  # `Core.start`'s own first test, without making the item
            core.throttles += 1
            if core.tracing:
                core.rows.extend((THROTTLE_ONE, now, n))
            invocation = None
        else:
            # `self.item(n, t)`, its common case (no kept item, no faults) without the call.
            item = self.specials.get(n) if self.specials else None
            if item is None:
                item = self.item(n, t) if core.faults_by_n else Item(core.prefix, n, t)
            invocation = core.start([item], attempt=(retries + 1, self.max_attempts))
        if invocation is None:
            at = now + throttle_wait
            if at - t > self.maximum_event_age_s:
                self.queued -= 1
                self.give_up(item or self.item(n, t), "EventAgeExceeded", invocations=retries)
                return
            # A throttled attempt never ran: the same attempt waits, no retry is used.
            if core.tracing:
                core.rows.extend((RETRY_ONE, now, n, "throttle", at, retries + 1, self.max_attempts))
            self.waiting_backoff += 1
            self.line(throttle_wait, False).add(n, t, retries)
            return
        assert item is not None  # an invocation ran, so the item was made
        self.queued -= 1
        self.in_flight += 1
        age = now - t
        if age > self.max_event_age_s:  # noqa: PLR1730 - once per attempt: a call to max() costs more
            self.max_event_age_s = age
        env = self.env
        running = Running(self.running_callbacks, invocation, item, retries)
        heappush(self.queue, (now + invocation.total_s, NORMAL, next(env._eid), running))

    def ended(self, running: Running) -> None:
        """An attempt's handler ends: success, a retry later, or the event is given up."""
        core = self.core
        invocation = running.invocation
        item = running.item
        retries = running.retries
        core.finish(invocation)
        self.in_flight -= 1
        if invocation.outcome == OK:
            if self.on_success != "none":
                core.deliver([item], "on_success", "Success", invocations=retries + 1)
            # `core.succeed`, `forget` and `core.settle` written out: once per event, and a settle
            # can only drain the run once nothing is outstanding.
            if item.outcome is None:
                item.outcome = SUCCEEDED
                core.succeeded += 1
                core.latencies.append(self.env._now - item.t)
            if self.specials:
                self.specials.pop(item.n, None)
            core.outstanding -= 1
            if not core.outstanding:
                core.settle()
            return
        if retries >= self.maximum_retry_attempts:
            self.give_up(item, "RetriesExhausted", invocations=retries + 1)
            return
        delay = RETRY_DELAYS_S[retries]
        now = self.env._now
        at = now + delay
        if at - item.t > self.maximum_event_age_s:
            self.give_up(item, "EventAgeExceeded", invocations=retries + 1)
            return
        retries += 1
        if core.tracing:
            core.rows.extend((RETRY_ONE, now, item.n, "function_error", at, retries + 1, self.max_attempts))
        self.queued += 1
        self.waiting_retry += 1
        self.line(delay, True).add(item.n, item.t, retries)

    def line(self, delay: float, retry: bool) -> Waiting:
        line = self.lines.get((delay, retry))
        if line is None:
            line = self.lines[delay, retry] = Waiting(self, delay, retry)
        return line

    def forget(self, item: Item) -> None:
        if self.specials:
            self.specials.pop(item.n, None)

    def give_up(self, item: Item, reason: str, invocations: int) -> None:
        """`invocations`: how many of the event's attempts ran; a throttled attempt never ran."""
        core = self.core
        sent = False
        if self.on_failure != "none":
            core.deliver([item], "on_failure", reason, invocations=invocations)
            sent = True
        if self.dead_letter_queue != "none":
            core.deliver([item], "dlq", reason, invocations=invocations)
            sent = True
        if not sent:
            core.drop([item], reason, invocations=invocations)
        core.fail(item, reason)
        self.forget(item)
        core.outstanding -= 1
        core.settle()

    def snapshot(self) -> dict:
        return {
            "queue_depth": self.queued,
            "waiting_retry": self.waiting_retry,
            "waiting_backoff": self.waiting_backoff,
            "in_flight": self.in_flight,
        }

    def summary(self) -> dict:
        return {"max_event_age_s": t6(self.max_event_age_s)}

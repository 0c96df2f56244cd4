"""Synchronous invocation (RequestResponse): a caller sends a request and waits for the answer.

Flow per request: the caller invokes; Lambda runs it on a warm environment, starts a new one, or
throttles at once (429). The caller waits up to `client_timeout_s`; if the answer is later it
gets 504 and stops waiting while the function runs on to its end. A function error or timeout
still answers 200, flagged with a function error. Lambda never retries; the caller does after a
429 or a 504 when `client_retries` allows, waiting `client_backoff_s`, then twice that, and so on.

Interpretations:
- Every answer the caller gets is a `response` event and is counted in `responses` (a request
  retried after a 429 counts one 429 and then its next answer).
- An item's final outcome is its last answer: success only for 200 without a function error.
  Failure reasons: `TooManyRequestsException` (429), `CallerTimeout` (504), `FunctionError`.
- `latency_s` on a `response` is the wait for that one attempt; the summary's latency runs from
  the item's arrival to its final answer.
- A response that arrives exactly at `client_timeout_s` is still in time.
- A `retry` carries the caller's attempt it waits for, `client_attempt` (the first request is
  attempt 1; a 429 uses one, unlike Lambda's own retries) of `client_max_attempts`
  (`client_retries + 1`): named apart from the async model's `attempt` because the caller, not
  Lambda, retries.

Memory: a caller is not a SimPy process. A caller waiting for its answer (or its timeout) is a
small `Call` put straight on SimPy's queue, at most one per execution environment. A caller
backing off is a row of its backoff's line (one line per retry number, whose delay is the same for
every caller): its wake-up time, and a key packing SimPy's event number with the item's number
(16 bytes; 24 with Poisson or explicit arrivals, whose arrival time it keeps). Only each line's
first row is on SimPy's queue, with the time and event number its process's timeout had, so
callers at the same instant keep SimPy's order (`_common.Line`). The `Item` is made when an
attempt runs; a caller whose attempt ran on past its timeout (it may yet count as processed), or
with faults or the lab's poison, keeps its `Item` aside (`specials`) until its final answer. A
burst's first attempts run one per SimPy step at their arrival, as the processes' starts did.
"""

from __future__ import annotations

from heapq import heappush
from typing import Any, ClassVar

from tutor.sim._common import (
    ARRIVE_RANGE,
    CLIENT_RETRY_ONE,
    NORMAL,
    OK,
    RESPONSE_ONE,
    SUCCEEDED,
    THROTTLE_ONE,
    Core,
    FirstAttempts,
    Invocation,
    Item,
    Line,
)

FINAL_FAILURE = {200: "FunctionError", 429: "TooManyRequestsException", 504: "CallerTimeout"}


class Call:
    """A caller waiting for the answer to one attempt that runs (or for its own timeout), on
    SimPy's queue: `Environment.step` pops it, calls `callbacks` and checks `_ok`. After a 504 the
    same object waits for the end of the invocation that ran on."""

    __slots__ = ("callbacks", "invocation", "item", "sent", "tries")
    _ok: ClassVar[bool] = True

    def __init__(self, callbacks: list, item: Item, invocation: Invocation, sent: float, tries: int):
        self.callbacks = callbacks
        self.item = item
        self.invocation = invocation
        self.sent = sent
        self.tries = tries  # the caller's retries so far


class SyncModel:
    kind = "sync"

    def __init__(self, core: Core):
        self.core = core
        self.env = core.env
        # SimPy's event queue, which the calls and backoff lines join (see the module's Memory).
        self.queue: list[Any] = core.env._queue
        cfg = core.scenario.sync
        self.client_timeout_s = float(cfg.client_timeout_s)
        self.client_retries = cfg.client_retries
        self.client_backoff_s = float(cfg.client_backoff_s)
        self.waiting = 0  # callers waiting for an answer
        self.backing_off = 0  # callers waiting to retry
        self.responses: dict[str, int] = {}
        load = core.scenario.load
        # Arrival times: kept per backoff row for Poisson and explicit arrivals; item n of a
        # uniform load arrived at start_s + (n - 1) / rate (the producer's own sum), a burst's at start_s.
        self.times_kept = load.pattern in ("poisson", "explicit")
        self.start_s = load.start_s
        self.uniform_gap = 1.0 / load.rate_per_s if load.pattern == "uniform" else 0.0
        self.specials: dict[int, Item] = {}
        self.answered_callbacks = [self.answered]
        self.gave_up_callbacks = [self.gave_up]
        self.ran_on_callbacks = [self.ran_on]
        self.lines: dict[int, Line] = {}  # by the retry the callers wait for
        self.firsts = FirstAttempts(core.env, self.first_attempt)

    def arrival_time(self, n: int) -> float:
        return self.start_s + (n - 1) * self.uniform_gap

    def item(self, n: int, t: float) -> Item:
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
            core.rows.append(t)  # an `arrive` (see `_common.decode_rows`)
        core.outstanding += 1
        self.attempt(n, t, 0)

    def arrive_one(self, item: Item) -> None:
        """An item made by the producer (poisoned), kept whole."""
        self.specials[item.n] = item
        self.arrive_number(item.n, item.t)

    def arrive_range(self, first: int, end: int, t: float) -> None:
        """A burst: callers first .. end - 1 all sending at t, without their `Item`s."""
        core = self.core
        if core.tracing:
            core.rows.extend((ARRIVE_RANGE, t, end - first))
        core.outstanding += end - first
        self.firsts.add(first, end, t)

    def arrive(self, items: list[Item]) -> None:
        """A burst of items made by the producer (a poison was pending), kept whole."""
        for item in items:
            self.specials[item.n] = item
        self.arrive_range(items[0].n, items[-1].n + 1, items[0].t)

    # -- one caller's life ----------------------------------------------------------------------

    def first_attempt(self, n: int, t: float) -> None:
        self.attempt(n, t, 0)

    def attempt(self, n: int, t: float, tries: int) -> None:
        """Caller n (arrived at t, `tries` retries so far) sends its request now."""
        core = self.core
        now = self.env._now
        self.waiting += 1
        if core.busy >= core.limit:  # `Core.start`'s own first test, without making the item
            core.throttles += 1
            if core.tracing:
                core.rows.extend((THROTTLE_ONE, now, n))
            self.respond(n, t, tries, 429, False, now, None)
            return
        item = self.specials.get(n) if self.specials else None
        if item is None:
            item = self.item(n, t) if core.faults_by_n else Item(core.prefix, n, t)
        invocation = core.start([item])
        if invocation is None:
            self.respond(n, t, tries, 429, False, now, item)
        elif invocation.total_s <= self.client_timeout_s:
            call = Call(self.answered_callbacks, item, invocation, now, tries)
            heappush(self.queue, (now + invocation.total_s, NORMAL, next(self.env._eid), call))
        else:
            call = Call(self.gave_up_callbacks, item, invocation, now, tries)
            heappush(self.queue, (now + self.client_timeout_s, NORMAL, next(self.env._eid), call))

    def answered(self, call: Call) -> None:
        """The answer comes in time: 200, the common end of a caller, kept inline."""
        invocation = call.invocation
        core = self.core
        core.finish(invocation)
        item = call.item
        if invocation.outcome != OK:
            self.respond(item.n, item.t, call.tries, 200, True, call.sent, item)
            return
        now = self.env._now
        self.waiting -= 1
        responses = self.responses
        responses["200"] = responses.get("200", 0) + 1
        if core.tracing:
            core.rows.extend((RESPONSE_ONE, now, item.n, 200, False, now - call.sent))
        # `core.succeed` and `core.settle` written out: once per caller, and a settle can only
        # drain the run once nothing is outstanding.
        if item.outcome is None:
            item.outcome = SUCCEEDED
            core.succeeded += 1
            core.latencies.append(now - item.t)
        if self.specials:
            self.specials.pop(item.n, None)
        core.outstanding -= 1
        if not core.outstanding:
            core.settle()

    def gave_up(self, call: Call) -> None:
        """The caller stops waiting (504); the function runs on to its end."""
        item = call.item
        self.respond(item.n, item.t, call.tries, 504, False, call.sent, item)
        # A process started for the rest of the run would first step just after this one, so its
        # wait comes after anything this caller scheduled now.
        env = self.env
        call.callbacks = self.ran_on_callbacks
        remaining = call.invocation.total_s - self.client_timeout_s
        heappush(self.queue, (env._now + remaining, NORMAL, next(env._eid), call))

    def ran_on(self, call: Call) -> None:
        self.core.finish(call.invocation)
        self.core.settle()

    def respond(
        self, n: int, t: float, tries: int, status: int, function_error: bool, sent: float, item: Item | None
    ) -> None:
        """The caller gets its answer: retries after a 429 or a 504 while it may, else it is done."""
        core = self.core
        now = self.env._now
        self.waiting -= 1
        key = str(status)
        self.responses[key] = self.responses.get(key, 0) + 1
        if core.tracing:
            core.rows.extend((RESPONSE_ONE, now, n, status, function_error, now - sent))
        if status != 200 and tries < self.client_retries:
            tries += 1
            delay = self.client_backoff_s * 2 ** (tries - 1)  # doubling from the first: exact
            if core.tracing:
                reason = "throttle" if status == 429 else "client_timeout"
                core.rows.extend(
                    (CLIENT_RETRY_ONE, now, n, reason, now + delay, tries + 1, self.client_retries + 1)
                )
            if status == 504:
                assert item is not None
                self.specials[n] = item  # its invocation runs on and may process it
            self.backing_off += 1
            line = self.lines.get(tries)
            if line is None:
                line = self.lines[tries] = Line(self.env, delay, self.times_kept, self.backed_off, tries)
            line.add(n, t)
            return
        if item is None:
            item = self.specials.get(n) if self.specials else None
        if status == 200 and not function_error:
            assert item is not None
            core.succeed(item)
        elif item is not None:
            core.fail(item, FINAL_FAILURE[status])
        else:
            core.fail_unmade(t, FINAL_FAILURE[status])
        if self.specials:
            self.specials.pop(n, None)
        core.outstanding -= 1
        core.settle()

    def backed_off(self, n: int, t: float, tries: int) -> None:
        self.backing_off -= 1
        self.attempt(n, t if t >= 0.0 else self.arrival_time(n), tries)

    def snapshot(self) -> dict:
        return {
            "callers_waiting": self.waiting,
            "callers_backing_off": self.backing_off,
            "responses": dict(self.responses),
        }

    def summary(self) -> dict:
        return {"responses": dict(sorted(self.responses.items()))}

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
"""

from __future__ import annotations

from tutor.sim._common import BACKOFF_FIRST_S, BACKOFF_MAX_S, OK, Core, Item, t6

RETRY_DELAYS_S = (60.0, 120.0)


class AsyncModel:
    kind = "async"

    def __init__(self, core: Core):
        self.core = core
        self.env = core.env
        cfg = core.scenario.async_
        self.maximum_retry_attempts = cfg.maximum_retry_attempts
        self.maximum_event_age_s = float(cfg.maximum_event_age_s)
        self.on_success = cfg.on_success
        self.on_failure = cfg.on_failure
        self.dead_letter_queue = cfg.dead_letter_queue
        self.queued = 0  # on the internal queue, waiting for a first attempt, a retry or a backoff
        self.waiting_retry = 0
        self.waiting_backoff = 0
        self.in_flight = 0
        self.max_event_age_s = 0.0

    arrive_one = None  # the producer hands over single items as lists

    def arrive(self, items: list[Item]) -> None:
        core = self.core
        if core.tracing:
            t = t6(self.env._now)
            for item in items:
                core.emit({"t": t, "kind": "arrive", "item": item.id})
                core.emit({"t": t, "kind": "accepted", "item": item.id, "status": 202})
        for item in items:
            core.outstanding += 1
            self.queued += 1
            self.env.process(self.event_on_queue(item))

    def event_on_queue(self, item: Item):
        """One event's life on the internal queue, until it succeeds or is given up."""
        env = self.env
        core = self.core
        retries = 0
        attempts = self.maximum_retry_attempts + 1
        throttle_wait = BACKOFF_FIRST_S
        while True:
            if core.limit == 0:
                self.queued -= 1
                self.give_up(item, "ZeroReservedConcurrency", invocations=retries)
                return
            invocation = core.start([item], counts={"attempt": retries + 1, "max_attempts": attempts})
            if invocation is None:
                at = env._now + throttle_wait
                if at - item.t > self.maximum_event_age_s:
                    self.queued -= 1
                    self.give_up(item, "EventAgeExceeded", invocations=retries)
                    return
                # A throttled attempt never ran: the same attempt waits, no retry is used.
                core.retry([item], "throttle", at, attempt=retries + 1, max_attempts=attempts)
                self.waiting_backoff += 1
                yield env.timeout(throttle_wait)
                self.waiting_backoff -= 1
                throttle_wait = min(throttle_wait * 2, BACKOFF_MAX_S)
                continue
            self.queued -= 1
            self.in_flight += 1
            age = env._now - item.t
            self.max_event_age_s = max(self.max_event_age_s, age)
            yield env.timeout(invocation.total_s)
            core.finish(invocation)
            self.in_flight -= 1
            if invocation.outcome == OK:
                if self.on_success != "none":
                    core.deliver([item], "on_success", "Success", invocations=retries + 1)
                core.succeed(item)
                break
            if retries >= self.maximum_retry_attempts:
                self.give_up(item, "RetriesExhausted", invocations=retries + 1)
                return
            delay = RETRY_DELAYS_S[retries]
            at = env._now + delay
            if at - item.t > self.maximum_event_age_s:
                self.give_up(item, "EventAgeExceeded", invocations=retries + 1)
                return
            retries += 1
            core.retry([item], "function_error", at, attempt=retries + 1, max_attempts=attempts)
            self.queued += 1
            self.waiting_retry += 1
            yield env.timeout(delay)
            self.waiting_retry -= 1
            throttle_wait = BACKOFF_FIRST_S
        core.outstanding -= 1
        core.settle()

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

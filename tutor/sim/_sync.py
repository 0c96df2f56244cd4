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
"""

from __future__ import annotations

from tutor.sim._common import OK, Core, Invocation, Item, t6


class SyncModel:
    kind = "sync"

    def __init__(self, core: Core):
        self.core = core
        self.env = core.env
        cfg = core.scenario.sync
        self.client_timeout_s = float(cfg.client_timeout_s)
        self.client_retries = cfg.client_retries
        self.client_backoff_s = float(cfg.client_backoff_s)
        self.waiting = 0  # callers waiting for an answer
        self.backing_off = 0  # callers waiting to retry
        self.responses: dict[str, int] = {}

    arrive_one = None  # the producer hands over single items as lists

    def arrive(self, items: list[Item]) -> None:
        core = self.core
        if core.tracing:
            t = t6(self.env._now)
            for item in items:
                core.emit({"t": t, "kind": "arrive", "item": item.id})
        for item in items:
            core.outstanding += 1
            self.env.process(self.caller(item))

    def caller(self, item: Item):
        """One client: invoke, wait for the answer or give up, maybe retry."""
        env = self.env
        core = self.core
        backoff = self.client_backoff_s
        attempt = 0
        while True:
            sent = env._now
            self.waiting += 1
            invocation = core.start([item])
            function_error = False
            if invocation is None:
                status = 429
            elif invocation.total_s <= self.client_timeout_s:
                yield env.timeout(invocation.total_s)
                core.finish(invocation)
                status = 200
                function_error = invocation.outcome != OK
            else:
                yield env.timeout(self.client_timeout_s)
                status = 504
                env.process(self.runs_on(invocation, invocation.total_s - self.client_timeout_s))
            self.waiting -= 1
            key = str(status)
            self.responses[key] = self.responses.get(key, 0) + 1
            if core.tracing:
                core.emit(
                    {
                        "t": t6(env._now),
                        "kind": "response",
                        "item": item.id,
                        "status": status,
                        "function_error": function_error,
                        "latency_s": t6(env._now - sent),
                    }
                )
            if status != 200 and attempt < self.client_retries:
                attempt += 1
                core.retry(
                    [item],
                    "throttle" if status == 429 else "client_timeout",
                    env._now + backoff,
                    client_attempt=attempt + 1,
                    client_max_attempts=self.client_retries + 1,
                )
                self.backing_off += 1
                yield env.timeout(backoff)
                self.backing_off -= 1
                backoff *= 2
                continue
            break
        if status == 200 and not function_error:
            core.succeed(item)
        elif status == 200:
            core.fail(item, "FunctionError")
        elif status == 429:
            core.fail(item, "TooManyRequestsException")
        else:
            core.fail(item, "CallerTimeout")
        core.outstanding -= 1
        core.settle()

    def runs_on(self, invocation: Invocation, remaining_s: float):
        """The function keeps running after its caller stopped waiting."""
        yield self.env.timeout(remaining_s)
        self.core.finish(invocation)
        self.core.settle()

    def snapshot(self) -> dict:
        return {
            "callers_waiting": self.waiting,
            "callers_backing_off": self.backing_off,
            "responses": dict(self.responses),
        }

    def summary(self) -> dict:
        return {"responses": dict(sorted(self.responses.items()))}

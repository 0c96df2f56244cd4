"""A downstream that the handler writes to: one write per item it processes.

A DynamoDB table (provisioned write capacity with burst capacity, or on-demand), or a generic
dependency with a request-rate limit (a partner API) or a connection limit (a relational database
behind a pool). A write over capacity is throttled; the handler's SDK retries it inside the
invocation, after a random wait (full jitter) up to `sdk_backoff_base_ms` x 2^(retry - 1), capped
at `sdk_max_backoff_s`, for at most `sdk_max_attempts` attempts in all. The waits count toward the
handler's duration and its timeout; when the attempts run out the SDK raises, the invocation fails
as a whole, and the model's own failure handling takes over (the caller's error, an async retry, a
returned SQS batch, a blocked shard).

Interpretations (docs/simulation-model.md lists them with the rest):
- The writes come first in the handler, all at once when its Init phase is over; the handler's
  `duration_ms` follows the last successful write. A handler that raises, times out by a fault or
  whose items fail on their own writes nothing for those items.
- Capacity is a token bucket: provisioned, `write_capacity_units` a second, holding up to
  `burst_s` seconds of unused capacity (at least one second's), full at t = 0 as after a quiet
  period; on-demand, twice `previous_peak_units_per_s`, holding one second's; rate-limited,
  `max_requests_per_s`, holding one second's. A connection limit counts writes whose connection
  (`write_ms`) is still held. No partitions, no adaptive capacity, no new on-demand peak.
- An invocation's writes and SDK retries are decided when it starts, so its retries book capacity
  ahead of writes that other invocations start meanwhile; the counters count them then too.
- `write_throttled` trace events are written at the time of each refused attempt.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tutor.sim._outcome import ERROR, TIMEOUT, t6

if TYPE_CHECKING:
    from tutor.sim._common import Core, Item

# What the handler's SDK or driver reports for a refused write, per kind of downstream.
ERRORS = {
    "provisioned": "ProvisionedThroughputExceededException",
    "on_demand": "throttled above twice the previous peak",
    "rate_limited": "HTTP 429 Too Many Requests",
    "connection_limited": "too many connections",
}
# Floating-point slack when a bucket is compared with what a write needs.
_SLACK = 1e-9


class TokenBucket:
    """Units that refill at `rate` a second up to `size`."""

    __slots__ = ("rate", "size", "t", "tokens")

    def __init__(self, rate: float, size: float):
        self.rate = rate
        self.size = size
        self.tokens = size
        self.t = 0.0

    def take(self, t: float, units: float) -> bool:
        # Attempts decided ahead (an SDK retry) can come before an attempt already booked: they
        # find the bucket as it is, with no refill for time that has already been counted.
        if t > self.t:
            self.tokens = min(self.size, self.tokens + (t - self.t) * self.rate)
            self.t = t
        if self.tokens + _SLACK >= units:
            self.tokens -= units
            return True
        return False


class ConnectionPool:
    """At most `limit` writes hold a connection at once, each for `hold_s`."""

    __slots__ = ("ends", "hold_s", "limit")

    def __init__(self, limit: int, hold_s: float):
        self.limit = limit
        self.hold_s = hold_s
        self.ends: list[float] = []

    def take(self, t: float, units: float) -> bool:
        ends = self.ends
        while ends and ends[0] <= t:
            heapq.heappop(ends)
        if len(ends) >= self.limit:
            return False
        heapq.heappush(ends, t + self.hold_s)
        return True


class Downstream:
    """The downstream of one run and its counters (the summary's `downstream` object)."""

    def __init__(self, core: Core, cfg: Any):
        self.core = core
        self.kind = cfg.kind
        self.limiter: TokenBucket | ConnectionPool
        if cfg.kind == "dynamodb":
            self.units = float(math.ceil(round(cfg.item_size_kb, 6)))
            if cfg.capacity_mode == "provisioned":
                rate = float(cfg.write_capacity_units)
                self.limiter = TokenBucket(rate, rate * max(1, cfg.burst_s))
                self.error = ERRORS["provisioned"]
            else:
                rate = 2.0 * cfg.previous_peak_units_per_s
                self.limiter = TokenBucket(rate, rate)
                self.error = ERRORS["on_demand"]
        elif cfg.kind == "rate_limited":
            self.units = 1.0
            self.limiter = TokenBucket(cfg.max_requests_per_s, cfg.max_requests_per_s)
            self.error = ERRORS["rate_limited"]
        else:
            self.units = 1.0
            self.limiter = ConnectionPool(cfg.max_connections, cfg.write_ms / 1000.0)
            self.error = ERRORS["connection_limited"]
        self.max_attempts = cfg.sdk_max_attempts
        self.backoff_base_s = cfg.sdk_backoff_base_ms / 1000.0
        self.max_backoff_s = float(cfg.sdk_max_backoff_s)
        self._jitter = core.rng("sdk_backoff").random
        self.writes = 0
        self.throttled_writes = 0
        self.sdk_retries = 0
        self.failed_invocations = 0
        self.write_units = 0.0

    def write(
        self,
        number: int,
        items: list[Item],
        processed: Sequence[Item],
        handler_start: float,
        run_s: float,
        outcome: str,
        failed: list[Item] | None,
        partial: bool,
    ) -> tuple[str, float, list[Item] | None, bool, Sequence[Item]]:
        """The invocation's writes, from `handler_start`: its outcome, run time, failed items,
        partial flag and processed items, as `Core.start` decides them, after the SDK's retries."""
        timeout_s = self.core.timeout_s
        limiter = self.limiter
        take = limiter.take
        bucket = limiter if type(limiter) is TokenBucket else None
        units = self.units
        pending = list(processed)
        waited = 0.0
        attempt = 1
        while True:
            t = handler_start + waited
            if bucket is not None:
                # `TokenBucket.take` for each write, written out: every write of an attempt comes
                # at t, so the bucket refills once, and as each needs the same units the writes
                # that fit are the first ones. Once per item, the heaviest part of a throttled run.
                if t > bucket.t:
                    bucket.tokens = min(bucket.size, bucket.tokens + (t - bucket.t) * bucket.rate)
                    bucket.t = t
                tokens = bucket.tokens
                done = 0
                for _ in pending:
                    if tokens + _SLACK < units:
                        break
                    tokens -= units
                    done += 1
                bucket.tokens = tokens
                throttled = pending[done:]
            else:
                throttled = [item for item in pending if not take(t, units)]
            done = len(pending) - len(throttled)
            self.writes += done
            self.write_units += done * units
            if attempt > 1:
                self.sdk_retries += len(pending)
            if not throttled:
                break
            self.throttled_writes += len(throttled)
            if attempt >= self.max_attempts:
                self.failed_invocations += 1
                self._announce(t, number, throttled, attempt, None)
                return ERROR, waited, items, False, ()
            cap = min(self.backoff_base_s * 2 ** (attempt - 1), self.max_backoff_s)
            delay = self._jitter() * cap
            self._announce(t, number, throttled, attempt, t + delay)
            if waited + delay > timeout_s:
                return TIMEOUT, timeout_s, items, False, ()
            waited += delay
            attempt += 1
            pending = throttled
        total = waited + run_s
        if total > timeout_s:
            return TIMEOUT, timeout_s, items, False, ()
        return outcome, total, failed, partial, processed

    def _announce(
        self, t: float, number: int, items: list[Item], attempt: int, retry_at: float | None
    ) -> None:
        """A `write_throttled` event at the time of the refused attempt (never before the start)."""
        core = self.core
        if not core.tracing:
            return
        event: dict[str, Any] = {
            "t": t6(t),
            "kind": "write_throttled",
            "invocation": number,
            "items": [item.id for item in items],
            "error": self.error,
            "attempt": attempt,
            "max_attempts": self.max_attempts,
        }
        if retry_at is not None:
            event["retry_at"] = t6(retry_at)
        env = core.env
        # Written through SimPy's queue, so it follows the invocation's own `invoke_start`.
        env.timeout(t - env._now).callbacks.append(lambda _event: core.emit(event))

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "kind": self.kind,
            "writes": self.writes,
            "throttled_writes": self.throttled_writes,
            "sdk_retries": self.sdk_retries,
            "failed_invocations": self.failed_invocations,
        }
        if self.kind == "dynamodb":
            summary["write_units"] = round(self.write_units, 6)
        return summary

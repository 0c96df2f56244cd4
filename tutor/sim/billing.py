"""What AWS bills for a run, in units (the summary's `billed` object); prices only if the learner
sets them (`[prices]`): the simulator has no built-in price.

- `requests`: Lambda requests, one per invocation that ran (a throttled attempt is not billed).
- `gb_seconds`: each invocation's duration, Init included (billed since 1 August 2025 for on-demand
  functions), rounded up to the next millisecond, times `function.memory_mb` / 1,024. Counted when
  an invocation ends, so a run stopped at `until_s` leaves out the handlers still running.
- `sqs_requests` (sqs model): SendMessage, one per message the load sends; ReceiveMessage, one
  per receive that returned messages plus one empty receive for every full `POLL_WAIT_S` a poller
  waited with nothing to read; DeleteMessageBatch, one per ten messages a batch deletes.
  `sqs_requests_by_action` splits them. Payloads are taken to be under 64 KB (one request each).
- `write_units` (a DynamoDB downstream): write units consumed by successful writes, what an
  on-demand table bills; `write_capacity_unit_hours` (provisioned) is what a provisioned table
  bills instead: its write capacity for the run's length.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.sim._common import Core

# An ESM poller's long poll: SQS's longest wait, 20 s. AWS does not document the wait Lambda's
# pollers use; this is the simulator's choice.
POLL_WAIT_S = 20.0
DELETE_BATCH = 10


class Billing:
    """The run's billed units, as counters updated where the engine does the billed thing."""

    def __init__(self, core: Core):
        scenario = core.scenario
        self.core = core
        self.memory_gb = scenario.function.memory_mb / 1024.0
        self.prices = scenario.prices
        self.sqs = scenario.model == "sqs"
        self.billed_ms = 0  # invocations' billed durations, whole milliseconds
        self.receives = 0
        self.empty_receives = 0
        self.deletes = 0
        self.listening: dict[int, float] = {}  # poller number -> since when it waits for messages

    def ended(self, total_s: float) -> None:
        """An invocation ended after `total_s` (Init included): its billed milliseconds, which are
        `ceil(round(total_s * 1000, 6))` (the rounding keeps 0.1 s from billing 101 ms).

        Once per invocation, and `round(x, 6)` costs as much as the rest of an invocation's
        bookkeeping, so it is only called when it can change the answer: a fraction of a
        millisecond above 2e-6 rounds to at least 1e-6 and so bills the next whole millisecond,
        exactly what `ceil` of the unrounded value gives; a whole number stays itself."""
        ms = total_s * 1000.0
        whole = int(ms)  # durations are never negative: int() is floor()
        fraction = ms - whole
        if fraction > 2e-6:
            self.billed_ms += whole + 1
        elif fraction == 0.0:
            self.billed_ms += whole
        else:
            self.billed_ms += math.ceil(round(ms, 6))

    # -- SQS pollers ------------------------------------------------------------------------------

    def listen(self, poller: int, now: float) -> None:
        self.listening[poller] = now

    def received(self, poller: int, now: float) -> None:
        """A ReceiveMessage that returned messages; the empty long polls before it are counted."""
        self.receives += 1
        since = self.listening.get(poller)
        if since is not None:
            self.empty_receives += int((now - since) // POLL_WAIT_S)
        self.listening[poller] = now

    def stop_listening(self, poller: int, now: float) -> None:
        since = self.listening.pop(poller, None)
        if since is not None:
            self.empty_receives += int((now - since) // POLL_WAIT_S)

    def deleted(self, count: int) -> None:
        self.deletes += -(-count // DELETE_BATCH)

    # -- reading ----------------------------------------------------------------------------------

    def summary(self, downstream: Any) -> dict[str, Any]:
        core = self.core
        billed: dict[str, Any] = {
            "requests": core.invocations,
            "gb_seconds": round(self.billed_ms / 1000.0 * self.memory_gb, 6),
            "memory_mb": core.scenario.function.memory_mb,
            "sqs_requests": 0,
            "write_units": 0.0,
        }
        if self.sqs:
            now = core.env._now
            waiting = sum(int((now - since) // POLL_WAIT_S) for since in self.listening.values())
            actions = {
                "send": core.arrived,
                "receive": self.receives,
                "empty_receive": self.empty_receives + waiting,
                "delete": self.deletes,
            }
            billed["sqs_requests"] = sum(actions.values())
            billed["sqs_requests_by_action"] = actions
        cfg = core.scenario.downstream
        if downstream is not None and cfg.kind == "dynamodb":
            billed["write_units"] = round(downstream.write_units, 6)
            if cfg.capacity_mode == "provisioned":
                hours = float(core.env._now) / 3600.0
                billed["write_capacity_unit_hours"] = round(cfg.write_capacity_units * hours, 6)
        cost = self._cost(billed)
        if cost is not None:
            billed["cost"] = cost
        return billed

    def _cost(self, billed: dict[str, Any]) -> dict[str, float] | None:
        """Units times the learner's prices, for the prices that are set (None if none is)."""
        prices = self.prices
        lines = {
            "requests": (prices.request, billed["requests"]),
            "gb_seconds": (prices.gb_second, billed["gb_seconds"]),
            "sqs_requests": (prices.sqs_request, billed["sqs_requests"]),
            "write_units": (prices.write_unit, billed["write_units"]),
        }
        cost = {name: round(price * units, 6) for name, (price, units) in lines.items() if price is not None}
        if not cost:
            return None
        cost["total"] = round(sum(cost.values()), 6)
        return cost

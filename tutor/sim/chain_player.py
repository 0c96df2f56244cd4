"""A chain played live: every stage's run on one simulated clock, for the chain pane.

Nothing here imports Textual. Stages are composed one after the other (`tutor.sim.chain`): a
later stage's arrivals are the moments the stage before handed items on, and nothing flows back.
So the chain is run once headless to learn those moments (`ChainPlan`), then each stage becomes
an ordinary `SimRun` of its scenario with that explicit load, and one `Player` plays them all on
one clock: a stage's item appears downstream at the very instant its upstream invocation ended,
stepping goes to the next event in whichever stage has it, and stepping back re-runs every stage
to the time before. The runs are deterministic, so at the end each stage's counters are the
summary `simulate --json` prints for it.

What crosses the hops and what arrives end to end is read from the plan at the player's time
(the hops take no time, so what a stage handed on by `t` is what the next one received by `t`).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from tutor.sim.chain import Chain, ChainPlan, ChainResult, run_chain
from tutor.sim.engine import latency_summary
from tutor.sim.player import TIME_EPSILON, SimRun, notable_words

# What a hop is, in words: how the next stage receives what the stage before hands on.
HOP_NAMES = {"sqs": "SQS queue", "sns": "SNS topic", "lambda": "async invoke"}
# The hand-offs a hop names (the latest first).
NAMED_HANDOFFS = 3


@dataclass(frozen=True)
class Handoff:
    """One item handed on: when, the upstream item and the downstream item it became."""

    t: float
    sent: str
    received: str


class ChainRun:
    """A chain's stages as `SimRun`s ready for one `Player`, and what crosses each hop by a time."""

    def __init__(self, chain: Chain):
        self.chain = chain
        self.plan = ChainPlan()
        self.first_notable: tuple[float, str] | None = None
        # Run once headless: the hand-off moments, the final summaries (for the end-to-end line
        # and the tests) and the first notable event of any stage (for the lesson's pace).
        self.result: ChainResult = run_chain(chain, self._notice, plan=self.plan)
        self.runs = [
            SimRun(scenario, label=stage.name)
            for stage, scenario in zip(chain.stages, self.plan.scenarios, strict=True)
        ]
        self.end_to_end = EndToEnd(self.plan, self.result.stages[0].summary["items"])
        # Per stage after the first: first-stage item -> the stage's first item carrying it.
        self._first_item_of: dict[int, dict[int, int]] = {}

    def _notice(self, _stage: str, event: dict) -> None:
        if self.first_notable is None or event["t"] < self.first_notable[0]:
            words = notable_words(event)
            if words is not None:
                self.first_notable = (event["t"], f"{words} in {_stage}")

    @property
    def end_s(self) -> float:
        """When the last stage ended in the headless run: what the pane's pace is chosen for."""
        return max(stage.summary["sim_time_s"] for stage in self.result.stages)

    def handed_on(self, index: int, t: float) -> int:
        """Items stage `index` had handed on to the next by time `t`."""
        return bisect_right(self.plan.handed_times[index], t + TIME_EPSILON)

    def latest_handoffs(self, index: int, t: float, count: int = NAMED_HANDOFFS) -> list[Handoff]:
        """The latest items stage `index` handed on by `t` (the latest first), each with the name
        it has in the next stage (the n-th item handed on is the next stage's n-th item)."""
        handed = self.handed_on(index, t)
        times = self.plan.handed_times[index]
        sender, receiver = self.runs[index].sim.core.prefix, self.runs[index + 1].sim.core.prefix
        origins = self.plan.handed_origins
        found = []
        for n in range(handed, max(0, handed - count), -1):
            # The sender's own item number: the first stage's item is its origin; a later stage's
            # item n is the n-th the stage before handed on.
            sent = origins[index][n - 1] + 1 if index == 0 else self._own_number(index, n)
            found.append(Handoff(times[n - 1], f"{sender}-{sent}", f"{receiver}-{n}"))
        return found

    def _own_number(self, index: int, n: int) -> int:
        """Which of stage `index`'s own items its n-th hand-off was. The stage's items are the
        stage before's hand-offs in order, so the item is the first of them carrying the same
        first-stage origin (a duplicate upstream makes several: the first is named)."""
        if index not in self._first_item_of:
            first: dict[int, int] = {}
            for number, origin in enumerate(self.plan.handed_origins[index - 1], start=1):
                first.setdefault(origin, number)
            self._first_item_of[index] = first
        return self._first_item_of[index].get(self.plan.handed_origins[index][n - 1], 0)


class EndToEnd:
    """The chain's end-to-end counters at a time: first-stage items delivered by the last stage
    (their first success there), the latency percentiles of those, and at the end the lost ones."""

    def __init__(self, plan: ChainPlan, items: int):
        self.items = items
        delivered = sorted(
            (done, done - plan.arrivals[origin])
            for origin, done in enumerate(plan.first_done)
            if done != math.inf
        )
        self.delivered_at = array("d", (done for done, _ in delivered))
        self.latencies = array("d", (latency for _, latency in delivered))
        self._summary: tuple[int, dict] = (0, latency_summary(array("d")))

    def delivered(self, t: float) -> int:
        return bisect_right(self.delivered_at, t + TIME_EPSILON)

    def latency_s(self, delivered: int) -> dict[str, Any]:
        """Percentiles of the first `delivered` deliveries, as the summary computes them."""
        if self._summary[0] != delivered:
            self._summary = (delivered, latency_summary(self.latencies[:delivered]))
        return self._summary[1]

    def state(self, t: float, finished: bool) -> dict[str, Any]:
        """`items`, `delivered` and `latency_s` by `t`; `lost` once the chain has finished (an
        item still on its way is not lost until the run ends), like `end_to_end` of the summary."""
        delivered = self.delivered(t)
        state: dict[str, Any] = {
            "items": self.items,
            "delivered": delivered,
            "latency_s": self.latency_s(delivered),
        }
        if finished:
            state["lost"] = self.items - delivered
        return state

"""Idle execution environments reclaimed after `function.idle_reclaim_s` (off by default).

AWS does not document when it reclaims an idle environment; the rule here is the simulator's:
an environment that has been idle for `idle_reclaim_s` or longer is gone, so the next invocation
that would have used it starts a new one (a cold start). An invocation takes the environment that
became idle last, so under light load the oldest idle environments are the ones reclaimed.
Reclaiming is done lazily, whenever the pool is looked at; the result is the same as doing it at
the exact instant, since it depends only on time.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.sim._common import Core


class IdleReclaim:
    __slots__ = ("core", "idle_s", "idle_since", "reclaimed")

    def __init__(self, core: Core, idle_s: float):
        self.core = core
        self.idle_s = idle_s
        # When each idle environment became idle, oldest first (environments become idle in time
        # order and are taken from the end, so the list stays sorted).
        self.idle_since: list[float] = []
        self.reclaimed = 0

    def idled(self, now: float) -> None:
        self.idle_since.append(now)

    def take(self) -> None:
        self.idle_since.pop()

    def prune(self, now: float) -> None:
        """Reclaim every environment idle for `idle_s` or longer by `now`."""
        gone = bisect_right(self.idle_since, now - self.idle_s)
        if gone:
            del self.idle_since[:gone]
            self.core.idle -= gone
            self.reclaimed += gone

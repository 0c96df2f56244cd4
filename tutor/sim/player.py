"""Simulations played against the wall clock: the speed ladder, play/pause, step, step back, reset.

Nothing here imports Textual. The panes call `Player.tick()` from a timer and repaint from the
runs, so the timing rule is plain code that a test drives with a fake clock: while playing, the
simulated time is `time at play + speed × wall seconds since play`, computed from the clock at
every tick rather than by adding a fixed slice per tick, so a late or skipped tick never makes the
simulation fall behind.

Stepping back re-runs the deterministic simulation from the start to an earlier event time (the
engine replays the interventions recorded on the way), so the picture after a step back is the
one the learner saw when going forward.

A run keeps only what the panes show, so a run of any length costs the same at its end as at its
start: the charts' `TraceDigest` (bounded points), the last `RECENT_EVENTS` events for the log,
the last `KEPT_TIMES` event times for stepping back and, with a downstream, a `DownstreamWatch`
(bounded by the invocations running). `SimRun.snapshot()` is the engine's snapshot with the
downstream as the pane shows it and the billed units so far. The trace itself is handed over by the
engine in slices and not kept; a step back re-runs the engine rather than reading it back. Whatever
else reads the events (the flow view's follower) subscribes to `listeners` and is handed every
slice, the re-run's included, so it never has to catch up from a trace that is gone.
"""

from __future__ import annotations

import json
import math
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tutor.sim.engine import Simulation
from tutor.sim.report import TraceDigest

# Simulated seconds per real second. 3,600 plays a six-hour event age in six minutes.
SPEEDS: tuple[float, ...] = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
# A run should play through in about a minute at its starting speed.
TARGET_REAL_SECONDS = 60
# Trace times are rounded to the microsecond (the engine's t6).
TIME_EPSILON = 5e-7
# What a run keeps of its trace: the events the log can show (it holds 200 lines), and the event
# times a step back walks through (each step back re-runs the engine to the one before, which
# refills them up to there, so only the latest two are ever needed; more make stepping cheap).
RECENT_EVENTS = 200
KEPT_TIMES = 1000
# A chart is at most a couple of hundred bars: this many points a series keep every bar's peak
# exact in a short run and within a few cells of its time in a long one, and cost little to redraw.
CHART_POINTS = 10_000


# Items the downstream names as waiting for an SDK retry.
NAMED_WAITING = 4


def default_speed(until_s: float) -> float:
    """The slowest speed on the ladder that plays `until_s` simulated seconds in about a minute."""
    for speed in SPEEDS:
        if until_s / speed <= TARGET_REAL_SECONDS:
            return speed
    return SPEEDS[-1]


# A lesson's run starts slow enough that its first notable event is this far away in wall time,
# so the learner sees the flow settle before the thing the lesson is about.
NOTICE_LEAD_S = 3.0
# Enough trace to find a first notable event in any lesson's run, without paying for the whole run.
NOTABLE_SEARCH_ROWS = 2_000


def notable_words(event: Mapping[str, Any]) -> str | None:
    """What a trace event shows, if it is one the lessons are about (a throttle, retry, error,
    timeout, redrive, DLQ, drop); None for the ordinary flow (arrivals, successes, deletes)."""
    kind = event.get("kind")
    if kind == "throttle":
        return "throttle"
    if kind == "retry":
        return "retry"
    if kind == "bisect":
        return "batch split"
    if kind == "drop":
        return "dropped item"
    if kind == "write_throttled":
        return "throttled write downstream"
    if kind == "destination":
        target = event.get("target")
        if target == "dlq":
            return "message to the DLQ"
        return "event to the on-failure destination" if target == "on_failure" else None
    if kind == "invoke_end":
        outcome = event.get("outcome")
        return {"error": "function error", "timeout": "function timeout"}.get(str(outcome))
    if kind == "response":
        status = event.get("status")
        if status == 504:
            return "caller timeout (504)"
        if status == 429:
            return "throttled call (429)"
        return "function error" if event.get("function_error") else None
    return None


_first_notable: dict[str, tuple[float, str] | None] = {}


def first_notable_event(scenario: Any) -> tuple[float, str] | None:
    """(simulated time, words) of the run's first notable event, or None if it has none.

    Found by running the scenario headless up to that event (a millisecond or so for a lesson's
    preset) and remembered per scenario, since lessons share presets and are opened again.
    """
    key = json.dumps(scenario.resolved(), sort_keys=True)  # a validated model or a plain scenario
    if key not in _first_notable:
        found = None
        for events in Simulation(scenario).stream(chunk_rows=NOTABLE_SEARCH_ROWS):
            found = next(
                ((event["t"], words) for event in events if (words := notable_words(event)) is not None), None
            )
            if found is not None:
                break
        _first_notable[key] = found
    return _first_notable[key]


def lesson_speed(until_s: float, first_notable_s: float | None) -> float:
    """The speed a lesson's run starts at: about a minute for the whole run (`default_speed`), but
    no faster than keeps its first notable event `NOTICE_LEAD_S` of wall time away (the ladder's
    slowest speed when even that cannot)."""
    speed = default_speed(until_s)
    if first_notable_s is None:
        return speed
    paced = [candidate for candidate in SPEEDS if first_notable_s / candidate >= NOTICE_LEAD_S]
    return min(speed, paced[-1]) if paced else SPEEDS[0]


def speed_text(speed: float) -> str:
    return f"{speed:g}×" if speed < 1000 else f"{speed:,.0f}×"


def clock_text(seconds: float) -> str:
    """Simulated time as hh:mm:ss.t; fixed width so the display does not jump while it runs."""
    tenths = round(max(seconds, 0.0) * 10)
    whole, tenth = divmod(tenths, 10)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{tenth}"


class DownstreamWatch:
    """The run's downstream as the pane shows it now: its capacity, what it consumed in the last
    second, the writes throttled and the SDK retries made so far, the items waiting for one.

    The engine decides an invocation's writes and SDK retries when the invocation starts and
    counts them then (`tutor.sim._downstream`), ahead of time; the trace has a `write_throttled`
    event at each refused attempt, when it happens. The throttled writes and SDK retries here are
    counted from those events as the run reaches them, so they agree with the log and the
    timeline at every frame: a retry is made at its `retry_at` unless its invocation ended before
    (a timeout), and it was refused again if another `write_throttled` of that invocation comes
    then. Writes that succeed write no event: the writes and units consumed are the engine's
    counters, and what was consumed this second is their growth since the whole second began
    (`SimRun.advance` stops the engine there to read them, so stepping and playing, forward or
    back, show the same). At the end of a drained run every count equals the summary's
    `downstream` object.
    """

    def __init__(self, sim: Simulation):
        self.sim = sim
        self.config = sim.scenario.downstream
        self.throttled_writes = 0
        self.sdk_retries = 0
        self.gave_up = 0  # invocations failed because the SDK ran out of attempts
        # invocation -> (retry_at, items, the attempt that retry is, attempts allowed): one a
        # running invocation at most, so bounded by the concurrency.
        self.pending: dict[int, tuple[float, list[str], int, int]] = {}
        self._next_due = math.inf
        # SDK retries made, oldest first: (t, invocation, items, attempt, max_attempts, refused).
        self.retried: deque[tuple[float, int, list[str], int, int, int]] = deque(maxlen=RECENT_EVENTS)
        self.retried_count = 0  # retries ever recorded (the log's index into `retried`)
        # (the whole second the run is in, writes then, write units then)
        self.second: tuple[float, int, float] = (0.0, 0, 0.0)

    def read(self, events: list[dict]) -> None:
        pending = self.pending
        for event in events:
            kind = event["kind"]
            if kind == "write_throttled":
                number = event["invocation"]
                items = event["items"]
                before = pending.pop(number, None)
                if before is not None:
                    self._retried(number, before, refused=len(items))
                self.throttled_writes += len(items)
                if "retry_at" in event:
                    retry_at = event["retry_at"]
                    pending[number] = (retry_at, items, event["attempt"] + 1, event["max_attempts"])
                    self._next_due = min(self._next_due, retry_at)
                else:
                    self.gave_up += 1
            elif kind == "invoke_end" and pending:
                number = event["invocation"]
                before = pending.pop(number, None)
                # Ended before its retry was due: a timeout cut the SDK's wait short.
                if before is not None and before[0] <= event["t"] + TIME_EPSILON:
                    self._retried(number, before, refused=0)
        self.catch_up()

    def _retried(self, number: int, retry: tuple[float, list[str], int, int], refused: int) -> None:
        at, items, attempt, max_attempts = retry
        self.sdk_retries += len(items)
        self.retried.append((at, number, items, attempt, max_attempts, refused))
        self.retried_count += 1

    def start_second(self, second: float) -> None:
        """The engine is at the start of a whole second: what it consumed this second counts from here."""
        downstream = self.sim.core.downstream
        if downstream is not None:
            self.second = (second, downstream.writes, downstream.write_units)

    def catch_up(self) -> None:
        """Count the retries whose time has passed (accepted: a refused one wrote its event)."""
        now = self.sim.now
        if now > self._next_due + TIME_EPSILON:
            due = sorted(
                (retry[0], number) for number, retry in self.pending.items() if retry[0] + TIME_EPSILON < now
            )
            for _, number in due:
                self._retried(number, self.pending.pop(number), refused=0)
            self._next_due = min((retry[0] for retry in self.pending.values()), default=math.inf)

    def state(self) -> dict[str, Any]:
        self.catch_up()
        config = self.config
        downstream = self.sim.core.downstream
        now = self.sim.now
        writes = downstream.writes if downstream is not None else 0
        units = downstream.write_units if downstream is not None else 0.0
        _second, writes_then, units_then = self.second
        state: dict[str, Any] = {
            "kind": config.kind,
            "writes": writes,
            "write_units": units,
            "written_this_s": writes - writes_then,
            "used_this_s": round(units - units_then, 6),
            "throttled_writes": self.throttled_writes,
            "sdk_retries": self.sdk_retries,
            "failed_invocations": self.gave_up,
            "sdk_waiting": sum(len(retry[1]) for retry in self.pending.values()),
            "waiting": [
                (item, retry_at, attempt, max_attempts)
                for retry_at, items, attempt, max_attempts in sorted(self.pending.values())
                for item in items
            ][:NAMED_WAITING],
        }
        if config.kind == "dynamodb":
            state["capacity_mode"] = config.capacity_mode
            if config.capacity_mode == "provisioned":
                state["capacity_per_s"] = float(config.write_capacity_units)
                state["burst_s"] = config.burst_s
            else:
                state["capacity_per_s"] = 2.0 * config.previous_peak_units_per_s
        elif config.kind == "rate_limited":
            state["capacity_per_s"] = float(config.max_requests_per_s)
        else:
            state["connections"] = config.max_connections
            hold_s = config.write_ms / 1000.0
            limiter = downstream.limiter if downstream is not None else None
            ends = getattr(limiter, "ends", ())
            state["connections_in_use"] = sum(1 for end in ends if end - hold_s <= now < end)
        return state


class SimRun:
    """One scenario's simulation, rebuilt (new `generation`) whenever it restarts or rewinds.

    The engine is advanced through `advance` (never directly), which reads the events it writes
    into what the panes show: `digest` (charts), `recent` (the log), `event_count` and the
    recent event times, and hands each slice to every one of `listeners`. A listener is told of a
    restart or rewind by `generation`: the slices after a new generation start from t = 0.
    """

    def __init__(
        self,
        scenario: Any,
        *,
        label: str = "",
        start_changes: Mapping[str, Any] | None = None,
        kept_times: int = KEPT_TIMES,
    ):
        self.scenario = scenario
        self.label = label or scenario.model
        self.kept_times = kept_times
        # Interventions applied before any event (the lab's faults that are on when it resets).
        self.start_changes: dict[str, Any] = dict(start_changes or {})
        self.generation = 0
        self.listeners: list[Callable[[list[dict]], None]] = []
        self._build()

    def _build(self) -> None:
        self.sim = Simulation(self.scenario)
        if self.start_changes:
            # Made before any event, so in force (and shown) from the start and replayed by reset().
            self.sim.intervene(self.start_changes)
        self._forget()

    def _forget(self) -> None:
        self.generation += 1
        self.digest = TraceDigest(points=CHART_POINTS)
        self.recent: deque[dict] = deque(maxlen=RECENT_EVENTS)
        self.event_count = 0
        # Distinct event times, ascending: the latest `kept_times` (up to twice as many between trims).
        self.times: list[float] = []
        self.downstream = DownstreamWatch(self.sim) if self.sim.core.downstream is not None else None

    @property
    def done(self) -> bool:
        return self.sim.done

    def advance(self, to_s: float) -> None:
        """Run the engine to `to_s`, reading the events it writes as they come; with a downstream,
        by way of the last whole second before it, where what it consumed this second starts."""
        watch = self.downstream
        if watch is not None:
            second = float(math.floor(min(to_s, self.sim.until_s)))
            if second > watch.second[0]:
                self._advance(second)
                watch.start_second(second)
        self._advance(to_s)
        if watch is not None:
            watch.catch_up()

    def _advance(self, to_s: float) -> None:
        for events in self.sim.advance_in_slices(to_s):
            self._read(events)

    def _read(self, events: list[dict]) -> None:
        self.digest.feed(events)
        self.recent.extend(events)
        self.event_count += len(events)
        times = self.times
        for event in events:
            if not times or event["t"] != times[-1]:
                times.append(event["t"])
        if len(times) > 2 * self.kept_times:
            del times[: -self.kept_times]
        if self.downstream is not None:
            self.downstream.read(events)
        for listener in self.listeners:
            listener(events)

    def snapshot(self) -> dict[str, Any]:
        """The engine's snapshot, with the downstream as the pane shows it (if the run has one) and
        the billed units so far (the summary's `billed` object, as it stands)."""
        sim = self.sim
        snapshot = sim.snapshot()
        if self.downstream is not None:
            snapshot["downstream"] = self.downstream.state()
        core = sim.core
        snapshot["billed"] = core.billing.summary(core.downstream)
        return snapshot

    def restart(self, scenario: Any | None = None) -> None:
        """Start again from t = 0, with a new scenario if given; recorded interventions are dropped."""
        if scenario is not None:
            self.scenario = scenario
        self._build()

    def rewind(self, to_s: float | None) -> None:
        """Re-run from the start to `to_s` (None: to before the first event), keeping interventions."""
        self.sim.reset()
        self._forget()
        if to_s is not None:
            # `to_s` is a trace time (rounded): take in the events it stands for.
            self.advance(to_s + TIME_EPSILON)

    def next_time(self) -> float:
        """When the engine has something to do next (the end of the run if nothing is scheduled)."""
        due = self.sim.next_event_at
        return self.sim.until_s if due is None else min(due, self.sim.until_s)

    def last_event_time(self, at_most: float, *, strictly_before: bool = False) -> float | None:
        """The time of the last event at or before (or strictly before) `at_most`, among the
        latest `kept_times` (None if there is none there).

        Trace times are rounded to the microsecond, the clock is not: they are compared with half
        a microsecond to spare.
        """
        times = self.times
        if strictly_before:
            index = bisect_left(times, at_most - TIME_EPSILON)
        else:
            index = bisect_right(times, at_most + TIME_EPSILON)
        return times[index - 1] if index else None


class Player:
    """Plays one or more runs on one simulated clock (the lab keeps its three models in step)."""

    def __init__(
        self, runs: Iterable[SimRun], speed: float | None = None, clock: Callable[[], float] = time.monotonic
    ):
        self.runs = list(runs)
        self.clock = clock
        self.speed = speed if speed is not None else default_speed(self.until_s)
        self.playing = False
        self.time = 0.0
        self._anchor_wall = 0.0
        self._anchor_sim = 0.0

    # -- state ------------------------------------------------------------------------------------

    @property
    def until_s(self) -> float:
        return max(run.sim.until_s for run in self.runs)

    @property
    def finished(self) -> bool:
        return all(run.done for run in self.runs)

    def state_text(self) -> str:
        if self.finished:
            return "■ ended"
        return "▶ playing" if self.playing else "‖ paused"

    def status_text(self) -> str:
        """What the control bar shows, e.g. '▶ playing · 60× · sim 00:03:12.0'."""
        return f"{self.state_text()} · {speed_text(self.speed)} · sim {clock_text(self.time)}"

    # -- playing ----------------------------------------------------------------------------------

    def play(self) -> bool:
        if self.playing or self.finished:
            return False
        self.playing = True
        self._rebase()
        return True

    def pause(self) -> bool:
        if not self.playing:
            return False
        self._catch_up()
        self.playing = False
        return True

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def tick(self) -> bool:
        """Advance to the wall clock's time; False when there was nothing to do (not playing)."""
        if not self.playing:
            return False
        self._catch_up()
        if self.finished:
            self.playing = False
        return True

    def _rebase(self) -> None:
        self._anchor_wall = self.clock()
        self._anchor_sim = self.time

    def _catch_up(self) -> None:
        target = self._anchor_sim + (self.clock() - self._anchor_wall) * self.speed
        self._advance_to(target)

    def _advance_to(self, target: float) -> None:
        target = min(target, self.until_s)
        for run in self.runs:
            run.advance(target)
        if self.finished:
            self.time = max(run.sim.now for run in self.runs)
        else:
            self.time = max(self.time, target)

    # -- speed ------------------------------------------------------------------------------------

    def change_speed(self, steps: int) -> bool:
        """Move up (+1) or down (-1) the ladder; False at either end."""
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        new_index = max(0, min(len(SPEEDS) - 1, index + steps))
        if SPEEDS[new_index] == self.speed:
            return False
        if self.playing:
            self._catch_up()
        self.speed = SPEEDS[new_index]
        self._rebase()
        return True

    # -- stepping ---------------------------------------------------------------------------------

    def step(self) -> bool:
        """Pause and go to the next moment when something happens in any run."""
        self.pause()
        before = [run.event_count for run in self.runs]
        # Some engine events (a poller waking up, a timer) write nothing to the trace: keep going
        # until one that does, so every step shows a change.
        while not self.finished:
            target = min(run.next_time() for run in self.runs if not run.done)
            self._advance_to(target)
            if any(run.event_count > count for run, count in zip(self.runs, before, strict=True)):
                return True
        return False

    def step_back(self) -> bool:
        """Pause and re-run every model to the event time before the latest one shown."""
        self.pause()
        shown = [run.last_event_time(self.time) for run in self.runs]
        latest = max((t for t in shown if t is not None), default=None)
        if latest is None:
            return False
        earlier = [run.last_event_time(latest, strictly_before=True) for run in self.runs]
        self.seek(max((t for t in earlier if t is not None), default=None))
        return True

    def reset(self) -> None:
        """Back to t = 0 with a fresh run of every model (and the start changes each run carries)."""
        self.pause()
        for run in self.runs:
            run.restart()
        self.time = 0.0

    def restart(self, run: SimRun, scenario: Any) -> None:
        """A run's parameters changed: every run starts again from t = 0; playing goes on."""
        run.restart(scenario)
        for other in self.runs:
            if other is not run:
                other.restart()
        self.time = 0.0
        if self.playing:
            self._rebase()

    def seek(self, to_s: float | None) -> None:
        """Pause and show the runs at `to_s`; None is the start, before the first event."""
        self.pause()
        if to_s is None or to_s < self.time:
            for run in self.runs:
                run.rewind(to_s)
            self.time = to_s if to_s is not None else 0.0
        else:
            self._advance_to(to_s)

    # -- lab interventions ------------------------------------------------------------------------

    def intervene(self, changes: Mapping[str, Any]) -> None:
        """Apply a change to every run from the current time on (recorded; replayed after a step back)."""
        if self.playing:
            self._catch_up()
        for run in self.runs:
            if not run.done:
                run.sim.intervene(changes)


def pace_note(first_notable: tuple[float, str] | None, speed: float) -> str:
    """What to watch for, under the run's title: the first notable event, and when it comes."""
    if first_notable is None:
        return ""
    at, words = first_notable
    return f"first {words} at sim {clock_text(at)}, {at / speed:.1f} s after w at {speed_text(speed)}"

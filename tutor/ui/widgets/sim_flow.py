"""The flow view: each stage of a model is a place on screen and each item a glyph in the stage it
is in now, with one cell per execution environment below.

How many glyphs a stage shows comes from the engine's `snapshot()` (past what fits, "+N more"), so
the picture never disagrees with the counters. Which items they are comes from two places: the
engine's `stage_items()` for the stages it holds in order (SQS's visible messages and pollers'
batches, a stream's records from its checkpoint), and `RunFollower`, which the run hands each
slice of events as the engine writes them, for the rest (events waiting for a retry, answers,
destinations, environments, the latest moves). The run keeps no trace, so the follower is the
only record of the past it draws: it keeps only what the view shows, in bounded collections, so a
pane costs the same after an hour as after a minute. When the run starts again (a reset, or a step
back that re-runs the engine) the follower starts again too and is handed the re-run's events.

Everything here but `RunFollower.update` is a pure function of its arguments: tests read the
lines without a screen.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tutor.sim.player import clock_text
from tutor.sim.report import format_time
from tutor.ui.widgets.sim_diagram import TIME_COLUMNS, concurrency_note
from tutor.ui.widgets.sim_timeline import STREAM_MODELS, Timeline

if TYPE_CHECKING:
    from tutor.sim.player import SimRun

# Items each stage lists by name (the glyphs are counted, not named).
NAMED = 4
# What the follower keeps: named items per waiting stage, recent moves, answers, destinations.
KEPT_PER_STAGE = 200
RECENT = 8
# Stage rows: "  12 visible       ●●●● +8 more"; the count and word take this many columns.
COUNT_COLUMNS = 6
WORD_COLUMNS = 13
# Environment cells: at most this many rows of them, then "+N more".
ENV_ROWS = 3
LABELLED_CELL = 7  # "■ 123 " with its gap: a cell that names its item's number

GLYPH = {
    "waiting": "●",
    "backing off": "◌",
    "queued": "●",
    "to retry": "⟳",
    "throttled": "◌",
    "running": "■",
    "visible": "●",
    "in batches": "◐",
    "returning": "◌",
    "in DLQ": "▣",
    "written": "◆",
    "SDK backoff": "↻",
}
RECORD_GLYPH = {"done": "✓", "batch": "■", "waiting": "▪"}
ENV_GLYPH = {"busy": "■", "starting": "▤", "idle": "□"}
# Where an item was before it started, as the latest moves say it ("msg-5 visible again ▶ env 2").
FROM_WORDS = {"returning": "visible again", "to retry": "retried", "throttled": "after backoff"}
TARGET_WORDS = {"on_success": "on success", "on_failure": "on failure", "dlq": "DLQ"}


class Environment:
    """One execution environment as the view draws it: its number, what it runs, since when."""

    __slots__ = ("item", "number", "ready_at")

    def __init__(self, number: int):
        self.number = number
        self.item = ""  # the first item of the invocation it runs; "" while idle
        self.ready_at = 0.0  # when its Init phase ends (cold start)


class RunFollower:
    """Reads one run's events, a slice at a time as the run hands them over, into what the flow
    view and the timeline show. Make it with `of(run)` before the run goes: it cannot see events
    handed over before it subscribed."""

    def __init__(self, run: SimRun):
        self.run = run
        self.timeline = Timeline()
        self._generation = run.generation
        self._reset()
        run.listeners.append(self)

    @classmethod
    def of(cls, run: SimRun) -> RunFollower:
        """The run's follower, subscribed on first use. A view built again for the same run (the
        lab's board when its width crosses) goes on from it: the events before are not kept."""
        found = next((listener for listener in run.listeners if isinstance(listener, cls)), None)
        return found if found is not None else cls(run)

    def __call__(self, events: list[dict]) -> None:
        self._follow_generation()
        self.feed(events)

    def _reset(self) -> None:
        scenario = self.run.scenario
        self.cold_start_s = scenario.function.cold_start_ms / 1000.0
        self.environments: list[Environment] = []
        self.idle: list[Environment] = []  # the one that became idle last is taken first
        self.running: dict[int, Environment] = {}
        self.waiting: dict[str, OrderedDict[str, str]] = {}  # stage -> item -> what it waits for
        self.moves: deque[str] = deque(maxlen=RECENT)
        self.answers: deque[str] = deque(maxlen=RECENT)
        self.given_up: deque[str] = deque(maxlen=RECENT)
        self.bounced: deque[str] = deque(maxlen=RECENT)
        self.timeline.clear()
        if scenario.model in STREAM_MODELS:
            # Asked only when a blocked shard is drawn: how many records wait behind its batch.
            self.timeline.shard_state = lambda: self.run.sim.model.snapshot()["shards"]
        self._marked = 0

    def _follow_generation(self) -> None:
        if self.run.generation != self._generation:
            self._generation = self.run.generation
            self._reset()

    def update(self) -> None:
        """Catch up with the run before a frame: empty after a restart that wrote no event yet,
        and the changes made to it marked."""
        self._follow_generation()
        self._mark_interventions()

    def _mark_interventions(self) -> None:
        """A change made to the run (a lab fault on or off) becomes a marker on the timeline."""
        interventions = self.run.sim.interventions
        if len(interventions) < self._marked:
            self.timeline.markers.clear()
            self._marked = 0
        for t, changes in interventions[self._marked :]:
            self.timeline.markers.append((t, change_words(changes)))
        self._marked = len(interventions)

    def marker_lines(self, since: int) -> tuple[list[str], int]:
        """Log lines for the markers from number `since` on, and how many there are now."""
        markers = self.timeline.markers
        lines = [f"{format_time(t):>{TIME_COLUMNS}}  ── {words} ──" for t, words in markers[since:]]
        return lines, len(markers)

    # -- events ---------------------------------------------------------------------------------

    def feed(self, events: Sequence[Mapping[str, Any]]) -> None:
        model = self.run.scenario.model
        for event in events:
            kind = event["kind"]
            t = event["t"]
            if kind == "invoke_start":
                self._started(event, t)
            elif kind == "invoke_end":
                self._ended(event, t)
            elif kind == "retry":
                self._retry(event, model)
            elif kind == "response":
                self._answered(event)
            elif kind == "throttle":
                items = event["items"]
                self.bounced.append(f"{_span(items)} ✗ {'429' if model == 'sync' else 'throttled'}")
                self.moves.append(f"{_span(items)} ✗ throttled")
            elif kind in ("destination", "drop"):
                self._given_up(event, kind)
            elif kind == "delete":
                self.moves.append(f"{_span(event['items'])} ▶ deleted")
            elif kind == "bisect":
                self.moves.append(f"{_span(event['items'])} ▶ split in two")
            elif kind == "arrive":
                self.moves.append(f"{event['item']} ▶ arrived")
            elif kind == "write_throttled":
                then = "SDK retries" if "retry_at" in event else "SDK gave up"
                self.moves.append(f"{_span(event['items'])} ✗ write throttled, {then}")
        self.timeline.feed(events, self.cold_start_s, model)

    def _forget(self, items: Sequence[str]) -> None:
        for stage in self.waiting.values():
            for item in items:
                stage.pop(item, None)

    def _wait(self, stage: str, items: Sequence[str], what: str) -> None:
        kept = self.waiting.setdefault(stage, OrderedDict())
        for item in items:
            if len(kept) >= KEPT_PER_STAGE:
                break
            kept[item] = what

    def _started(self, event: Mapping[str, Any], t: float) -> None:
        items = event["items"]
        came_from = next((stage for stage, kept in self.waiting.items() if items[0] in kept), "")
        self._forget(items)
        if event["cold"] or not self.idle:
            environment = Environment(len(self.environments) + 1)
            self.environments.append(environment)
            if event["cold"]:
                environment.ready_at = t + self.cold_start_s
        else:
            environment = self.idle.pop()
            environment.ready_at = 0.0
        environment.item = items[0]
        self.running[event["invocation"]] = environment
        where = "cold start" if event["cold"] else "warm"
        before = FROM_WORDS.get(came_from, came_from)
        self.moves.append(
            f"{_span(items)} {before + ' ▶ ' if before else '▶ '}env {environment.number} ({where})"
        )

    def _ended(self, event: Mapping[str, Any], t: float) -> None:
        environment = self.running.pop(event["invocation"], None)
        if environment is not None:
            environment.item = ""
            self.idle.append(environment)

    def _retry(self, event: Mapping[str, Any], model: str) -> None:
        items = event["items"]
        reason = event["reason"]
        due = clock_text(event["at"])
        if model == "sync":
            self._wait("backing off", items, f"retries at {due}")
        elif model == "async":
            stage = "throttled" if reason == "throttle" else "to retry"
            attempt = (
                f" (attempt {event['attempt']} of {event['max_attempts']})" if "attempt" in event else ""
            )
            self._wait(stage, items, f"⟳ {due}{attempt}")
        elif model == "sqs":
            if reason != "throttle":
                counts = event.get("receive_counts") or [0]
                self._wait("returning", items, f"visible again at {due} (received {max(counts)}×)")
        else:
            self._wait("blocked", items, f"retry at {due}")
        self.moves.append(f"{_span(items)} ▶ waits until {due}")

    def _answered(self, event: Mapping[str, Any]) -> None:
        status = event["status"]
        good = status == 200 and not event.get("function_error")
        mark = "✓" if good else "✗"
        self.answers.append(f"{event['item']} {mark}{status}")
        self.moves.append(f"{event['item']} ▶ answered {status}")

    def _given_up(self, event: Mapping[str, Any], kind: str) -> None:
        items = event["items"]
        self._forget(items)
        where = TARGET_WORDS.get(event.get("target", ""), "dropped") if kind == "destination" else "dropped"
        self.given_up.append(f"▣ {_span(items)} ▶ {where} ({event['reason']})")
        self.moves.append(f"{_span(items)} ▶ {where}")

    # -- reading --------------------------------------------------------------------------------

    def reconcile(self, function: Mapping[str, Any]) -> None:
        """Environments reclaimed while idle leave the grid (the oldest idle ones go first)."""
        extra = len(self.idle) - function["idle"]
        if extra > 0:
            gone = {id(environment) for environment in self.idle[:extra]}
            del self.idle[:extra]
            self.environments = [e for e in self.environments if id(e) not in gone]

    def named(self, stage: str, count: int) -> list[str]:
        kept = self.waiting.get(stage)
        if not kept or not count:
            return []
        return [f"{item} {what}" for item, what in list(kept.items())[: min(NAMED, count)]]


def counters_since(snapshot: Mapping[str, Any], base: tuple[float, Mapping[str, Any]] | None) -> dict:
    """The snapshot with its counters counted from `base` (time, counters then) on, if the run
    has reached that time; otherwise as it is (a step back before the reset shows the totals)."""
    if base is None or snapshot["t"] < base[0]:
        return dict(snapshot)
    then = base[1]
    counters = dict(snapshot["counters"])
    for key in ("succeeded", "failed", "throttles", "cold_starts", "invocations", "duplicates"):
        counters[key] -= then[key]
    reasons = {
        reason: count - then["failed_by_reason"].get(reason, 0)
        for reason, count in counters["failed_by_reason"].items()
    }
    counters["failed_by_reason"] = {reason: count for reason, count in reasons.items() if count}
    return {**snapshot, "counters": counters}


def change_words(changes: Mapping[str, Any]) -> str:
    """A change to the run in plain words: 'error rate 100%', 'reserved concurrency 1'."""
    words = []
    for key, value in changes.items():
        if key == "function.error_rate":
            words.append(f"error rate {value:.0%}")
        elif key == "function.item_error_rate":
            words.append(f"item error rate {value:.0%}")
        elif key == "function.reserved_concurrency":
            words.append("no reserved concurrency" if value is None else f"reserved concurrency {value}")
        elif key == "poison":
            words.append("poison the next item" if value else "poison cured")
    return "changed: " + ", ".join(words)


def _span(items: Sequence[str]) -> str:
    """'msg-1..msg-10' for a run of numbers, 'msg-4' for one, 'msg-1 +2' otherwise."""
    if len(items) == 1:
        return items[0]
    numbers = [int(item.rsplit("-", 1)[1]) for item in items]
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{items[0]}..{items[-1]}"
    return f"{items[0]} +{len(items) - 1}"


# -- drawing ---------------------------------------------------------------------------------


def stage_row(count: int, word: str, glyph: str, width: int, glyphs: str | None = None) -> str:
    """'   12 visible       ●●●●●● +6 more': the count, the stage, one glyph per item that fits."""
    head = f"{count:>{COUNT_COLUMNS},} {word:<{WORD_COLUMNS}}"
    drawn = glyphs if glyphs is not None else glyph * count
    room = max(1, width - len(head) - len(f" +{count:,} more"))
    shown = drawn[:room]
    more = count - len(shown)
    return head + shown + (f" +{more:,} more" if more > 0 else "")


def detail(lines: list[str], words: Sequence[str], width: int, indent: str = "       ") -> None:
    """Named items under a stage, as many as fit on one line."""
    if not words:
        return
    text = indent
    for index, word in enumerate(words):
        piece = word if index == 0 else " · " + word
        if len(text) + len(piece) > width and index:
            break
        text += piece
    lines.append(text[:width])


def environment_lines(
    function: Mapping[str, Any], counters: Mapping[str, Any], follower: RunFollower, width: int
) -> list[str]:
    """'environments 7 · ■ 5 busy · ▤ 1 starting · □ 1 idle · ✗ 15 throttled', then one cell each."""
    follower.reconcile(function)
    starting = function["initializing"]
    # The engine knows how many Init phases are still running; they are the latest cold starts.
    initializing = {
        id(e) for e in sorted(follower.running.values(), key=lambda e: -e.ready_at)[:starting] if e.ready_at
    }
    cells = []
    for environment in follower.environments:
        if environment.item:
            state = "starting" if id(environment) in initializing else "busy"
            number = environment.item.rsplit("-", 1)[1]
        else:
            state, number = "idle", ""
        cells.append((state, number))
    busy = function["busy"] - starting
    idle = function["idle"]
    total = busy + starting + idle
    header = f"environments {total:,} · ■ {busy:,} busy · ▤ {starting:,} starting · □ {idle:,} idle"
    throttles = counters["throttles"]
    if throttles:
        header += f" · ✗ {throttles:,} throttled"
    lines = [header]
    labelled = len(cells) * LABELLED_CELL <= width * ENV_ROWS
    per_row = max(1, width // LABELLED_CELL if labelled else width - 1)
    room = per_row * ENV_ROWS
    if len(cells) > room:
        room -= 1  # the last place says how many more
    shown = cells[:room]
    for start in range(0, len(shown), per_row):
        row = shown[start : start + per_row]
        if labelled:
            lines.append(
                "".join(f"{ENV_GLYPH[state]} {number:<{LABELLED_CELL - 2}}" for state, number in row)
            )
        else:
            lines.append("".join(ENV_GLYPH[state] for state, _ in row))
    if len(cells) > len(shown):
        lines[-1] = lines[-1].rstrip() + f" +{len(cells) - len(shown):,} more"
    if follower.bounced:
        lines.append("bounced: " + " · ".join(list(follower.bounced)[-3:]))
    return lines


def fitting(head: str, parts: Sequence[str], width: int) -> str:
    """`head` and as many of `parts` as fit on one line of `width`, in order, joined by ' · '."""
    line = head
    for part in parts:
        if len(line) + 3 + len(part) > width:
            break
        line += " · " + part
    return line


def environment_line(function: Mapping[str, Any], counters: Mapping[str, Any], width: int) -> str:
    """The grid on one line for a short pane: 'environments 7 ■■■■■▤□ · ■ 5 busy · ▤ 1 starting ·
    □ 1 idle', one cell per environment in as much room as the words leave, then "+N more"."""
    starting = function["initializing"]
    busy = function["busy"] - starting
    idle = function["idle"]
    total = busy + starting + idle
    head = f"environments {total:,} "
    words = [f"■ {busy:,} busy", f"▤ {starting:,} starting", f"□ {idle:,} idle"]
    if counters["throttles"]:
        words.append(f"✗ {counters['throttles']:,} throttled")
    cells = ENV_GLYPH["busy"] * busy + ENV_GLYPH["starting"] * starting + ENV_GLYPH["idle"] * idle
    # The cells leave room for the counts by state when the pane is wide enough for them.
    room = max(4, width - len(head) - len(" · ".join(["", *words])))
    if len(cells) > room:
        shown = max(1, room - len(f" +{total:,} more"))
        cells = cells[:shown] + f" +{total - shown:,} more"
    return fitting(head + cells, words, width)


def _sync(
    snapshot: Mapping[str, Any], scenario: Any, follower: RunFollower, items: Any, width: int, compact: bool
) -> list[str]:
    sync = snapshot["sync"]
    lines = ["callers ─▶ Lambda Invoke ─▶ environments ─▶ answers"]
    lines.append(stage_row(sync["callers_waiting"], "waiting", GLYPH["waiting"], width))
    if scenario.sync.client_retries:
        lines.append(stage_row(sync["callers_backing_off"], "backing off", GLYPH["backing off"], width))
        if not compact:
            detail(lines, follower.named("backing off", sync["callers_backing_off"]), width)
    responses = sync["responses"]
    answers = " · ".join(f"{status}: {responses.get(str(status), 0):,}" for status in (200, 429, 504))
    give_up = f"callers give up after {scenario.sync.client_timeout_s:g} s"
    if compact:
        lines.append(fitting(f"answers  {answers}", [give_up], width))
        return lines
    lines.append(f"answers  {answers}")
    detail(lines, list(reversed(follower.answers))[:NAMED], width, indent="  latest: ")
    lines.append(give_up)
    return lines


def _async(
    snapshot: Mapping[str, Any], scenario: Any, follower: RunFollower, items: Any, width: int, compact: bool
) -> list[str]:
    state, counters = snapshot["async"], snapshot["counters"]
    retry, throttled = state["waiting_retry"], state["waiting_backoff"]
    queued = state["queue_depth"] - retry - throttled
    sent = counters["items"]
    title, sent_parts = (
        "producer ─202─▶ event queue ─▶ function ─▶ destinations",
        [f"{sent:,} sent", f"{sent:,} × 202"],
    )
    # A short pane's title stays on one line: the counts go first when they do not fit.
    lines = [fitting(title, sent_parts, width) if compact else " · ".join([title, *sent_parts])]
    lines.append(stage_row(queued, "queued", GLYPH["queued"], width))
    lines.append(stage_row(retry, "to retry", GLYPH["to retry"], width))
    if not compact:
        detail(lines, follower.named("to retry", retry), width)
    lines.append(stage_row(throttled, "throttled", GLYPH["throttled"], width))
    if not compact:
        detail(lines, follower.named("throttled", throttled), width)
    lines.append(stage_row(state["in_flight"], "running", GLYPH["running"], width))
    settings = scenario.async_
    destinations = counters["destinations"]
    targets = [
        ("on success", settings.on_success, "on_success"),
        ("on failure", settings.on_failure, "on_failure"),
        ("DLQ", settings.dead_letter_queue, "dlq"),
    ]
    parts = [
        f"{label} ({kind}): {destinations.get(key, 0)}" for label, kind, key in targets if kind != "none"
    ]
    parts.append(f"dropped: {counters['dropped']}")
    if compact:
        lines.append(fitting("then ▶ " + parts[0], parts[1:], width))
        return lines
    lines.append("then ▶ " + " · ".join(parts))
    detail(lines, list(reversed(follower.given_up))[:2], width, indent="  ")
    return lines


def _sqs(
    snapshot: Mapping[str, Any], scenario: Any, follower: RunFollower, items: Any, width: int, compact: bool
) -> list[str]:
    state = snapshot["sqs"]
    settings = scenario.sqs
    title = "FIFO queue" if settings.fifo else "queue"
    lines = [f"{title} ─▶ pollers ─▶ function ─▶ deleted, or the DLQ"]
    lines.append(stage_row(state["visible"], "visible", GLYPH["visible"], width))
    if compact:
        lines.append(stage_row(items.get("in_batches", 0), "in batches", GLYPH["in batches"], width))
        lines.append(stage_row(items.get("returning", 0), "returning", GLYPH["returning"], width))
        parts = [f"pollers: {state['pollers']} active, batch ≤{settings.batch_size}"]
        if state["batches_backing_off"]:
            parts.append(f"{state['batches_backing_off']} batches backing off")
        if settings.max_receive_count is None:
            parts.append("no DLQ")
        else:
            lines.append(stage_row(state["dlq"], "in DLQ", GLYPH["in DLQ"], width))
            parts.append(f"DLQ after {settings.max_receive_count} receives")
        lines.append(fitting(f"deleted: {state['deleted']:,}", parts, width))
        return lines
    detail(lines, [item for item in items.get("visible", ())[:NAMED]], width)
    lines.append(stage_row(items.get("in_batches", 0), "in batches", GLYPH["in batches"], width))
    for batch in items.get("batches", ())[:NAMED]:
        what = {"receiving": "gathering", "invoking": "invoking", "backing_off": "throttled, backing off"}
        names = _span(batch["items"]) + (
            f" +{batch['count'] - len(batch['items'])}" if batch["count"] > len(batch["items"]) else ""
        )
        lines.append(
            f"       p{batch['poller']} {what.get(batch['state'], batch['state'])} {names} "
            f"· visible again at {clock_text(batch['deadline'])}"[:width]
        )
    returning = items.get("returning", 0)
    lines.append(stage_row(returning, "returning", GLYPH["returning"], width))
    detail(lines, follower.named("returning", returning), width)
    if settings.max_receive_count is None:
        lines.append(f"no DLQ (no redrive policy) · deleted: {state['deleted']:,}")
    else:
        lines.append(stage_row(state["dlq"], "in DLQ", GLYPH["in DLQ"], width))
        detail(lines, [word.removeprefix("▣ ") for word in reversed(follower.given_up)][:2], width)
        lines.append(
            f"deleted: {state['deleted']:,} · DLQ after {settings.max_receive_count} receives: {state['dlq']}"
        )
    pollers = f"pollers: {state['pollers']} active · batch ≤{settings.batch_size}"
    if state["batches_backing_off"]:
        pollers += f" · batches throttled, backing off: {state['batches_backing_off']}"
    lines.append(pollers)
    return lines


MAX_SHARDS_SHOWN = 6
COMPACT_SHARDS = 3


def _streams(
    snapshot: Mapping[str, Any], scenario: Any, follower: RunFollower, items: Any, width: int, compact: bool
) -> list[str]:
    shards = snapshot["streams"]["shards"]
    listed = {entry["shard"]: entry["records"] for entry in items.get("shards", ())}
    shown = COMPACT_SHARDS if compact else MAX_SHARDS_SHOWN
    lines = ["shards (records in order: ✓ done ■ in a batch ▪ waiting) ─▶ function ─▶ checkpoint"]
    for shard in shards[:shown]:
        after = shard["records"] - shard["checkpoint"]
        glyphs = "".join(RECORD_GLYPH[mark] for _, mark in listed.get(shard["shard"], ()))
        glyphs += RECORD_GLYPH["waiting"] * max(0, after - len(glyphs))
        lines.append(stage_row(after, f"shard {shard['shard']}", "▪", width, glyphs=glyphs))
        if compact:
            continue
        state = "✗ blocked (a failed batch waits)" if shard["blocked"] else "✓ moving"
        lines.append(
            f"       checkpoint ▲ {shard['checkpoint']:,} of {shard['records']:,} done · "
            f"{shard['busy_slots']} of {shard['slots']} batches · iterator age "
            f"{shard['iterator_age_s']:.1f} s · {state}"
        )
    hidden = shards[shown:]
    if hidden:
        blocked = sum(1 for shard in hidden if shard["blocked"])
        lines.append(f"+ {len(hidden)} more shards ({blocked} blocked)")
    if not compact:
        detail(lines, follower.named("blocked", NAMED), width)
    counters = snapshot["counters"]
    target = scenario.kinesis.on_failure
    failed_to = (
        f"on failure ({target}): {counters['destinations'].get('on_failure', 0)}"
        if target != "none"
        else "no on-failure destination"
    )
    if compact:
        # The checkpoint lines are gone: which shards wait behind a failed batch is said here.
        blocked_shards = [f"shard {shard['shard']}" for shard in shards[:shown] if shard["blocked"]]
        moving = f"✗ blocked: {', '.join(blocked_shards)}" if blocked_shards else "✓ all moving"
        lines.append(fitting(moving, [failed_to, f"dropped: {counters['dropped']}"], width))
        return lines
    lines.append(f"{failed_to} · dropped: {counters['dropped']}")
    return lines


# -- the downstream ----------------------------------------------------------------------------

DOWNSTREAM_NAMES = {
    "dynamodb": "DynamoDB table",
    "rate_limited": "rate-limited API",
    "connection_limited": "database",
}
SHORT_NAMES = {"dynamodb": "table", "rate_limited": "API", "connection_limited": "database"}


def _amount(value: float) -> str:
    """A count without a pointless .0; a fraction to three significant figures."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if value >= 1 else f"{value:.3g}"


def capacity_words(state: Mapping[str, Any]) -> list[str]:
    """What the downstream takes and what it used: '10 WCU/s provisioned', '3 WCU used this second'."""
    kind = state["kind"]
    if kind == "connection_limited":
        return [f"{state['connections_in_use']:,} of {state['connections']:,} connections in use"]
    used = f"{_amount(round(state['used_this_s'], 1))} used this second"
    if kind == "rate_limited":
        return [f"{_amount(state['capacity_per_s'])} requests/s", used]
    capacity = _amount(state["capacity_per_s"])
    if state["capacity_mode"] == "provisioned":
        burst = state["burst_s"]
        words = [f"provisioned {capacity} WCU/s", f"burst {burst} s" if burst else "no burst"]
    else:
        words = [f"on-demand {capacity} WCU/s at once (twice the previous peak)"]
    return [*words, f"{_amount(round(state['used_this_s'], 1))} WCU used this second"]


def sdk_words(state: Mapping[str, Any]) -> list[str]:
    """'✗ 34 throttled writes', '↻ 20 SDK retries', '3 invocations failed (SDK gave up)'."""
    words = [
        f"✗ {state['throttled_writes']:,} throttled writes",
        f"↻ {state['sdk_retries']:,} SDK retries",
    ]
    if state["failed_invocations"]:
        words.append(f"{state['failed_invocations']:,} invocations failed (SDK gave up)")
    return words


def downstream_lines(state: Mapping[str, Any], width: int, *, compact: bool = False) -> list[str]:
    """The stage after the function: what it is, its capacity and use, the writes of this
    second (a glyph each, so items arrive and leave as time goes), the items whose write waits
    for an SDK retry, then the throttled writes and SDK retries so far. One line when `compact`."""
    name = DOWNSTREAM_NAMES[state["kind"]]
    if compact:
        # What goes wrong first; the rest of the capacity's words after, as far as they fit.
        capacity = capacity_words(state)
        short = capacity[0].removeprefix("provisioned ").split(" (")[0]
        head = f"▶ {SHORT_NAMES[state['kind']]} {short}"
        parts = [*sdk_words(state)[:2], f"↻ {state['sdk_waiting']:,} waiting", *capacity[1:]]
        return [fitting(head, parts, width)]
    lines = [" · ".join([f"function ─▶ {name}", *capacity_words(state)])]
    lines.append(stage_row(state["written_this_s"], "written", GLYPH["written"], width))
    waiting = state["sdk_waiting"]
    lines.append(stage_row(waiting, "SDK backoff", GLYPH["SDK backoff"], width))
    detail(
        lines,
        [
            f"{item} ↻ {clock_text(retry_at)} (attempt {attempt} of {attempts})"
            for item, retry_at, attempt, attempts in state["waiting"][: min(NAMED, waiting)]
        ],
        width,
    )
    lines.append(" · ".join([*sdk_words(state), f"{state['writes']:,} writes"]))
    return lines


def billed_line(billed: Mapping[str, Any], width: int) -> str:
    """The running meter: what AWS bills for so far, in units; a cost only at the learner's prices.
    On one line: the units that fit, in this order."""
    parts = [f"{_amount(billed['gb_seconds'])} GB-s"]
    if "sqs_requests_by_action" in billed:
        parts.append(f"{billed['sqs_requests']:,} SQS requests")
    if billed["write_units"] or "write_capacity_unit_hours" in billed:
        parts.append(f"{_amount(billed['write_units'])} write units")
    cost = billed.get("cost")
    if cost:
        parts.append(f"cost at your prices {cost['total']:.6g}")
    parts.append(f"memory {billed['memory_mb']:,} MB")
    if "write_capacity_unit_hours" in billed:
        parts.append(f"{_amount(billed['write_capacity_unit_hours'])} WCU-hours provisioned")
    return fitting(f"billed: {billed['requests']:,} requests", parts, width)


# A short pane's titles when the full one would wrap.
SHORT_TITLES = {
    "sync": "callers ─▶ Invoke ─▶ environments",
    "async": "producer ─202─▶ event queue ─▶ function",
    "sqs": "queue ─▶ pollers ─▶ function ─▶ DLQ",
    "kinesis": "shards ─▶ function ─▶ checkpoint",
    "dynamodb": "shards ─▶ function ─▶ checkpoint",
}
FLOWS = {"sync": _sync, "async": _async, "sqs": _sqs, "kinesis": _streams, "dynamodb": _streams}


def flow_lines(
    snapshot: Mapping[str, Any],
    scenario: Any,
    follower: RunFollower,
    items: Mapping[str, Any],
    width: int,
    *,
    compact: bool = False,
) -> list[str]:
    """The model's stages with their items, the environments, the latest moves.

    `compact` (a short pane) keeps a glyph row per stage but names no items, draws the
    environments on one line and leaves out the concurrency note and the latest moves, so the
    counters and the log still fit below: at most seven lines."""
    width = max(width, 30)
    lines = FLOWS[snapshot["model"]](snapshot, scenario, follower, items, width, compact)
    function = snapshot["function"]
    if compact:
        if len(lines[0]) > width:
            lines[0] = SHORT_TITLES[snapshot["model"]]
        lines.append(environment_line(function, snapshot["counters"], width))
        if "downstream" in snapshot:
            lines += downstream_lines(snapshot["downstream"], width, compact=True)
        # A line wrapped would take a row the counters need: cut instead.
        return [line[:width] for line in lines]
    lines += environment_lines(function, snapshot["counters"], follower, width)
    lines.append(concurrency_note(function))
    if "downstream" in snapshot:
        lines += downstream_lines(snapshot["downstream"], width)
    if follower.moves:
        detail(lines, list(reversed(follower.moves))[:3], width, indent="latest: ")
    return lines


def compact_lines(snapshot: Mapping[str, Any], width: int) -> list[str]:
    """A few short lines per model for the lab's three-column summary: stages, environments,
    outcome, and the downstream's writes when the run has one."""
    model = snapshot["model"]
    counters, function = snapshot["counters"], snapshot["function"]
    room = max(4, width - 14)

    def row(count: int, word: str, glyph: str) -> str:
        drawn = glyph * min(count, room)
        more = f"+{count - len(drawn)}" if count > len(drawn) else ""
        return f"{count:>4,} {word:<8} {drawn}{more}"[:width]

    if model == "sync":
        state = snapshot["sync"]
        responses = state["responses"]
        rows = [
            row(state["callers_waiting"], "waiting", GLYPH["waiting"]),
            "  " + " ".join(f"{status}: {responses.get(status, 0):,}" for status in ("200", "429", "504")),
        ]
    elif model == "async":
        state = snapshot["async"]
        retry, throttled = state["waiting_retry"], state["waiting_backoff"]
        rows = [
            row(state["queue_depth"] - retry - throttled, "queued", GLYPH["queued"]),
            row(retry, "to retry", GLYPH["to retry"]),
            row(throttled, "throttled", GLYPH["throttled"]),
        ]
    elif model == "sqs":
        state = snapshot["sqs"]
        rows = [
            row(state["visible"], "visible", GLYPH["visible"]),
            row(state["in_flight"], "in flight", GLYPH["in batches"]),
            row(state["dlq"], "in DLQ", GLYPH["in DLQ"]),
        ]
    else:
        shards = snapshot["streams"]["shards"]
        rows = [row(s["records"] - s["checkpoint"], f"shard {s['shard']}", "▪") for s in shards[:3]]
    starting = function["initializing"]
    cells = "■" * (function["busy"] - starting) + "▤" * starting + "□" * function["idle"]
    more = f"+{len(cells) - room}" if len(cells) > room else ""
    rows.append(f"{len(cells):>4,} {'envs':<8} {cells[:room]}{more}"[:width])
    outcome = f"  ✓ {counters['succeeded']:,} ✗ {counters['failed']:,} failed"
    rows.append(f"{outcome} · {counters['throttles']:,} throttled"[:width])
    downstream = snapshot.get("downstream")
    if downstream is not None:
        rows.append(row(downstream["written_this_s"], "writes/s", GLYPH["written"]))
        rows.append(("  " + " ".join(sdk_words(downstream)[:2]))[:width])
    return rows

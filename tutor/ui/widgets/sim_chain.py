"""A chain of functions, live: the stages in order with the hop between them, each stage's flow
and counters, the items handed on across each hop and the end-to-end counters, on one clock.

`ChainPane` is what a lesson (or `simulate CHAIN --watch`) shows for a chain preset. To the
lesson screen it is a `SimPane` (its keys play, pause and step it; its prediction waits on it),
but it draws the chain: every stage is an ordinary `SimRun` (`tutor.sim.chain_player`), drawn
with the single pane's flow and counter lines, and one `Player` plays them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from tutor.errors import UserError
from tutor.sim import report
from tutor.sim.chain_player import HOP_NAMES, ChainRun
from tutor.sim.player import Player
from tutor.ui.widgets.sim_diagram import counter_lines
from tutor.ui.widgets.sim_flow import (
    DOWNSTREAM_NAMES,
    GLYPH,
    RunFollower,
    compact_lines,
    fitting,
    flow_lines,
)
from tutor.ui.widgets.sim_log import (
    LOG_LINES,
    EventLog,
    batch_entries,
    log_text,
    new_events,
    new_retries,
    retries_logged,
)
from tutor.ui.widgets.sim_pane import (
    LOG_EVERY,
    START_HINT,
    Composed,
    SimControls,
    SimPane,
    TryStepList,
    field_text,
    fit_lines,
    form_order,
    overrides_text,
    param_words,
)
from tutor.ui.widgets.sim_text import TextBlock

if TYPE_CHECKING:
    from tutor.content.course import TryStep
    from tutor.sim.chain import Chain, Stage
    from tutor.sim.params import Param

# Below this height a view draws each stage in the lab's few lines, so the hop and the end to
# end stay in sight with the log under them (a full-height lesson pane at 80x24 has 18 rows).
COMPACT_BELOW = 30
MODEL_WORDS = {
    "sync": "synchronous invoke",
    "async": "asynchronous invoke",
    "sqs": "SQS event source mapping",
    "kinesis": "Kinesis event source mapping",
    "dynamodb": "DynamoDB Streams event source mapping",
}


def chain_heading(chain_run: ChainRun) -> str:
    """'A (sync) ─▶ SQS queue ─▶ B (sqs) ─▶ DynamoDB table': the stages in order and their hops."""
    parts = []
    for stage in chain_run.chain.stages:
        if stage.via is not None:
            parts.append(HOP_NAMES[stage.via])
        parts.append(f"{stage.name} ({stage.scenario.model})")
    downstream = chain_run.chain.stages[-1].scenario.downstream
    if downstream is not None and downstream.kind in DOWNSTREAM_NAMES:
        parts.append(DOWNSTREAM_NAMES[downstream.kind])
    return " ─▶ ".join(parts)


def end_to_end_lines(state: Mapping[str, Any], entered: int, stages: Sequence[str], width: int) -> list[str]:
    """'end to end: ✓ 40 of 60 delivered · 12 on the way' and the latency percentiles so far; at
    the end, 'lost' (failed, dropped or unfinished somewhere) instead of what is on the way."""
    items, delivered = state["items"], state["delivered"]
    head = f"end to end: ✓ {delivered:,} of {items:,} delivered"
    if "lost" in state:
        rest = [f"{state['lost']:,} lost"]
    else:
        rest = [f"{entered - delivered:,} on the way", f"{items - entered:,} not arrived yet"]
    latency = dict(report.latency_row(state))
    percentiles = " · ".join(f"{key} {latency[key]}" for key in ("p50", "p95", "p99", "max"))
    latency_head = f"  latency ({stages[0]}'s arrival to {stages[-1]}'s success)"
    if len(latency_head) + 2 + len(percentiles) <= width:
        return [fitting(head, rest, width), f"{latency_head}  {percentiles}"]
    # Narrower: the percentiles on a line of their own, so no number is cut from its unit.
    return [fitting(head, rest, width), latency_head, f"    {percentiles}"]


def hop_lines(chain_run: ChainRun, index: int, t: float, width: int, *, compact: bool) -> list[str]:
    """What crossed the hop after stage `index` by `t`: the count, those of the last second (a
    glyph each, so items are seen crossing), and the latest hand-offs by name."""
    stage = chain_run.chain.stages[index + 1]
    handed = chain_run.handed_on(index, t)
    recent = handed - chain_run.handed_on(index, t - 1.0)
    hop = HOP_NAMES[stage.via or "sqs"]
    head = f"  ▼ {handed:,} handed on ─▶ {hop} ─▶ {stage.name}"
    latest = [f"{h.sent} ▶ {h.received}" for h in chain_run.latest_handoffs(index, t)]
    if compact:
        return [fitting(head, latest[:1], width)]
    glyphs = GLYPH["queued"] * min(recent, max(1, width - 40))
    lines = [head + (f" · {recent:,} in the last second {glyphs}" if recent else "")]
    if latest:
        lines.append(fitting("    latest:", latest, width).replace(": · ", ": "))
    return lines


def stage_lines(
    chain_run: ChainRun,
    index: int,
    snapshot: Mapping[str, Any],
    follower: RunFollower,
    items: Mapping[str, Any],
    width: int,
    *,
    compact: bool,
) -> list[str]:
    """A stage's head line, its flow (the single pane's, or the lab's few lines when compact)
    and its counters."""
    stage = chain_run.chain.stages[index]
    model = stage.scenario.model
    head = f"▌{stage.name} · {MODEL_WORDS.get(model, model)}"
    if compact:
        return [head, *compact_lines(snapshot, width)]
    run = chain_run.runs[index]
    flow = flow_lines(snapshot, run.scenario, follower, items, width, compact=True)
    return [head, *flow, *counter_lines(snapshot)[:1]]


def chain_lines(
    chain_run: ChainRun,
    followers: Sequence[RunFollower],
    t: float,
    finished: bool,
    width: int,
    *,
    compact: bool,
) -> tuple[list[str], list[str], list[str]]:
    """The chain at time `t`, as (heading, end to end, stages with their hops) lines: what the
    view shows, and what a test reads without a screen."""
    snapshots = [run.snapshot() for run in chain_run.runs]
    names = [stage.name for stage in chain_run.chain.stages]
    state = chain_run.end_to_end.state(t, finished)
    end_to_end = end_to_end_lines(state, snapshots[0]["counters"]["items"], names, width)
    lines: list[str] = []
    last = len(chain_run.runs) - 1
    for index, (run, snapshot, follower) in enumerate(zip(chain_run.runs, snapshots, followers, strict=True)):
        follower.update()
        items = run.sim.stage_items()
        lines += stage_lines(chain_run, index, snapshot, follower, items, width, compact=compact)
        if index < last:
            lines += hop_lines(chain_run, index, t, width, compact=compact)
    return [chain_heading(chain_run)], end_to_end, lines


def chain_log_line(stage: str, event: Mapping[str, Any]) -> str:
    """A log line named by its stage: '    0.350  A req-1 ends ok ...'."""
    return log_text(event["t"], report.describe_event(event), stage)


class ChainView(Composed, Vertical):
    """What the chain looks like at the player's time. Widgets are written only when their text
    changes (`TextBlock`); the log gets merged batches of every stage's events, each named by stage."""

    DEFAULT_CSS = """
    ChainView {
        height: 1fr;
    }
    ChainView .sim-body {
        max-height: 75%;
    }
    ChainView .chain-block {
        height: auto;
    }
    """

    def __init__(
        self, chain_run: ChainRun, player: Player, caption: str = "", start_hint: str = START_HINT, **kwargs
    ):
        super().__init__(**kwargs)
        self.player = player
        self.caption = caption
        self.start_hint = start_hint
        self._live_ticks = 0
        self.bind(chain_run)

    def bind(self, chain_run: ChainRun) -> None:
        """Show this chain (a new one after a try step); its followers subscribe before it runs."""
        self.chain_run = chain_run
        self.followers = [RunFollower.of(run) for run in chain_run.runs]
        # Per stage: (the run's generation, its events logged, its SDK retries logged).
        self._log_state: list[tuple[int, int, int]] = [(-1, 0, 0)] * len(chain_run.runs)
        if self.composed:
            self.query_one(".sim-log", EventLog).clear()

    def compose(self) -> ComposeResult:
        if self.caption:
            yield Static(self.caption, classes="sim-caption", markup=False)
        with VerticalScroll(classes="sim-body", can_focus=False):
            yield TextBlock(classes="chain-block chain-heading")
            yield TextBlock(classes="chain-block chain-end-to-end")
            yield TextBlock(classes="chain-block chain-stages")
        yield EventLog(max_lines=LOG_LINES, placeholder=self.start_hint, classes="sim-log")

    def on_mount(self) -> None:
        self.show()

    def on_resize(self) -> None:
        self.show()

    def set_caption(self, caption: str) -> None:
        if caption != self.caption and self.caption:
            self.caption = caption
            self.query_one(".sim-caption", Static).update(caption)

    def _width(self) -> int:
        width = self.content_size.width
        return width - 1 if width > 0 else 48

    def _write(self, selector: str, lines: Sequence[str], width: int) -> None:
        self.query_one(selector, TextBlock).set_lines(fit_lines(lines, width))

    def show(self, *, live: bool = False) -> None:
        if not self.composed:
            return
        width = self._width()
        compact = 0 < self.size.height < COMPACT_BELOW
        player = self.player
        heading, end_to_end, stages = chain_lines(
            self.chain_run, self.followers, player.time, player.finished, width, compact=compact
        )
        self._write(".chain-heading", heading, width)
        self._write(".chain-end-to-end", end_to_end, width)
        self._write(".chain-stages", stages, width)
        # As in the single pane: while playing, the log takes a batch every other frame.
        self._live_ticks = self._live_ticks + 1 if live else 0
        if self._live_ticks % LOG_EVERY == 0:
            self._write_log()

    def _write_log(self) -> None:
        log = self.query_one(".sim-log", EventLog)
        runs = self.chain_run.runs
        if any(run.generation != seen for run, (seen, _, _) in zip(runs, self._log_state, strict=True)):
            log.clear()
            self._log_state = [(run.generation, 0, 0) for run in runs]
        timed: list[tuple[float, int, str]] = []
        for index, (run, (_, events_seen, retries_seen)) in enumerate(
            zip(runs, self._log_state, strict=True)
        ):
            # Each stage's batch as the single pane words it (throttled writes and SDK retries
            # of a stage with a table summed alike), its lines named by the stage.
            events = new_events(run, events_seen)
            retries = new_retries(run, retries_seen)
            name = self.chain_run.chain.stages[index].name
            timed.extend((t, index, line) for t, line in batch_entries(events, retries, label=name))
        self._log_state = [(run.generation, run.event_count, retries_logged(run)) for run in runs]
        if timed:
            # Stable: each stage's lines keep their order; at one instant the earlier stage reads first.
            timed.sort(key=lambda entry: entry[:2])
            log.write_lines([line for _, _, line in timed])


# What the chain's Parameters tab says it is: what the single pane's form would take is read here.
CHAIN_PARAMS_INTRO = (
    "Each stage's parameters as this run uses them (read-only): ◆ marks a value the chain sets, "
    "the rest are defaults. A lesson's Try this steps change them, as does "
    "`simulate CHAIN --set STAGE.key=VALUE` (e.g. B.sqs.batch_size=5). Names are AWS's; ranges "
    "are AWS's unless marked as the simulator's."
)
# Set once for the whole chain, not per stage.
CHAIN_WIDE_KEYS = ("seed", "until_s")


def set_in(data: Mapping[str, Any], key: str) -> bool:
    """Whether the dotted `key` is written in a stage's data."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def stage_params(stage: Stage, *, first: bool) -> list[tuple[Param, str, bool]]:
    """(param, value as the form shows it, set by the chain) of a stage, in the single form's
    order; not the chain-wide keys, nor a later stage's load (its arrivals are the hop's)."""
    rows = []
    for param in form_order(stage.scenario.model):
        if param.key in CHAIN_WIDE_KEYS or (not first and param.key.startswith("load.")):
            continue
        value = field_text(param, stage.scenario.value(param.key))
        rows.append((param, value, set_in(stage.data, param.key)))
    return rows


class ChainParams(VerticalScroll):
    """The chain's Parameters tab: every stage's values, read-only (see `CHAIN_PARAMS_INTRO`), in
    the single pane's form rows (AWS's name, key, range and meaning, then the value)."""

    DEFAULT_CSS = """
    ChainParams .chain-params-stage {
        text-style: bold;
        margin-bottom: 1;
    }
    """

    def __init__(self, chain: Chain, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chain = chain

    def compose(self) -> ComposeResult:
        yield Static(CHAIN_PARAMS_INTRO, classes="param-intro", markup=False)

    @property
    def built(self) -> bool:
        return bool(self.query(".chain-params-part"))

    async def build(self) -> None:
        """Mount the rows (when the tab is first opened: a hidden tab costs nothing)."""
        if not self.built:
            await self.mount_all(list(self._parts()))

    def _parts(self):
        def row(param: Param, value: str, chain_sets: bool) -> Widget:
            words = Static(param_words(param), classes="param-words")
            shown = Static(f"{'◆' if chain_sets else ' '} {value}", classes="param-field", markup=False)
            return Horizontal(words, shown, classes="param-row chain-params-part")

        def heading(text: str) -> Widget:
            return Static(text, classes="chain-params-stage chain-params-part", markup=False)

        chain = self.chain
        yield heading("The whole chain")
        for param in form_order(chain.stages[0].scenario.model):
            if param.key in CHAIN_WIDE_KEYS:
                yield row(param, field_text(param, getattr(chain, param.key)), False)
        for index, stage in enumerate(chain.stages):
            via = f", fed by the {HOP_NAMES[stage.via]}" if stage.via else ""
            model = stage.scenario.model
            yield heading(f"▌{stage.name} · {MODEL_WORDS.get(model, model)}{via}")
            for param, value, chain_sets in stage_params(stage, first=index == 0):
                yield row(param, value, chain_sets)

    def show_chain(self, chain: Chain) -> None:
        """Another chain (a try step) runs now: show its values."""
        self.chain = chain
        if self.built:
            self.call_later(self._rebuild)

    async def _rebuild(self) -> None:
        await self.query(".chain-params-part").remove()
        await self.mount_all(list(self._parts()))


class ChainPane(SimPane):
    """A chain, live: the control bar, the chain's view, the lesson's try steps, the description.

    It takes the single pane's keys, timer and player actions (`PlayerHost`, through `SimPane`),
    so the lesson screen plays, pauses and steps it as it does any pane. Its Parameters tab shows
    every stage's values without editing them (a try step sets any stage's keys, as `STAGE.key`)."""

    def __init__(
        self,
        chain: Chain,
        source: str | Path | Mapping[str, Any],
        *,
        title: str = "",
        try_steps: Sequence[TryStep] = (),
        speed: float | None = None,
        start_hint: str = START_HINT,
        about: str = "",
        note: str = "",
        **kwargs,
    ) -> None:
        """`source`: the preset, file or data the chain came from (a try step loads it again)."""
        # Not SimPane's own set-up, which builds one run of one scenario: only the widget's.
        super(SimPane, self).__init__(**kwargs)
        self.source = source
        self.start_hint = start_hint
        self.about = " ".join(about.split())
        self.title = title or chain.title or chain.models
        self.try_steps = list(try_steps)
        self.note = note
        self.chain_run = ChainRun(chain)
        # The lesson screen shows its prediction's outcome when `run` (the last stage) ends on
        # the lesson's own chain, which `base_scenario` tells from a try step's.
        self.run = self.chain_run.runs[-1]
        self.base_scenario = self.run.scenario
        self.player = Player(self.chain_run.runs, speed=speed)

    def compose(self) -> ComposeResult:
        yield SimControls(self.player, classes="sim-controls")
        with TabbedContent(classes="sim-tabs"):
            with TabPane("Live", id="sim-live"):
                yield ChainView(
                    self.chain_run,
                    self.player,
                    caption=self.title,
                    start_hint=self.start_hint,
                    classes="chain-view",
                )
            if self.try_steps:
                with TabPane("Try this", id="sim-try"):
                    yield TryStepList(self.try_steps, classes="try-list")
            with TabPane("Parameters", id="sim-params"):
                yield ChainParams(self.chain_run.chain, classes="param-form chain-params")
            if self.about:
                with TabPane("About", id="sim-about"), VerticalScroll(classes="about-text", can_focus=False):
                    yield Static(self.about, markup=False)

    @property
    def view(self) -> ChainView:  # type: ignore[override]  # the chain's view stands for SimView
        return self.query_one(ChainView)

    def repaint(self, live: bool = False) -> None:
        if not self.composed:
            return
        self.query_one(SimControls).show(self._end_note())
        view = self.view
        view.set_caption(f"{self.title}\n{self.note}" if self.note else self.title)
        view.show(live=live)

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "sim-params":
            await self.query_one(ChainParams).build()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The single pane's form keys: this pane's parameters are read-only.
        if action in ("restore", "leave_form"):
            return False
        return super().check_action(action, parameters)

    def _end_note(self) -> str:
        if not self.player.finished:
            return ""
        runs = self.chain_run.runs
        drained = all(run.sim.end_reason == "drained" for run in runs)
        return "chain ended: " + ("all work done" if drained else "reached until_s with work left")

    def action_try_step(self, number: int) -> None:
        """Run the chain again with a try step's keys (0: the chain as the lesson set it)."""
        from tutor.sim.chain import load_chain

        changes: Mapping[str, Any] = {}
        if number:
            if not 1 <= number <= len(self.try_steps):
                return
            changes = self.try_steps[number - 1].set
        try:
            chain = load_chain(self.source, overrides=changes)
        except UserError as refusal:
            self.notify(str(refusal), title=f"Try {number} cannot run", severity="error")
            return
        self.player.pause()
        self.chain_run = ChainRun(chain) if number else self._base_chain_run(chain)
        self.player.runs = self.chain_run.runs
        self.run = self.chain_run.runs[-1]
        self.player.time = 0.0
        self.view.bind(self.chain_run)
        self.query_one(ChainParams).show_chain(chain)
        self.note = f"try {number}: {overrides_text(changes)}" if number else "the lesson's chain"
        self.query_one(TabbedContent).active = "sim-live"
        self.player.play()
        self.player_changed()

    def _base_chain_run(self, chain: Chain) -> ChainRun:
        """The lesson's own chain again, whose last stage is the one its prediction waits on."""
        chain_run = ChainRun(chain)
        self.base_scenario = chain_run.runs[-1].scenario
        return chain_run


def chain_pane_or_problem(
    source: str | Path | Mapping[str, Any], name: str, *, lesson_hint: str | None = None, **kwargs: Any
) -> Widget:
    """A `ChainPane` for a chain preset, file or loaded chain's data, or the one line saying why
    it cannot run. `lesson_hint` (a lesson's pane): paced like a lesson's single pane, so the
    first notable event of any stage comes a few seconds after w, with that hint in the empty log."""
    from tutor.sim.chain import load_chain

    try:
        chain = load_chain(source)
    except UserError as problem:
        return Static(f"✗ The chain {name!r} cannot run: {problem}", classes="slot-problem", markup=False)
    title = f"{name}: {chain.title or chain.models}"
    if lesson_hint is None:
        return ChainPane(chain, source, title=title, **kwargs)
    from tutor.sim.player import lesson_speed, pace_note

    pane = ChainPane(chain, source, title=title, start_hint=lesson_hint, **kwargs)
    first_notable = pane.chain_run.first_notable
    speed = lesson_speed(pane.chain_run.end_s, first_notable[0] if first_notable else None)
    pane.player.speed = speed
    pane.note = pace_note(first_notable, speed)
    return pane

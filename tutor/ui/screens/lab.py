"""The lab: the three invocation models side by side on one load, with faults injected into all three.

The three scenarios share their load (count, rate, pattern), seed and function, so the only
difference is how the function is invoked. One `Player` keeps them on one simulated clock; the
fault keys call `Simulation.intervene` on every run at the same simulated moment. From 150 columns
the models stand side by side; narrower, one at a time in tabs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Tab, TabbedContent, TabPane

from tutor.sim.plain import PlainScenario, plain_scenario
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place
from tutor.ui.widgets.sim_flow import compact_lines
from tutor.ui.widgets.sim_pane import (
    PLAYER_ACTIONS,
    PLAYER_BINDINGS,
    Composed,
    PlayerHost,
    SimControls,
    SimView,
)
from tutor.sim.player import Player, SimRun, clock_text
from tutor.ui.widgets.sim_text import TextBlock

WIDE_FROM = 150
LAB_SPEED = 10.0
LAB_SEED = 1
LAB_UNTIL_S = 1800
# Two items a second for ten minutes, each taking the function a second: about two executions
# busy at once, so reserved concurrency 1 is a real squeeze in every model.
LAB_LOAD = {"count": 1200, "rate_per_s": 2, "pattern": "uniform"}
LAB_FUNCTION = {"duration_ms": 1000, "timeout_s": 3, "cold_start_ms": 300}
LAB_MODELS: dict[str, dict[str, Any]] = {
    # The callers invoke Lambda directly; 29 s is API Gateway REST's default integration timeout.
    "sync": {"title": "Synchronous: callers -> Lambda", "sync": {"client_timeout_s": 29}},
    "async": {"title": "Asynchronous: S3 event -> Lambda", "async": {"on_failure": "sqs"}},
    # maxReceiveCount 5: the least AWS advises for a redrive policy.
    "sqs": {
        "title": "Poll-based: SQS -> Lambda",
        "sqs": {"batch_size": 10, "visibility_timeout_s": 30, "max_receive_count": 5},
    },
}
TAB_TITLES = {"sync": "1 Synchronous", "async": "2 Asynchronous", "sqs": "3 Poll-based (SQS)"}

# What to watch in each model, with no fault and under each fault. Behind API Gateway the client
# would see 502 for a function error and 500 for a refused (429) invoke:
# https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
CAPTIONS: dict[str, dict[str | None, str]] = {
    "sync": {
        None: "Each caller waits for its own answer; Lambda never retries, the caller decides.",
        "errors": "Every answer is 200 with a function error (behind API Gateway's proxy integration, "
        "a 502); nobody retries.",
        "throttle": "One execution at a time: a caller who finds it busy gets 429 at once (behind API "
        "Gateway, a 500).",
        "poison": "The poisoned request answers 200 with a function error, once; the rest go on.",
    },
    "async": {
        None: "Each event gets 202 at once; the function runs it later from the event queue.",
        "errors": "Failed events wait 1 min, then 2 min, for two retries, then go to the on-failure "
        "destination.",
        "throttle": "Throttled events wait on the queue, backing off from 1 s up to 5 min; throttles "
        "use up no retries.",
        "poison": "The poisoned event is tried 3 times (retries after 1 and 2 min), then goes to on-failure.",
    },
    "sqs": {
        None: "Pollers take batches from the queue; a batch that succeeds is deleted.",
        "errors": "A failed batch comes back after its 30 s visibility timeout; after 5 receives, a "
        "message goes to the DLQ.",
        "throttle": "Throttled batches back off while their visibility timeout runs: receive counts "
        "rise and messages reach the DLQ.",
        "poison": "The poisoned message fails its whole batch, which comes back after 30 s; after 5 "
        "receives it goes to the DLQ.",
    },
}
# In the masthead: what each fault does, in the learner's words (the simulator's are in help).
FAULT_WORDS = {"errors": "every invocation fails", "throttle": "reserved concurrency 1"}
# Said once more in help, beyond the bindings' own short descriptions.
LAB_HELP_KEYS = (
    ("e", "What Errors does: every invocation fails (error_rate 1.0), in all three models"),
    ("t", "What Throttle does: reserved concurrency 1, in all three models"),
    ("p", "What Poison does: the next item to arrive fails every attempt, in all three models"),
    ("z", "Zero counts: the counters count from now on, to see what a fault just switched does"),
    ("1 / 2 / 3", "Show one model (when the models are in tabs)"),
)


def lab_scenarios(load: dict[str, Any] | None = None, seed: int = LAB_SEED) -> list[PlainScenario]:
    """The sync, async and SQS scenarios of the lab, built from one shared load and seed.

    The lab's own scenarios are constants that a test checks against the validator, so opening
    the lab imports none (pydantic); a caller's own load or seed is validated."""
    own = load is None and seed == LAB_SEED
    shared_load = dict(LAB_LOAD, **(load or {}))
    scenarios = []
    for model, extra in LAB_MODELS.items():
        data = {
            "model": model,
            "seed": seed,
            "until_s": LAB_UNTIL_S,
            "function": dict(LAB_FUNCTION),
            "load": dict(shared_load),
            **extra,
        }
        if own:
            scenarios.append(plain_scenario(data))
        else:
            from tutor.sim.scenario import load_scenario

            scenarios.append(plain_scenario(load_scenario(data).resolved()))
    return scenarios


def caption(model: str, faults: list[str]) -> str:
    title = LAB_MODELS[model]["title"]
    words = CAPTIONS[model][faults[0] if faults else None]
    return f"{title}\nWatch: {words}"


class LabBoard(Container):
    """The three views: side by side when `wide`, else in tabs (rebuilt when the width crosses)."""

    wide: reactive[bool] = reactive(False, recompose=True)

    def __init__(self, runs: list[SimRun], player: Player, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runs = runs
        self.player = player
        self.faults: list[str] = []
        self.active_model = runs[0].scenario.model
        # Per model, where its counters count from (the zero-counts key), for views built later.
        self.counter_bases: dict[str, tuple[float, dict] | None] = {}

    def _view(self, run: SimRun) -> SimView:
        model = run.scenario.model
        view = SimView(
            run,
            self.player,
            caption=caption(model, self.faults),
            classes="lab-view",
            id=f"lab-view-{model}",
        )
        view.counter_base = self.counter_bases.get(model)
        view.flow_above = not self.wide  # in tabs, under the summary of every model's flow
        return view

    def compose(self) -> ComposeResult:
        if self.wide:
            with Horizontal(id="lab-columns"):
                for run in self.runs:
                    yield self._view(run)
        else:
            # Narrow: every model's flow in a few lines above the tabs, so all three stay in view.
            with Horizontal(id="lab-summary"):
                for run in self.runs:
                    yield TextBlock(classes="lab-summary-cell", id=f"lab-summary-{run.scenario.model}")
            # A hidden tab's view is built when the tab is first shown: the first frame waits for one.
            with TabbedContent(id="lab-tabs", initial=f"lab-tab-{self.active_model}"):
                for run in self.runs:
                    model = run.scenario.model
                    with TabPane(TAB_TITLES[model], id=f"lab-tab-{model}"):
                        if model == self.active_model:
                            yield self._view(run)

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.active_model = (event.pane.id or "").removeprefix("lab-tab-") or self.active_model
        if not event.pane.children:
            run = next(run for run in self.runs if run.scenario.model == self.active_model)
            await event.pane.mount(self._view(run))

    def count_from(self, base: tuple[float, dict[str, dict]] | None) -> None:
        """Every model's counters count from `base` (its time, and the counters then), None: from 0."""
        for run in self.runs:
            model = run.scenario.model
            self.counter_bases[model] = None if base is None else (base[0], base[1][model])
        for view in self.views():
            view.counter_base = self.counter_bases.get(view.run.scenario.model)

    def views(self) -> list[SimView]:
        # A view still being built (its tab just opened) has children without their own yet.
        return [view for view in self.query(SimView) if view.is_mounted]

    def show_summary(self) -> None:
        for run in self.runs:
            for cell in self.query(f"#lab-summary-{run.scenario.model}").results(TextBlock):
                width = cell.content_size.width or 26
                title = TAB_TITLES[run.scenario.model]
                cell.set_lines([title[:width], *compact_lines(run.snapshot(), width)])

    def show_tab(self, model: str) -> None:
        self.active_model = model
        if self.wide:
            return
        # A resize across the breakpoint recomposes the board: a key in the same burst can find
        # the new tabs still without their tab strip, and compose opens on active_model anyway.
        pane_id = f"lab-tab-{model}"
        for tabs in self.query(TabbedContent):
            # The strip's tabs mount one by one after the strip itself; TabbedContent names each
            # after its pane, and refuses to activate one that is not there yet.
            if any((tab.id or "").endswith(pane_id) for tab in tabs.query(Tab)):
                tabs.active = pane_id


class LabScreen(Composed, PlayerHost, Screen):
    AUTO_FOCUS = None
    SCREEN_NAME = "lab"
    HELP_TITLE = "Lab"
    HELP_KEYS = LAB_HELP_KEYS
    BINDINGS: ClassVar[list[BindingType]] = [
        # The fault keys come first: at 80 columns the footer has room for only some keys.
        # A toggle shows once, with its state; the key flips it.
        Binding(
            "e", "errors(True)", "Errors: off", tooltip="Errors are off: e turns them on", id="lab.errors-on"
        ),
        Binding(
            "e", "errors(False)", "Errors: on", tooltip="Errors are on: e turns them off", id="lab.errors-off"
        ),
        Binding(
            "t",
            "throttle(True)",
            "Throttle: off",
            tooltip="Throttle is off: t turns it on",
            id="lab.throttle-on",
        ),
        Binding(
            "t",
            "throttle(False)",
            "Throttle: on",
            tooltip="Throttle is on: t turns it off",
            id="lab.throttle-off",
        ),
        Binding("p", "poison", "Poison", id="lab.poison"),
        Binding("c", "clear", "Clear", id="lab.clear"),
        # Counters from now on: what the fault just switched on or off does, without the past.
        Binding("z", "zero_counters", "Zero counts", id="lab.zero"),
        *PLAYER_BINDINGS,
        Binding("1", "show('sync')", "Sync", show=False, id="lab.show-sync"),
        Binding("2", "show('async')", "Async", show=False, id="lab.show-async"),
        Binding("3", "show('sqs')", "SQS", show=False, id="lab.show-sqs"),
        Binding("escape", "leave", "Close the lab", show=False, id="lab.close"),
    ]

    def __init__(
        self,
        *,
        speed: float = LAB_SPEED,
        load: dict[str, Any] | None = None,
        seed: int = LAB_SEED,
        clock=None,
    ) -> None:
        super().__init__()
        self.runs = [SimRun(scenario) for scenario in lab_scenarios(load, seed)]
        options = {"clock": clock} if clock is not None else {}
        self.player = Player(self.runs, speed=speed, **options)
        # (simulated time, item number) of each poison injected, to name the item in the status.
        self.poisons: list[tuple[float, int]] = []
        self.faults: list[str] = []
        self._fault_text = "faults: none"

    def compose(self) -> ComposeResult:
        yield Masthead(place("Lab: one load, three invocation models"), "faults: none", id="lab-masthead")
        yield SimControls(self.player, id="lab-controls")
        board = LabBoard(self.runs, self.player, id="lab-board")
        # Chosen before the first compose, so the board is built once at the start.
        board.set_reactive(LabBoard.wide, self.app.size.width >= WIDE_FROM)
        yield board
        yield Footer()

    def on_mount(self) -> None:
        self.start_player_timer()
        self._fit(self.size.width)
        self.repaint()

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width)

    def on_screen_suspend(self) -> None:
        self.suspend_player()

    def on_screen_resume(self) -> None:
        self.resume_player()

    def _fit(self, width: int) -> None:
        board = self.query_one(LabBoard)
        wide = width >= WIDE_FROM
        if board.wide != wide:
            # The focused widget (a tab) is about to go: hand the keys back to the screen.
            if self.focused is not None and board in self.focused.ancestors:
                self.set_focus(None)
            board.wide = wide
            self.refresh_bindings_if_changed()

    @property
    def board(self) -> LabBoard:
        return self.query_one(LabBoard)

    # Faults ----------------------------------------------------------------------------------------

    def active_faults(self) -> list[str]:
        """The faults in force now, read back from the first model's live state."""
        function = self.runs[0].sim.snapshot()["function"]
        base = self.runs[0].scenario.function
        faults = []
        if function["error_rate"] >= 1.0 > base.error_rate:
            faults.append("errors")
        if function["reserved_concurrency"] == 1 != base.reserved_concurrency:
            faults.append("throttle")
        if function["poison_pending"] or self._poison_shown() is not None:
            faults.append("poison")
        return faults

    def _poison_pending(self) -> bool:
        return bool(self.runs[0].sim.snapshot()["function"]["poison_pending"])

    def _poison_shown(self) -> int | None:
        shown = [item for t, item in self.poisons if t <= self.player.time]
        return shown[-1] if shown else None

    def fault_text(self, faults: list[str]) -> str:
        """The faults on, in words: 'faults on: errors · throttle · poison item 37'."""
        if not faults:
            return "faults: none"
        words = []
        for fault in faults:
            if fault != "poison":
                words.append(FAULT_WORDS[fault])
                continue
            item = self._poison_shown()
            words.append(
                "poison: the next item"
                if item is None or self._poison_pending()
                else f"poison: item {item} always fails"
            )
        return "faults on: " + " · ".join(words)

    def _intervene(self, changes: dict[str, Any]) -> None:
        self.player.intervene(changes)
        # A change after a step back starts a new timeline: poisons recorded later are gone.
        self.poisons = [(t, item) for t, item in self.poisons if t <= self.player.time]
        self.player_changed()

    def action_errors(self, on: bool) -> None:
        base = self.runs[0].scenario.function.error_rate
        self._intervene({"function.error_rate": 1.0 if on else base})

    def action_throttle(self, on: bool) -> None:
        base = self.runs[0].scenario.function.reserved_concurrency
        self._intervene({"function.reserved_concurrency": 1 if on else base})

    def action_poison(self) -> None:
        self.player.intervene({"poison": True})
        item = self.runs[0].sim.snapshot()["counters"]["items"] + 1
        self.poisons = [(t, n) for t, n in self.poisons if t <= self.player.time]
        self.poisons.append((self.player.time, item))
        self.player_changed()

    def action_clear(self) -> None:
        function = self.runs[0].scenario.function
        self._intervene(
            {
                "function.error_rate": function.error_rate,
                "function.reserved_concurrency": function.reserved_concurrency,
                "poison": False,
            }
        )
        self.poisons = []
        self.player_changed()

    def action_zero_counters(self) -> None:
        if not self._on_current_screen():
            return
        now = {run.scenario.model: run.sim.snapshot()["counters"] for run in self.runs}
        self.board.count_from((self.player.time, now))
        self.notify(f"Counters count from {clock_text(self.player.time)} on (r starts the run again).")
        self.player_changed()

    def action_reset(self) -> None:
        if not self._on_current_screen():  # a key that reached the lab as it closed
            return
        # A reset starts over with the faults that are on now in force from the first event.
        faults = self.active_faults()
        changes: dict[str, Any] = {}
        if "errors" in faults:
            changes["function.error_rate"] = 1.0
        if "throttle" in faults:
            changes["function.reserved_concurrency"] = 1
        for run in self.runs:
            run.start_changes = dict(changes)
        self.board.count_from(None)
        self.poisons = []
        super().action_reset()

    # Views -----------------------------------------------------------------------------------------

    def action_show(self, model: str) -> None:
        self.board.show_tab(model)

    def action_leave(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PLAYER_ACTIONS:
            return self.player_check_action(action)
        if action in ("errors", "throttle"):
            switch_on = bool(parameters and parameters[0])
            return (action in self.faults) != switch_on
        if action == "clear":
            return bool(self.faults)
        if action == "poison":
            return not self._poison_pending()
        if action == "show":
            return not self.board.wide
        return True

    def binding_state(self) -> tuple:
        return (*super().binding_state(), tuple(self.faults), self._poison_pending(), self.board.wide)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.press_player_button(event)

    def repaint(self, live: bool = False) -> None:
        if not self.composed:
            return
        faults = self.active_faults()
        text = self.fault_text(faults)
        self.faults = faults
        if faults != self.board.faults:
            self.board.faults = faults
            for view in self.board.views():
                view.set_caption(caption(view.run.scenario.model, faults))
            self.refresh_bindings_if_changed()
        if text != self._fault_text:
            self._fault_text = text
            self.query_one("#lab-masthead", Masthead).show(right=text)
        self.query_one(SimControls).show()
        for view in self.board.views():
            view.show(live=live)
        self.board.show_summary()

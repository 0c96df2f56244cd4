"""One simulation pane full screen: `lambda-tutor simulate PRESET --watch`.

`WatchScreen(scenario, name)` works inside the course app (the palette opens a preset) and alone:
`run_watch` opens the app on this screen only, without loading the course or the progress store.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from tutor.cli import require_terminal
from tutor.errors import UserError
from tutor.ui.app import LambdaTutorApp, Start
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place
from tutor.ui.widgets.sim_pane import SimPane
from tutor.ui.widgets.simulation_slot import find_scenario

WATCH_HELP_KEYS = (
    ("space", "Play or pause"),
    ("s / .", "Step to the next event"),
    ("b / ,", "Step back to the previous event (the run is replayed from the start)"),
    ("r", "Reset to the start"),
    ("- / +", "Slower / faster: 0.5 to 3,600 simulated seconds per second"),
    ("1 … 9", "Apply a lesson's try step (in a lesson's pane)"),
    ("tab", "Move to the tabs: Live, Try this, Parameters"),
)


class WatchScreen(Screen):
    AUTO_FOCUS = "#watch-pane"
    SCREEN_NAME = "watch"
    HELP_TITLE = "Simulation"
    HELP_KEYS = WATCH_HELP_KEYS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Close", id="watch.close"),
        Binding("q", "leave", "Close", show=False, id="watch.close-q"),
    ]

    app: LambdaTutorApp

    def __init__(
        self,
        scenario: Any = None,
        name: str = "",
        *,
        preset: str | None = None,
        chain: str | None = None,
        speed: float | None = None,
    ) -> None:
        """A scenario (or chain) object, or (from the command palette) the name of one of the
        course's presets or chain presets."""
        super().__init__()
        self.problem = ""
        if chain is not None:
            from tutor.sim.chain import load_chain

            name = chain
            try:
                scenario = load_chain(self.app.course.chain_files.get(chain, chain))
            except UserError as error:
                self.problem = f"✗ The chain {chain!r} cannot run: {error}"
        elif preset is not None:
            name = preset
            try:
                # Presets come from the palette, which only an app with the course offers.
                course = self.app.course
                scenario = find_scenario(preset, course.scenario_files, course.checked_scenarios)
            except UserError as error:
                self.problem = f"✗ The scenario {preset!r} cannot run: {error}"
        self.scenario = scenario
        self.scenario_name = name or getattr(scenario, "model", "scenario")
        self.speed = speed

    def compose(self) -> ComposeResult:
        if self.scenario is None:
            yield Masthead(place("Simulation", self.scenario_name))
            yield Static(self.problem, classes="slot-problem", markup=False)
            yield Footer()
            return
        title = self.scenario.title or self.scenario_name
        if hasattr(self.scenario, "stages"):  # a chain (`simulate CHAIN --watch`)
            from tutor.ui.widgets.sim_chain import ChainPane

            yield Masthead(place("Simulation", self.scenario_name), f"chain {self.scenario.models}")
            yield ChainPane(
                self.scenario,
                self.scenario.resolved(),
                title=title,
                speed=self.speed,
                about=self.scenario.description or "",
                id="watch-pane",
            )
            yield Footer()
            return
        yield Masthead(place("Simulation", self.scenario_name), f"model {self.scenario.model}")
        yield SimPane(
            self.scenario,
            title=title,
            speed=self.speed,
            about=self.scenario.description or "",
            id="watch-pane",
        )
        yield Footer()

    @property
    def pane(self) -> SimPane:
        return self.query_one("#watch-pane", SimPane)

    def on_screen_suspend(self) -> None:
        for pane in self.query(SimPane):
            pane.suspend_player()

    def on_screen_resume(self) -> None:
        for pane in self.query(SimPane):
            pane.resume_player()

    def action_leave(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()


def run_watch(scenario: Any, name: str = "") -> int:
    """Open `scenario` in one pane, full screen, until the learner closes it."""
    require_terminal()
    app = LambdaTutorApp(start=Start.watch(scenario, name))
    app.run()
    return int(app.return_code or 0)

"""Where a lesson's live simulation goes: beside the text from 120 columns, below it when narrower.

The lesson screen composes one `SimulationSlot` (id `simulation-slot`) for every lesson with a
`scenario`. The slot finds the scenario (a preset, or a pack's scenario file through
`course.scenario_files`) and shows it in a `SimPane`, with the lesson's "try this" steps as
buttons (and keys 1 to 9) that set the pane's parameters. A scenario that cannot run is one line
in the slot, never a crash: the text of the lesson stays readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Container
from textual.widget import Widget
from textual.widgets import Static

from tutor.errors import UserError
from tutor.sim.params import show_value
from tutor.sim.plain import PlainScenario, plain_scenario
from tutor.sim.player import NOTICE_LEAD_S, SPEEDS, first_notable_event, lesson_speed, pace_note
from tutor.ui.widgets.sim_pane import SimPane

if TYPE_CHECKING:
    from tutor.content.course import TryStep


def find_scenario(
    name: str, scenario_files: dict[str, Any] | None = None, checked: dict[str, dict[str, Any]] | None = None
) -> PlainScenario:
    """The scenario a lesson names, as a `PlainScenario`; raises `UserError` with the one-line reason.

    `checked` holds presets' values checked when the course cache was built
    (`Course.checked_scenarios`): one found there needs no validator. Any other is validated now,
    which imports pydantic."""
    values = (checked or {}).get(name)
    if values is None:
        from tutor.sim.scenario import load_scenario

        path = (scenario_files or {}).get(name)
        values = load_scenario(path if path is not None else name).resolved()
    return plain_scenario(values)


def paced(scenario: Any) -> tuple[Any, tuple[float, str] | None]:
    """The scenario as a lesson's pane runs it, and its first notable event.

    A run whose first throttle or failure comes sooner than even the slowest speed can hold off
    (a burst at t = 0) starts its load `NOTICE_LEAD_S` late, so that event is that much wall time
    away at 1x. Only the load moves: every AWS behaviour, and every time counted from an item's
    arrival, stays as it was. The preset itself is untouched (the CLI, quizzes and exercises run
    it as written).
    """
    first = first_notable_event(scenario)
    if first is not None and first[0] < NOTICE_LEAD_S * SPEEDS[0] and scenario.load.start_s == 0:
        scenario = scenario.with_overrides({"load.start_s": NOTICE_LEAD_S})
        first = first_notable_event(scenario)
    return scenario, first


# In a lesson the keyboard is in the text, so the lesson's own keys play and step the pane. The
# log shows this on one line: it must fit a pane beside the text at 120 columns.
LESSON_START_HINT = "Nothing yet: w plays, s steps to the next event."


class SimulationSlot(Container):
    """Hidden by the stylesheet until it holds something (class `-filled`)."""

    def __init__(self, scenario: str, try_steps: list[TryStep], **kwargs) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.try_steps = try_steps

    def compose(self) -> ComposeResult:
        self.add_class("-filled")
        yield self._content()

    def _content(self) -> Widget:
        course = getattr(self.app, "course", None)
        chain_files = getattr(course, "chain_files", None) or {}
        if self.scenario in chain_files:
            from tutor.ui.widgets.sim_chain import chain_pane_or_problem

            return chain_pane_or_problem(
                chain_files[self.scenario],
                self.scenario,
                lesson_hint=LESSON_START_HINT,
                try_steps=self.try_steps,
                id="lesson-sim",
            )
        try:
            scenario = find_scenario(
                self.scenario,
                getattr(course, "scenario_files", None),
                getattr(course, "checked_scenarios", None),
            )
        except UserError as problem:
            return Static(
                f"✗ The simulation {self.scenario!r} cannot run: {problem}",
                classes="slot-problem",
                markup=False,
            )
        as_written = scenario
        scenario, first_notable = paced(scenario)
        speed = lesson_speed(scenario.until_s, first_notable[0] if first_notable else None)
        notes = [pace_note(first_notable, speed)]
        if scenario.load.start_s != as_written.load.start_s:
            # Times in the pane count from the run's start, not the preset's first arrival: say so.
            notes.insert(0, f"load starts at {show_value(scenario.load.start_s)} s")
        return SimPane(
            scenario,
            title=f"{self.scenario}: {scenario.title or scenario.model}",
            try_steps=self.try_steps,
            speed=speed,
            note="; ".join(note for note in notes if note),
            start_hint=LESSON_START_HINT,
            id="lesson-sim",
        )

    async def show_pane(self, pane: Widget) -> None:
        """Put another widget in the slot instead of what it holds."""
        await self.remove_children()
        await self.mount(pane)
        self.add_class("-filled")

    @property
    def pane(self) -> SimPane:
        return self.query_one(SimPane)

"""One workshop exercise: the brief, the goals, a parameter form (and a prediction), Run, the verdict.

Open it with `app.open_screen("exercise", exercise_id="sqs-partial-batch")`. The simulation runs in
a worker thread, in slices of simulated time, so the screen stays responsive and a progress bar
appears when a run takes a while; leaving the screen cancels the run. Every finished run is an
attempt in the progress store, with the parameters it used (and the prediction, for predict
exercises). Deciding what is allowed and what passed is `tutor.workshop.exercises`' job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, Markdown, OptionList, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tutor.errors import UserError
from tutor.ui.widgets.exercise import (
    HELD,
    MISSED,
    GoalBoard,
    ParamField,
    exercise_meta,
    exercise_state,
    prediction_text,
)
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place
from tutor.workshop.exercises import (
    Attempt,
    attempt_exercise,
    exercise_problems,
    form_fields,
    hint_heading,
    hint_refusal,
    offered_hints,
    parse_prediction,
    prepare_attempt,
    show_number,
    show_value,
)

if TYPE_CHECKING:
    from tutor.content.course import Predict
    from tutor.ui.app import LambdaTutorApp

# Runs shorter than this finish before a progress bar would be worth showing.
PROGRESS_AFTER_S = 0.3
RUN_GROUP = "exercise-run"


class BriefPane(VerticalScroll):
    """The exercise's brief; when part of it is out of sight, its bottom edge says so and how to see it.

    At 80x24 a tune exercise's brief and its form cannot both fit, and a scrollbar alone is easy to
    miss while the focus sits in a field of the form.
    """

    MORE_BELOW = "↓ more below: pgdn"
    MORE_ABOVE = "↑ pgup"

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._show_hint()

    def on_resize(self) -> None:
        self._show_hint()

    def _show_hint(self) -> None:
        if self.scroll_y < self.max_scroll_y:
            hint = self.MORE_BELOW
        elif self.max_scroll_y > 0:
            hint = self.MORE_ABOVE
        else:
            hint = ""
        self.border_subtitle = f" {hint} " if hint else ""


class ExerciseScreen(Screen):
    SCREEN_NAME = "exercise"
    HELP_TITLE = "Exercise"
    AUTO_FOCUS = ""
    HELP_KEYS = (
        ("tab / shift+tab", "Move between your prediction, the parameters and Run"),
        ("enter", "In a field: run the simulation"),
        ("↑ / ↓", "In a true/false or choice field: open it and pick"),
        ("pgup / pgdn", "Scroll the brief, when it does not fit"),
        ("^t", "After a run: open the next hint (a nudge, then the mechanism, then the answer)"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Run", id="exercise.run"),
        Binding("ctrl+b", "reset_values", "Start values", id="exercise.reset"),
        Binding("escape", "back", "Back", id="exercise.back"),
        # One binding per state, so the footer says how many hints are open ("Hints 1/3"); the one
        # for the exercise's state is the one enabled. A control key, because the focus is nearly
        # always in a field, and a field takes every letter typed. System bindings, so that help lists
        # the key once (in HELP_KEYS) rather than once per state.
        *(
            Binding(
                "ctrl+t",
                f"hint({opened}, {total})",
                f"Hints {opened}/{total}",
                id=f"exercise.hint-{opened}-of-{total}",
                system=True,
            )
            for total in (1, 2, 3)
            for opened in range(total + 1)
        ),
        # Priority, so that the keys reach the brief from a field of the work pane, which would
        # otherwise take them to scroll itself.
        Binding(
            "pagedown",
            "scroll_brief(1)",
            "More of the brief",
            show=False,
            priority=True,
            id="exercise.brief-down",
        ),
        Binding(
            "pageup",
            "scroll_brief(-1)",
            "Back up the brief",
            show=False,
            priority=True,
            id="exercise.brief-up",
        ),
    ]

    app: LambdaTutorApp

    class Ran(Message):
        """A run finished and was judged (for tests and anything that listens)."""

        def __init__(self, exercise_id: str, attempt: Attempt, stored: bool) -> None:
            super().__init__()
            self.exercise_id = exercise_id
            self.attempt = attempt
            self.stored = stored

    def __init__(self, exercise_id: str, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        course = self.app.course
        matches = [exercise for exercise in course.exercises if exercise.id == exercise_id]
        if not matches:
            raise UserError(f"no exercise {exercise_id!r} in this course")
        self.exercise = matches[0]
        self.clock = clock or (lambda: datetime.now(UTC))
        # A pack exercise can be broken (validate reports it); it is explained here, never run.
        self.problems = exercise_problems(self.exercise, course)
        self.fields = [] if self.problems else form_fields(self.exercise, course)
        self.running = False
        self.progress = 0.0  # written by the worker thread, read by the UI timer
        self.started_at = 0.0
        self.ticker: Timer | None = None
        self.focus_before_run: Widget | None = None
        self.last_attempt: Attempt | None = None
        self.hints = offered_hints(self.exercise, course)
        self.hints_opened = 0  # levels open, in order; read from the store on mount

    # Layout -------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        exercise = self.exercise
        yield Masthead(place("Exercises", exercise.title), "")
        with Container(id="exercise-layout"):
            with BriefPane(id="exercise-brief-pane"):
                yield Static(exercise.title, id="exercise-title", markup=False)
                yield Static(exercise_meta(exercise, self.app.course), id="exercise-meta", markup=False)
                yield Markdown(exercise.brief, id="exercise-brief")
            with VerticalScroll(id="exercise-work-pane"):
                if self.problems:
                    yield Static(self._problem_words(), id="exercise-problems", markup=False)
                else:
                    yield from self._work()
        yield Footer()

    def _work(self) -> ComposeResult:
        """The prediction, goals, verdict, hint, form and Run."""
        exercise = self.exercise
        if exercise.predict is not None:
            yield Static("Your prediction", classes="exercise-heading")
            yield Static(exercise.predict.prompt, id="prediction-prompt", markup=False)
            with Horizontal(id="prediction-row"):
                yield Input(placeholder="a number", id="prediction", compact=True)
                yield Static(self._tolerance_words(exercise.predict), id="prediction-tolerance", markup=False)
            yield Static("", id="prediction-result")
        if exercise.goals:
            yield Static("Goals", classes="exercise-heading")
            yield GoalBoard(exercise.goals, id="exercise-goals")
        yield Static("", id="exercise-outcome")
        yield Vertical(id="exercise-hint")
        if self.fields:
            heading = "Parameters you may change" if exercise.kind == "tune" else "Parameters"
            yield Static(heading, classes="exercise-heading")
            for spec in self.fields:
                yield ParamField(exercise, spec)
        with Horizontal(id="run-row"):
            yield Button("▶ Run", id="run", compact=True)
            yield Static("", id="run-status", markup=False)
        yield ProgressBar(total=1.0, show_eta=False, id="run-progress")

    def _problem_words(self) -> str:
        lines = [f"⚠ This exercise cannot run as written ({self.exercise.file}):"]
        lines += [f"  {problem.field}: {problem.message}" for problem in self.problems]
        lines.append("Ask your instructor; `lambda-tutor validate` shows the same problems.")
        return "\n".join(lines)

    @staticmethod
    def _tolerance_words(predict: Predict) -> str:
        unit = f" {predict.unit}" if predict.unit else ""
        if predict.tolerance:
            return f"{unit.strip()}  counts if within ±{show_number(predict.tolerance)}{unit}".strip()
        return f"{unit.strip()}  must be exact".strip()

    def on_mount(self) -> None:
        if self.problems:
            self.query_one(Masthead).show(right="⚠ cannot run")
            return
        for hidden in ("#run-progress", "#exercise-hint", "#exercise-outcome", "#prediction-result"):
            for widget in self.query(hidden):
                widget.display = False
        # The levels opened on an earlier visit stay open.
        opened = self.app.store.hints_used(self.app.profile).get(self.exercise.id, 0)
        self.hints_opened = min(opened, len(self.hints))
        self._show_state()
        if self.exercise.predict is not None:
            self.query_one("#prediction", Input).focus()
        elif self.fields:
            self.query(ParamField).first().entry.focus()
        self._status(self._ready_words())

    def _ready_words(self) -> str:
        if self.exercise.predict is not None:
            return "Type your prediction, then run (enter or ctrl+r)."
        return "Change the parameters, then run (enter or ctrl+r)."

    # State shown around the work --------------------------------------------------------------------

    def _result(self):
        return self.app.store.exercise_results(self.app.profile).get(self.exercise.id)

    def _show_state(self) -> None:
        result = self._result()
        self.query_one(Masthead).show(right=exercise_state(result))
        self._show_hints()

    def _show_hints(self) -> Static | None:
        """Show every level opened and not on show yet; returns the newest one shown."""
        box = self.query_one("#exercise-hint", Vertical)
        total = len(self.hints)
        on_show = len(box.children)
        # Hints are written over several TOML lines; each level reads as one paragraph.
        added = [
            Static(
                Content.assemble(
                    (f"{hint_heading(level, total)}  ", "bold $text-warning"), " ".join(text.split())
                ),
                classes="hint-level",
            )
            for level, text in enumerate(self.hints[on_show : self.hints_opened], start=on_show + 1)
        ]
        if added:
            box.mount_all(added)
        box.display = self.hints_opened > 0
        return added[-1] if added else None

    def _status(self, text: str, tone: str = "") -> None:
        status = self.query_one("#run-status", Static)
        status.update(Content.styled(text, tone) if tone else text)

    # Running ------------------------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    @on(Button.Pressed, "#run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_run()

    def action_run(self) -> None:
        if self.running or self.problems:
            return
        fields = list(self.query(ParamField))
        for field in fields:
            entry = field.entry
            if isinstance(entry, Input):
                field.check(entry.value)
        refused = [field for field in fields if field.error]
        if refused:
            refused[0].entry.focus()
            self._status(f"{MISSED} {refused[0].error}", "$text-error")
            return
        predicted = None
        if self.exercise.predict is not None:
            box = self.query_one("#prediction", Input)
            if not box.value.strip():
                box.focus()
                self._status(f"{MISSED} Commit a prediction first: type a number.", "$text-error")
                return
            try:
                predicted = parse_prediction(self.exercise, box.value)
            except UserError as error:
                box.focus()
                self._status(f"{MISSED} {error}", "$text-error")
                return
        values = {field.spec.key: field.value for field in fields if field.changed}
        try:
            scenario = prepare_attempt(self.exercise, self.app.course, values, predicted)
        except UserError as error:
            self._status(f"{MISSED} {error}", "$text-error")
            return
        self._start(scenario, values, predicted)

    def _start(self, scenario: Any, values: dict[str, Any], predicted: float | None) -> None:
        self.running = True
        self.progress = 0.0
        self.started_at = time.monotonic()
        # Disabling the prediction box moves focus away; it comes back here when the run ends.
        self.focus_before_run = self.focused
        if self.exercise.predict is not None:
            # The prediction is committed: it cannot change while the run reveals the answer.
            self.query_one("#prediction", Input).disabled = True
        self.query_one("#run", Button).disabled = True
        self._status("Running the simulation…")
        self.query_one("#exercise-outcome").display = False
        self.ticker = self.set_interval(0.1, self._tick)
        self._simulate(scenario, values, predicted)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group=RUN_GROUP, exit_on_error=False)
    def _simulate(self, scenario: Any, values: dict[str, Any], predicted: float | None) -> Attempt | None:
        worker = get_current_worker()
        return attempt_exercise(
            self.exercise,
            scenario,
            values,
            predicted,
            progress=partial(setattr, self, "progress"),
            cancelled=lambda: worker.is_cancelled,
        )

    def _tick(self) -> None:
        if not self.running:
            return
        bar = self.query_one("#run-progress", ProgressBar)
        if not bar.display and time.monotonic() - self.started_at >= PROGRESS_AFTER_S:
            bar.display = True
        bar.update(progress=self.progress)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != RUN_GROUP or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        self._stop()
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            self._finish(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            self._status(f"{MISSED} The simulation stopped: {error}", "$text-error")
        else:
            self._status(self._ready_words())

    def _stop(self) -> None:
        self.running = False
        if self.ticker is not None:
            self.ticker.stop()
            self.ticker = None
        self.query_one("#run-progress").display = False
        self.query_one("#run", Button).disabled = False
        if self.exercise.predict is not None:
            self.query_one("#prediction", Input).disabled = False
        if self.focus_before_run is not None and self.focus_before_run.is_attached:
            self.focus_before_run.focus()
        self.refresh_bindings()

    def _finish(self, attempt: Attempt) -> None:
        self.last_attempt = attempt
        exercise = self.exercise
        if exercise.goals:
            self.query_one(GoalBoard).show_results(attempt.verdict.goals)
        if attempt.prediction is not None:
            result = self.query_one("#prediction-result", Static)
            result.update(prediction_text(attempt.prediction))
            result.display = True
        outcome = self.query_one("#exercise-outcome", Static)
        outcome.update(self._outcome_words(attempt))
        outcome.display = True
        params = dict(attempt.params)
        if attempt.prediction is not None:
            params["prediction"] = attempt.prediction.predicted
        stored = self.app.record(
            self.app.store.record_exercise_attempt,
            self.app.profile,
            exercise.id,
            attempt.passed,
            params,
            self.clock(),
        )
        # Worded without "top" or "left": the verdict is above the Run row in every layout, but how far
        # above (top of the pane, or a line or two) depends on the terminal's size.
        self._status("Done: verdict above. Change something and run again.")
        self._show_state()
        # The verdict sits above the form: bring it into view.
        self.query_one("#exercise-work-pane", VerticalScroll).scroll_home(animate=False)
        self.post_message(self.Ran(exercise.id, attempt, stored))

    def _outcome_words(self, attempt: Attempt) -> Content:
        goals = attempt.verdict.goals
        missed = sum(1 for goal in goals if not goal.passed)
        if attempt.passed:
            what = (
                "every goal held"
                if goals and attempt.prediction is None
                else ("your prediction holds" if not goals else "your prediction and every goal held")
            )
            return Content.assemble(
                (f"{HELD} Passed: ", "bold $text-success"),
                f"{what}. Your parameters are saved with the attempt.",
            )
        reasons = []
        if missed:
            reasons.append(f"{missed} of {len(goals)} goal{'s' if len(goals) != 1 else ''} missed")
        if attempt.prediction is not None and not attempt.prediction.within:
            reasons.append("the prediction is off")
        return Content.assemble((f"{MISSED} Not yet: ", "bold $text-error"), "; ".join(reasons) + ".")

    # Other actions ----------------------------------------------------------------------------------

    def action_reset_values(self) -> None:
        """Back to the values the exercise starts from."""
        if self.running:
            return
        for field in self.query(ParamField):
            entry = field.entry
            if isinstance(entry, Select):
                if field.spec.value in (field.spec.choices or ()):
                    entry.value = field.spec.value
            else:
                entry.value = show_value(field.spec.value)
                field.check(entry.value)
        self._status("Back to the starting values.")

    def action_hint(self, opened: int, total: int) -> None:
        """Open the next hint level, once there has been a run; the store counts each level once."""
        result = self._result()
        refusal = hint_refusal(
            self.exercise, self.app.course, result.attempts if result else 0, self.hints_opened
        )
        if refusal is not None:
            self._status(f"{refusal[0].upper()}{refusal[1:]}.", "$text-warning")
            return
        self.hints_opened += 1
        level = self.hints_opened
        self.app.record(self.app.store.record_hint, self.app.profile, self.exercise.id, level)
        newest = self._show_hints()
        self._status(f"{hint_heading(level, len(self.hints))}: shown above the parameters.")
        if newest is not None:
            self.call_after_refresh(newest.scroll_visible, animate=False)
        self.refresh_bindings()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_scroll_brief(self, direction: int) -> None:
        pane = self.query_one(BriefPane)
        if direction > 0:
            pane.scroll_page_down(animate=False)
        else:
            pane.scroll_page_up(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run":
            return not self.running and not self.problems
        if action == "hint":
            return not self.problems and parameters == (self.hints_opened, len(self.hints))
        if action == "reset_values":
            return bool(self.fields) and not self.running
        if action == "scroll_brief":
            # A brief that fits leaves the keys to the work pane, and an open choice list keeps them.
            return self.query_one(BriefPane).max_scroll_y > 0 and not isinstance(self.focused, OptionList)
        return True

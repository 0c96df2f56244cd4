"""Predict, then watch: a lesson's question asked before its simulation first plays.

The lesson screen puts a `PredictionPrompt` at the top of its simulation slot and keeps the pane
disabled (no key, click or tab reaches it) until the learner commits a number or skips (enter on an
empty box, or the Skip button). The answer is the simulator's, computed like a scenario question's
(`tutor.quiz.scenario_answers.prediction_answer`); the first answer per lesson is stored. The pane
then plays, and when its run of the lesson's own scenario ends the prompt becomes one line: "You
predicted 2, it ran 3 times", and where in the pane to look. A lesson answered (or skipped)
before asks nothing and shows nothing: the pane's rows go to the diagram.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Static

from tutor.quiz.grading import AnswerError, format_number, parse_number, within

if TYPE_CHECKING:
    from tutor.content.course import LessonPrediction

ASKING, WATCHING, SHOWN = "asking", "watching", "shown"
# How often a watching prompt looks whether the pane's run has ended.
CHECK_EVERY_S = 0.25
PLACEHOLDER = "a number (enter alone skips)"


def outcome_words(prediction: LessonPrediction, predicted: float | None, actual: float) -> Content:
    """ "You predicted 2, it ran 3 times." with a mark, then where to look."""
    result = prediction.outcome.replace("{answer}", format_number(actual))
    if predicted is None:
        head = Content.assemble(("You skipped the prediction: ", "bold"), f"{result}.")
    else:
        right = within(predicted, actual, prediction.tolerance)
        mark = ("✓ ", "bold $text-success") if right else ("✗ ", "bold $text-error")
        head = Content.assemble(mark, f"You predicted {format_number(predicted)}, {result}.")
    look = prediction.look if prediction.look.endswith(".") else prediction.look + "."
    return Content.assemble(head, "\n", (f"Look at {look}", "$text-muted"))


class PredictionPrompt(Vertical):
    class Committed(Message):
        """The learner predicted (`predicted`) or skipped (None); `actual` is the simulator's answer,
        None when the prediction cannot be answered (nothing is stored then)."""

        def __init__(self, predicted: float | None, actual: float | None) -> None:
            super().__init__()
            self.predicted = predicted
            self.actual = actual

    def __init__(self, prediction: LessonPrediction, **kwargs) -> None:
        super().__init__(**kwargs)
        self.prediction = prediction
        self.phase = ASKING
        self.predicted: float | None = None
        self.actual = 0.0

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(("Predict first: ", "bold $text-warning"), self.prediction.prompt),
            classes="prediction-question",
        )
        with Horizontal(classes="prediction-row"):
            yield Input(placeholder=PLACEHOLDER, compact=True, classes="prediction-input")
            button = Button("Skip", compact=True, classes="prediction-skip")
            button.can_focus = False  # enter on an empty box skips from the keyboard
            yield button
        yield Static("", classes="prediction-outcome")

    @property
    def asking(self) -> bool:
        return self.phase == ASKING

    def focus_answer(self) -> None:
        if self.asking:
            self.query_one(".prediction-input", Input).focus()

    @on(Input.Submitted, ".prediction-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.commit(None)
            return
        try:
            self.commit(parse_number(text))
        except AnswerError as error:
            reason = f"{str(error)[:1].upper()}{str(error)[1:]}"
            self._say(Content.styled(f"✗ {reason}; enter alone skips.", "$text-error"))

    @on(Button.Pressed, ".prediction-skip")
    def _skip(self, event: Button.Pressed) -> None:
        event.stop()
        self.commit(None)

    def commit(self, predicted: float | None) -> None:
        if not self.asking:
            return
        from tutor.quiz.scenario_answers import ScenarioAnswerError, prediction_answer

        app = self.app
        lesson = app.screen.lesson  # type: ignore[attr-defined]
        try:
            actual = prediction_answer(lesson, app.course)  # type: ignore[attr-defined]
        except ScenarioAnswerError as error:
            # `validate` reports it too; the lesson and its pane stay usable.
            self._say(Content.styled(f"✗ This prediction has no answer: {error}", "$text-error"))
            self.phase = SHOWN
            self.query_one(".prediction-row").display = False
            self.post_message(self.Committed(None, None))
            return
        self.phase = WATCHING
        self.predicted = predicted
        self.actual = actual
        self.query_one(".prediction-row").display = False
        said = "Skipped." if predicted is None else f"You predicted {format_number(predicted)}."
        self._say(Content.assemble((said, "bold"), " Watch the run: the answer shows when it ends."))
        self.post_message(self.Committed(predicted, actual))

    def show_outcome(self) -> None:
        """The pane's run of the lesson's own scenario has ended: say how the prediction did."""
        if self.phase != WATCHING:
            return
        self.phase = SHOWN
        self.query_one(".prediction-question").display = False
        self._say(outcome_words(self.prediction, self.predicted, self.actual))

    def _say(self, words: Content) -> None:
        self.query_one(".prediction-outcome", Static).update(words)

"""Browser sessions (`lambda-tutor serve`) start with the learner logging in: a name, then a PIN.

Three steps, one on screen at a time so that each fits 80x24: the name (checked like `--profile`,
and with `serve --roster` against the roster); whether the learner has a PIN already or chooses
one now; then the PIN, or a new one. A new PIN is asked twice, then with a roster the join code,
in turn in one box (`QuestionBox`), so that keys typed ahead always land in the question they were
meant for. Escape goes back a question, then a step. Until a learner is in, nothing else in the
app can be used (no palette, no help over the prompt), so no progress can land under a placeholder
profile.

Against guessing: each refusal is answered a little later than the one before, and after
`MAX_REFUSALS` the prompt in this session takes no more tries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tutor.errors import UserError
from tutor.locations import NAME_MAX_LENGTH, NAME_RULE
from tutor.progress.credentials import PIN_MAX_DIGITS, PIN_RULE
from tutor.progress.identity import WRONG_CODE, check_name, join, log_in
from tutor.progress.store import Learner

if TYPE_CHECKING:
    from tutor.ui.app import LambdaTutorApp

NAME, CHOICE, PIN, NEW_PIN, LOCKED = "name", "choice", "pin", "new-pin", "locked"
HAVE_PIN, CHOOSE_PIN = "have-pin", "choose-pin"
MAX_REFUSALS = 5
JOIN_CODE_MAX_LENGTH = 16
LOCKED_WORDS = (
    "Too many wrong tries in this session. Ask your instructor: they can reset your PIN "
    "(lambda-tutor workshop roster reset NAME)."
)


@dataclass(frozen=True)
class Question:
    """One question of a `QuestionBox`: the line above the box, the rule below it, what the empty box
    says, and how it takes the answer."""

    heading: str
    rule: str
    placeholder: str
    password: bool
    max_length: int


class QuestionBox(Input):
    """One box that asks a few questions in turn and hands the answers on together after the last.

    Enter, tab and escape are taken here, in the box's own order of keys. Input's enter binding (its
    action_submit) runs only once the key has bubbled up to the App, and by then every key the App
    read in the same burst ("1234⏎1234⏎" from a fast typist on a loaded server) has already been
    handed to the box: the second PIN is typed on after the first, and moving the focus to a second
    box then comes too late."""

    class Asked(Message):
        """The box moved on, or back, to the question `index` (from 0)."""

        def __init__(self, box: QuestionBox, index: int) -> None:
            super().__init__()
            self.box = box
            self.index = index

        @property
        def control(self) -> QuestionBox:
            return self.box

    class Answered(Message):
        """Every question has an answer; the box takes no more keys until it is asked again."""

        def __init__(self, box: QuestionBox, answers: tuple[str, ...]) -> None:
            super().__init__()
            self.box = box
            self.answers = answers

        @property
        def control(self) -> QuestionBox:
            return self.box

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.questions: tuple[Question, ...] = ()
        self.answers: list[str] = []

    @property
    def index(self) -> int:
        return len(self.answers)

    def ask(self, questions: Sequence[Question], kept: Sequence[str] = ()) -> None:
        """Ask `questions`, from the one after the answers `kept`, in an empty box."""
        self.questions = tuple(questions)
        self.answers = list(kept)
        self._put_question()

    def _put_question(self) -> None:
        question = self.questions[self.index]
        self.value = ""
        self.placeholder = question.placeholder
        self.password = question.password
        self.max_length = question.max_length

    async def _on_key(self, event: events.Key) -> None:
        answered = self.index == len(self.questions)
        if answered:
            # Until the screen has checked the answers and asks again, nothing typed means anything.
            event.stop()
            event.prevent_default()
            return
        if event.key not in ("enter", "tab", "escape") or (event.key == "escape" and not self.answers):
            return  # Input types it; escape at the first question goes back a step, on the screen
        event.stop()
        event.prevent_default()
        if event.key == "escape":
            self.answers.pop()
        elif not self.value.strip():
            return  # nothing to go on with: the question stays
        else:
            # Tab as well as enter: learners used to forms tab from one box to the next.
            self.answers.append(self.value)
            if self.index == len(self.questions):
                self.post_message(self.Answered(self, tuple(self.answers)))
                return
        self._put_question()
        self.post_message(self.Asked(self, self.index))


class ProfilePromptScreen(ModalScreen[str]):
    app: LambdaTutorApp
    SCREEN_NAME = "profile-prompt"
    AUTO_FOCUS = "#profile-name"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", show=False)]
    # Seconds added to the wait before each further refusal is shown.
    REFUSAL_DELAY_S: ClassVar[float] = 0.5

    def __init__(self, *, roster: bool = False) -> None:
        super().__init__()
        self.roster = roster
        self.step = NAME
        self.name_given = ""
        self.refusals = 0
        self.checking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="profile-box"):
            yield Static("Welcome to lambda-tutor", id="profile-title")
            yield Static("", id="profile-intro", markup=False)
            yield Input(placeholder="your name, e.g. Ann", id="profile-name", max_length=NAME_MAX_LENGTH)
            yield OptionList(
                Option("I have a PIN: I have been here before", id=HAVE_PIN),
                Option("I am new here, or my PIN was reset: I choose a PIN now", id=CHOOSE_PIN),
                id="profile-choice",
                compact=True,
            )
            yield Input(placeholder="your PIN", id="profile-pin", password=True, max_length=PIN_MAX_DIGITS)
            yield QuestionBox(id="profile-new-pin")
            yield Static("", id="profile-rule", markup=False)
            yield Static("", id="profile-error", markup=False)

    def on_mount(self) -> None:
        self._show(NAME)

    # The steps ---------------------------------------------------------------------------------------

    def _show(self, step: str, error: str = "") -> None:
        self.step = step
        shown = {
            NAME: "#profile-name",
            CHOICE: "#profile-choice",
            PIN: "#profile-pin",
            NEW_PIN: "#profile-new-pin",
            LOCKED: "",
        }[step]
        for widget_id in ("#profile-name", "#profile-choice", "#profile-pin", "#profile-new-pin"):
            self.query_one(widget_id).display = widget_id == shown
        self.query_one("#profile-intro", Static).update(self._intro(step))
        self.query_one("#profile-rule", Static).update(self._rule(step))
        if step == NEW_PIN:
            self._ask_new_pin()
        self._error(error)
        if shown:
            # At once, not on the next turn as Widget.focus does: a key typed meanwhile would go to
            # the box left behind.
            self.set_focus(self.query_one(shown))

    def _intro(self, step: str) -> str:
        if step == NAME:
            return (
                "What is your name? Your progress is saved under it; with your PIN you can carry "
                "on from any browser."
            )
        if step == CHOICE:
            return f"Hello {self.name_given}. Have you chosen a PIN here before?"
        if step == PIN:
            return f"Your PIN, {self.name_given}:"
        if step == NEW_PIN:
            return ""  # each question of the box says its own
        return LOCKED_WORDS

    def _rule(self, step: str) -> str:
        if step == NAME:
            return f"Allowed: {NAME_RULE}. Then press enter."
        if step == CHOICE:
            return "Up and down choose; enter goes on; escape goes back to your name."
        if step == PIN:
            return f"A PIN is {PIN_RULE}. Enter goes on; escape goes back."
        return ""

    def _new_pin_questions(self) -> list[Question]:
        count = 3 if self.roster else 2
        go_on_or_back = "Enter goes on; escape goes back a question."
        questions = [
            Question(
                f"1 of {count}: choose a PIN, {self.name_given}.",
                f"A PIN is {PIN_RULE}. Enter goes on; escape goes back.",
                f"a new PIN ({PIN_RULE})",
                password=True,
                max_length=PIN_MAX_DIGITS,
            ),
            Question(
                f"2 of {count}: the same PIN again, to be sure of it.",
                go_on_or_back,
                "the same PIN again",
                password=True,
                max_length=PIN_MAX_DIGITS,
            ),
        ]
        if self.roster:
            questions.append(
                Question(
                    "3 of 3: the join code from your instructor's slip.",
                    go_on_or_back,
                    "join code from your slip",
                    password=False,
                    max_length=JOIN_CODE_MAX_LENGTH,
                )
            )
        return questions

    def _ask_new_pin(self, kept: Sequence[str] = ()) -> None:
        box = self.query_one("#profile-new-pin", QuestionBox)
        box.ask(self._new_pin_questions(), kept)
        self._show_question(box.index)

    def _show_question(self, index: int) -> None:
        question = self.query_one("#profile-new-pin", QuestionBox).questions[index]
        self.query_one("#profile-intro", Static).update(question.heading)
        self.query_one("#profile-rule", Static).update(question.rule)

    def _error(self, text: str) -> None:
        error = self.query_one("#profile-error", Static)
        error.update(f"✗ {text}" if text else "")
        error.display = bool(text)
        # The refusal says what to do; showing the rule as well would push the box off a small screen.
        self.query_one("#profile-rule").display = not text

    def action_back(self) -> None:
        """Escape goes back a step; it never skips the login: every session needs a learner.

        Within the new PIN's questions the box itself takes escape, back to the question before."""
        if self.checking or self.step in (NAME, LOCKED):
            return
        self.query_one("#profile-pin", Input).value = ""
        self._show(CHOICE if self.step in (PIN, NEW_PIN) else NAME)

    # Answers -----------------------------------------------------------------------------------------

    @on(Input.Submitted, "#profile-name")
    def _name_given(self, event: Input.Submitted) -> None:
        try:
            if not event.value.strip():
                raise UserError("type your name first")
            self.name_given = check_name(self.app.store, event.value, roster=self.roster)
        except UserError as refusal:
            self._error(str(refusal))
            return
        self._show(CHOICE)

    @on(OptionList.OptionSelected, "#profile-choice")
    def _choice_made(self, event: OptionList.OptionSelected) -> None:
        self._show(PIN if event.option.id == HAVE_PIN else NEW_PIN)

    @on(Input.Submitted, "#profile-pin")
    def _pin_given(self, event: Input.Submitted) -> None:
        store = self.app.store
        self._check(lambda: log_in(store, self.name_given, event.value))

    @on(QuestionBox.Asked, "#profile-new-pin")
    def _next_question(self, event: QuestionBox.Asked) -> None:
        if self.step != NEW_PIN:
            return  # escaped past the first question before this came: the choice is shown now
        self._show_question(event.index)
        self._error("")  # the learner has moved on from whatever was refused

    @on(QuestionBox.Answered, "#profile-new-pin")
    def _new_pin_given(self, event: QuestionBox.Answered) -> None:
        pin, again, *code = event.answers
        if pin != again:
            self._ask_new_pin()
            self._error("The two PINs differ: choose your PIN again.")
            return
        store = self.app.store
        self._check(
            lambda: join(store, self.name_given, pin, roster=self.roster, join_code=code[0] if code else ""),
            kept=event.answers[:2],
        )

    def _check(self, attempt: Callable[[], Learner], kept: Sequence[str] = ()) -> None:
        if self.checking or self.step == LOCKED:
            return
        self.checking = True
        self.run_worker(self._run_check(attempt, kept), exclusive=True, group="login")

    async def _run_check(self, attempt: Callable[[], Learner], kept: Sequence[str]) -> None:
        """`kept`: the new PIN, twice, asked no more if only the join code was wrong."""
        try:
            # The key stretching takes tens of milliseconds: off the UI thread, so typing stays live.
            learner = await asyncio.to_thread(attempt)
        except UserError as refusal:
            self.refusals += 1
            await asyncio.sleep(self.REFUSAL_DELAY_S * self.refusals)
            self.checking = False
            self.query_one("#profile-pin", Input).value = ""
            if self.refusals >= MAX_REFUSALS:
                self._show(LOCKED)
                return
            if self.step == NEW_PIN:
                self._ask_new_pin(kept if str(refusal) == WRONG_CODE else ())
            self._error(str(refusal))
            return
        self.checking = False
        self.dismiss(learner.display_name)

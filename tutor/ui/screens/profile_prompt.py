"""Browser sessions (`lambda-tutor serve`) start with the learner logging in: a name, then a PIN.

Three steps, one on screen at a time so that each fits 80x24: the name (checked like `--profile`,
and with `serve --roster` against the roster); whether the learner has a PIN already or chooses
one now; then the PIN (or a new PIN twice, and the join code with a roster). Escape goes back a
step. Until a learner is in, nothing else in the app can be used (no palette, no help over the
prompt), so no progress can land under a placeholder profile.

Against guessing: each refusal is answered a little later than the one before, and after
`MAX_REFUSALS` the prompt in this session takes no more tries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tutor.errors import UserError
from tutor.locations import NAME_MAX_LENGTH, NAME_RULE
from tutor.progress.credentials import PIN_MAX_DIGITS, PIN_RULE
from tutor.progress.identity import check_name, join, log_in
from tutor.progress.store import Learner

if TYPE_CHECKING:
    from tutor.ui.app import LambdaTutorApp

NAME, CHOICE, PIN, NEW_PIN, LOCKED = "name", "choice", "pin", "new-pin", "locked"
HAVE_PIN, CHOOSE_PIN = "have-pin", "choose-pin"
MAX_REFUSALS = 5
LOCKED_WORDS = (
    "Too many wrong tries in this session. Ask your instructor: they can reset your PIN "
    "(lambda-tutor workshop roster reset NAME)."
)


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
            yield Input(
                placeholder=f"a new PIN ({PIN_RULE})",
                id="profile-new-pin",
                password=True,
                max_length=PIN_MAX_DIGITS,
            )
            yield Input(
                placeholder="the same PIN again",
                id="profile-confirm",
                password=True,
                max_length=PIN_MAX_DIGITS,
            )
            yield Input(placeholder="join code from your slip", id="profile-code", max_length=16)
            yield Static("", id="profile-rule", markup=False)
            yield Static("", id="profile-error", markup=False)

    def on_mount(self) -> None:
        self._show(NAME)

    # The steps ---------------------------------------------------------------------------------------

    def _show(self, step: str, error: str = "") -> None:
        self.step = step
        shown = {
            NAME: ("#profile-name",),
            CHOICE: ("#profile-choice",),
            PIN: ("#profile-pin",),
            NEW_PIN: ("#profile-new-pin", "#profile-confirm", *(("#profile-code",) if self.roster else ())),
            LOCKED: (),
        }[step]
        for widget_id in ("#profile-name", "#profile-choice", "#profile-pin", "#profile-new-pin"):
            self.query_one(widget_id).display = widget_id in shown
        for widget_id in ("#profile-confirm", "#profile-code"):
            self.query_one(widget_id).display = widget_id in shown
        self.query_one("#profile-intro", Static).update(self._intro(step))
        self.query_one("#profile-rule", Static).update(self._rule(step))
        self._error(error)
        if shown:
            # At once, not on the next turn as Widget.focus does: a key typed meanwhile (tab to the
            # second PIN box) would otherwise move the focus on first and then be undone.
            self.set_focus(self.query_one(shown[0]))

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
            code = " Then the join code from the slip your instructor gave you." if self.roster else ""
            return f"Choose a PIN, {self.name_given}, and type it twice.{code}"
        return LOCKED_WORDS

    def _rule(self, step: str) -> str:
        if step == NAME:
            return f"Allowed: {NAME_RULE}. Then press enter."
        if step == CHOICE:
            return "Up and down choose; enter goes on; escape goes back to your name."
        if step in (PIN, NEW_PIN):
            return f"A PIN is {PIN_RULE}. Enter goes on; escape goes back."
        return ""

    def _error(self, text: str) -> None:
        error = self.query_one("#profile-error", Static)
        error.update(f"✗ {text}" if text else "")
        error.display = bool(text)
        # The refusal says what to do; showing the rule as well would push the box off a small screen.
        self.query_one("#profile-rule").display = not text

    def action_back(self) -> None:
        """Escape goes back a step; it never skips the login: every session needs a learner."""
        if self.checking or self.step in (NAME, LOCKED):
            return
        for widget_id in ("#profile-pin", "#profile-new-pin", "#profile-confirm", "#profile-code"):
            self.query_one(widget_id, Input).value = ""
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

    @on(Input.Submitted, "#profile-new-pin, #profile-confirm, #profile-code")
    def _new_pin_given(self, event: Input.Submitted) -> None:
        fields = [self.query_one(widget_id, Input) for widget_id in ("#profile-new-pin", "#profile-confirm")]
        if self.roster:
            fields.append(self.query_one("#profile-code", Input))
        empty = next((field for field in fields if not field.value.strip()), None)
        if empty is not None:
            # Enter moves on to the next box until every box has something in it.
            self.set_focus(empty)
            return
        pin, confirm = fields[0].value, fields[1].value
        if pin != confirm:
            fields[0].value = fields[1].value = ""
            self.set_focus(fields[0])
            self._error("The two PINs differ: type your new PIN twice again.")
            return
        store = self.app.store
        code = fields[2].value if self.roster else ""
        self._check(lambda: join(store, self.name_given, pin, roster=self.roster, join_code=code))

    def _check(self, attempt: Callable[[], Learner]) -> None:
        if self.checking or self.step == LOCKED:
            return
        self.checking = True
        self.run_worker(self._run_check(attempt), exclusive=True, group="login")

    async def _run_check(self, attempt: Callable[[], Learner]) -> None:
        try:
            # The key stretching takes tens of milliseconds: off the UI thread, so typing stays live.
            learner = await asyncio.to_thread(attempt)
        except UserError as refusal:
            self.refusals += 1
            await asyncio.sleep(self.REFUSAL_DELAY_S * self.refusals)
            self.checking = False
            for widget_id in ("#profile-pin", "#profile-code"):
                self.query_one(widget_id, Input).value = ""
            if self.refusals >= MAX_REFUSALS:
                self._show(LOCKED)
                return
            self._error(str(refusal))
            focus = "#profile-pin" if self.step == PIN else "#profile-new-pin"
            if self.step == NEW_PIN and self.roster and "join code" in str(refusal):
                focus = "#profile-code"
            self.set_focus(self.query_one(focus))
            return
        self.checking = False
        self.dismiss(learner.display_name)

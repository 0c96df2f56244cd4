"""The quiz: one question at a time, feedback after each, a score and a per-topic breakdown at the end.

Open it with `app.open_screen("quiz", module_id="sync")` for a module's quiz (drawn from its bank;
`every_question=True` asks the whole bank) or `app.open_screen("quiz", review=True)` for the
questions due for review. All state lives in a `tutor.quiz.session.QuizSession`; this screen only
shows it and turns keys and clicks into responses. Scenario answers are computed off the UI thread
(the simulator runs once per preset).

A module quiz starts on a choice when there is one to make: resume the quiz left before the end,
start a new one, or take every question instead of a draw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from tutor.content.course import MAX_CHOICES
from tutor.errors import UserError
from tutor.quiz.grading import AnswerError
from tutor.quiz.scoring import PASS_PERCENT, format_percent
from tutor.quiz.session import MODULE, RETRY, CannotResume, QuizSession, presented_steps
from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place
from tutor.ui.widgets.quiz import (
    AnswerList,
    NumberAnswer,
    OrderingAnswer,
    QuizFeedback,
    QuizResults,
    answer_widget_for,
    hint_for,
    question_meta,
)

if TYPE_CHECKING:
    from tutor.ui.app import LambdaTutorApp

LOADING, CHOICE, QUESTION, FEEDBACK, RESULTS, EMPTY = (
    "loading",
    "choice",
    "question",
    "feedback",
    "results",
    "empty",
)


class QuizScreen(Screen):
    SCREEN_NAME = "quiz"
    HELP_TITLE = "Quiz"
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "begin('resume')", "Resume", id="quiz.resume"),
        Binding("enter", "begin", "Start", id="quiz.begin"),
        Binding("n", "begin('new')", "New quiz", id="quiz.new"),
        Binding("a", "begin('all')", "All questions", id="quiz.all"),
        Binding("enter", "submit", "Submit", id="quiz.submit"),
        Binding("enter", "next", "Next", id="quiz.next"),
        Binding("l", "open_lesson", "Open the lesson", id="quiz.lesson"),
        Binding("r", "retry", "Retry the ones I missed", id="quiz.retry"),
        Binding("escape", "leave", "Leave", id="quiz.leave"),
        # The answer widget has these keys itself; here they also reach it when focus is elsewhere,
        # and help lists them.
        Binding(
            "1",
            "pick(1)",
            "Pick a choice (1-8); in matching, the highlighted item's match",
            key_display="1-8",
            show=False,
            id="quiz.pick",
        ),
        *(Binding(str(n), f"pick({n})", show=False) for n in range(2, MAX_CHOICES + 1)),
        Binding(
            "space",
            "pick_highlighted",
            "Pick, or toggle in multiple choice, the highlighted choice",
            show=False,
            id="quiz.pick-highlighted",
        ),
        Binding(
            "u",
            "move(-1)",
            "Ordering: move the highlighted step up (also shift+↑)",
            show=False,
            id="quiz.move-up",
        ),
        Binding(
            "d",
            "move(1)",
            "Ordering: move the highlighted step down (also shift+↓)",
            show=False,
            id="quiz.move-down",
        ),
        Binding("pageup", "scroll(-1)", "Scroll up", show=False, id="quiz.page-up"),
        Binding("pagedown", "scroll(1)", "Scroll down", show=False, id="quiz.page-down"),
    ]

    app: LambdaTutorApp

    class Answered(Message):
        """A question was graded (for tests and anything that listens)."""

        def __init__(self, question_id: str, points: float, correct: bool) -> None:
            super().__init__()
            self.question_id = question_id
            self.points = points
            self.correct = correct

    class Finished(Message):
        """The last question was answered; `attempt_id` is set when a module attempt was stored."""

        def __init__(
            self,
            mode: str,
            module_id: str | None,
            points: float,
            max_points: float,
            percent: float,
            attempt_id: int | None,
        ) -> None:
            super().__init__()
            self.mode = mode
            self.module_id = module_id
            self.points = points
            self.max_points = max_points
            self.percent = percent
            self.attempt_id = attempt_id

    _partial_confirmed = False  # enter was pressed once on a matching with items left unmatched

    def __init__(
        self,
        module_id: str | None = None,
        *,
        review: bool = False,
        every_question: bool = False,
        clock: Callable[[], datetime] | None = None,
        resume_kept: bool = False,
    ) -> None:
        super().__init__()
        course = self.app.course
        if not review and module_id is None:
            module_id = course.modules[0].id if course.modules else None
        self.module_id = module_id
        self.review = review
        self.every_question = every_question
        self.clock = clock
        # A browser session reopened after a dropped connection goes straight back into the kept quiz.
        self.resume_kept = resume_kept
        self._session: QuizSession | None = None
        # On the start choice: the new quiz on offer, and the kept one that can be resumed.
        self._fresh: QuizSession | None = None
        self._resumable: QuizSession | None = None
        self.phase = LOADING
        self.heading = "Review" if review else "Quiz"
        self.unavailable = "This course has no modules yet."
        if not review and module_id is not None:
            try:
                self.heading = course.module(module_id).title
            except KeyError:
                self.module_id = None
                self.unavailable = f"There is no module {module_id!r} in this course."

    # Layout -------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Masthead(place("Quiz", self.heading), "")
        # Not focusable: the answer widget is the one thing tab can reach, so keys always land there.
        with VerticalScroll(id="quiz-scroll", can_focus=False):
            yield Static("", id="quiz-status")
            with Vertical(id="quiz-choice"):
                yield Static("", id="quiz-choice-text")
                with Horizontal(id="quiz-choice-buttons"):
                    yield Button("", id="quiz-begin", compact=True)
                    yield Button("New quiz (n)", id="quiz-new", compact=True)
                    yield Button("", id="quiz-all", compact=True)
            with Vertical(id="quiz-question-view"):
                yield Static("", id="quiz-meta")
                yield Static("", id="quiz-prompt", markup=False)
                yield Container(id="quiz-answer")
                with Horizontal(id="quiz-actions"):
                    yield Static("", id="quiz-hint")
                    yield Button("Submit  ⏎", id="quiz-go", compact=True)
                yield QuizFeedback(id="quiz-feedback")
            yield QuizResults(id="quiz-results")
        yield Footer()

    def on_mount(self) -> None:
        for button in self.query(Button):
            # Enter always means the screen's submit / next, never "press the focused button".
            button.can_focus = False
        self.query_one("#quiz-question-view").display = False
        self.query_one("#quiz-choice").display = False
        self.query_one(QuizResults).display = False
        self.query_one("#quiz-status", Static).update("Getting the questions ready…")
        self.run_worker(self._load(), exclusive=True, group="quiz-load")

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"store": self.app.store, "profile": self.app.profile}
        if self.clock is not None:
            options["clock"] = self.clock
        return options

    async def _load(self) -> None:
        app = self.app
        if self.review:
            clock: dict[str, Any] = {"clock": self.clock} if self.clock is not None else {}
            build = partial(QuizSession.for_review, app.course, app.store, app.profile, **clock)
        elif self.module_id is not None:
            build = partial(self._module_sessions, self.module_id)
        else:
            self._show_empty(f"{self.unavailable} Escape returns to the course map.")
            return
        # Scenario questions run the simulator: keep the UI responsive meanwhile.
        try:
            session = await asyncio.to_thread(build)
        except UserError as error:  # the progress store could not be read
            self._show_empty(f"The quiz cannot start: {error}")
            return
        if self.resume_kept and self._resumable is not None:
            session, self._resumable = self._resumable, None
            self.start(session)
        elif self._resumable is not None or (
            session.mode == MODULE and session.total < session.bank_size and session.total > 0
        ):
            self._fresh = session
            self._show_choice()
        else:
            self.start(session)

    def _module_sessions(self, module_id: str) -> QuizSession:
        """The new quiz (drawn, or every question), and the kept one as `_resumable` if it can be.

        Runs off the UI thread."""
        app = self.app
        kept = app.store.kept_quiz(app.profile, module_id)
        if kept is not None:
            try:
                self._resumable = QuizSession.resume(app.course, kept, **self._options())
            except CannotResume as error:
                app.store.drop_kept_quiz(app.profile, module_id)
                app.call_from_thread(
                    self.notify,
                    f"The quiz you left cannot be resumed: {error}.",
                    title="A new quiz instead",
                    severity="warning",
                    timeout=10,
                )
        return QuizSession.for_module(
            app.course, module_id, every_question=self.every_question, **self._options()
        )

    # The start choice ---------------------------------------------------------------------------

    def _show_choice(self) -> None:
        fresh = self._fresh
        assert fresh is not None, "the choice is shown once the new quiz is ready"
        kept = self._resumable
        self.phase = CHOICE
        all_label = f"All {fresh.bank_size} questions (a)"
        drawn = fresh.total < fresh.bank_size
        if kept is not None:
            answered = len(kept.answered)
            right = sum(1 for a in kept.answered if a.grade.correct)
            text = Content.assemble(
                ("You left this quiz before the end.\n", "bold"),
                f"Question {kept.index + 1} of {kept.total} is next; you answered {answered} "
                f"({right} right). Resume with the same questions in the same order and your answers "
                "kept, or start a new quiz (the one you left is then dropped).",
            )
            begin = f"Resume at question {kept.index + 1}  ⏎"
        else:
            text = Content.assemble(
                (f"{fresh.total} questions, drawn from the {fresh.bank_size} of this module.\n", "bold"),
                "Every lesson is asked about before any is asked twice, and questions you have not "
                f"answered right yet come first. {format_percent(PASS_PERCENT)} passes the module.",
            )
            begin = f"Start the {fresh.total} questions  ⏎"
        self.query_one("#quiz-choice-text", Static).update(text)
        self.query_one("#quiz-begin", Button).label = begin
        self.query_one("#quiz-new", Button).display = kept is not None
        all_button = self.query_one("#quiz-all", Button)
        all_button.label = all_label
        all_button.display = drawn
        self.query_one("#quiz-status", Static).display = False
        self.query_one("#quiz-choice").display = True
        self.query_one(Masthead).show(right="")
        self.refresh_bindings()

    async def action_begin(self, which: str = "") -> None:
        """enter: resume the kept quiz, else start the new one; n: a new one; a: every question."""
        if self.phase != CHOICE or self._fresh is None:
            return
        if which == "all":
            self.every_question = True
            if self._fresh.total < self._fresh.bank_size and self.module_id is not None:
                self.phase = LOADING
                self.query_one("#quiz-choice").display = False
                status = self.query_one("#quiz-status", Static)
                status.update("Getting the questions ready…")
                status.display = True
                build = partial(
                    QuizSession.for_module,
                    self.app.course,
                    self.module_id,
                    every_question=True,
                    **self._options(),
                )
                try:
                    self._fresh = await asyncio.to_thread(build)
                except UserError as error:  # the progress store could not be read
                    self._show_empty(f"The quiz cannot start: {error}")
                    return
        session = self._resumable if which == "resume" and self._resumable is not None else self._fresh
        self._resumable = self._fresh = None
        self.query_one("#quiz-choice").display = False
        self.start(session)

    @on(Button.Pressed, "#quiz-choice-buttons Button")
    async def _choice_pressed(self, event: Button.Pressed) -> None:
        resume = "resume" if self._resumable is not None else ""
        which = {"quiz-new": "new", "quiz-all": "all"}.get(event.button.id or "", resume)
        await self.action_begin(which)

    # Showing the session ------------------------------------------------------------------------

    @property
    def session(self) -> QuizSession:
        """The session on show. Every phase but loading and empty has one; check_action keeps the
        keys that need it off until then."""
        if self._session is None:
            raise RuntimeError("the quiz has no session while it loads or has nothing to ask")
        return self._session

    def start(self, session: QuizSession) -> None:
        self._session = session
        if session.notice:
            self.notify(session.notice, title="Some questions left out", severity="warning", timeout=10)
        if session.total == 0:
            self._show_empty(self._nothing_to_ask())
            return
        try:
            session.begin()  # a new module quiz is kept from here on, replacing one left before
        except UserError as error:
            self.notify(str(error), title="This quiz cannot be resumed if you leave", severity="error")
        self.query_one("#quiz-status", Static).display = False
        self.query_one(QuizResults).display = False
        if session.finished:  # left on the last question's feedback: every answer is in
            self._finish()
            self._show_results()
            return
        self.query_one("#quiz-question-view").display = True
        self.call_later(self._show_question)

    def _nothing_to_ask(self) -> str:
        if not self.review:
            return "This module has no quiz questions yet. Escape returns to the course map."
        cards = self.app.store.review_cards(self.app.profile)
        # A card retired from the Leitner boxes kept its never-coming date in the move to FSRS.
        upcoming = sorted(card.due for card in cards.values() if card.due < date.max)
        if upcoming:
            return (
                f"Nothing is due for review today. Your next review is on {upcoming[0].isoformat()} (UTC). "
                "Escape returns to the course map."
            )
        return (
            "Nothing to review: questions you miss in a quiz come back here the next day. "
            "Escape returns to the course map."
        )

    def _show_empty(self, text: str) -> None:
        self.phase = EMPTY
        status = self.query_one("#quiz-status", Static)
        status.update(text)
        status.display = True
        self.query_one("#quiz-question-view").display = False
        self.query_one(Masthead).show(right="")
        self.refresh_bindings()

    async def _show_question(self) -> None:
        session = self.session
        question = session.current
        self.phase = QUESTION
        self._partial_confirmed = False
        retry = "Retry of the ones missed" if session.mode == RETRY else ""
        self.query_one(Masthead).show(left=place("Quiz", self.heading, retry), right=session.counter)
        self.query_one("#quiz-meta", Static).update(question_meta(question, session.lesson_title(question)))
        self.query_one("#quiz-prompt", Static).update(question.prompt)
        self.query_one("#quiz-hint", Static).update(hint_for(question))
        feedback = self.query_one(QuizFeedback)
        feedback.display = False
        container = self.query_one("#quiz-answer", Container)
        await container.remove_children()
        steps = presented_steps(question) if question.kind == "ordering" else None
        widget = answer_widget_for(
            question, steps, session.computed_answer(question), session.choice_order(question)
        )
        await container.mount(widget)
        self.query_one("#quiz-go", Button).label = "Submit  ⏎"
        self.query_one("#quiz-scroll", VerticalScroll).scroll_home(animate=False)
        widget.focus()
        self.refresh_bindings()

    def _answer_widget(self) -> AnswerList | NumberAnswer:
        return self.query_one("#quiz-answer-input")  # type: ignore[return-value]

    # Answering ----------------------------------------------------------------------------------

    def action_submit(self) -> None:
        if self.phase != QUESTION:
            return
        session = self.session
        widget = self._answer_widget()
        response = widget.response
        if response is None:
            self._hint_error("Pick an answer first (a digit key, or ↑↓ and space).")
            return
        unmatched = (
            sum(1 for match in response.values() if match is None) if isinstance(response, dict) else 0
        )
        if unmatched and not self._partial_confirmed:
            # A stray enter would otherwise grade a half-done matching as final.
            self._partial_confirmed = True
            items = "1 item has" if unmatched == 1 else f"{unmatched} items have"
            self._hint_error(f"{items} no match yet: enter again submits as is.")
            return
        try:
            session.submit(response)
        except AnswerError as error:
            self._hint_error(f"{str(error)[:1].upper()}{str(error)[1:]}.")
            return
        except UserError as error:
            # Graded, but the review card could not be saved: say so, carry on.
            self.notify(str(error), title="Progress not saved", severity="error", timeout=15)
        answered = session.current_result
        assert answered is not None, "submit() records the current question's result"
        self.phase = FEEDBACK
        widget.disabled = True
        widget.reveal()
        self.query_one("#quiz-hint", Static).update("")
        feedback = self.query_one(QuizFeedback)
        feedback.show(
            answered,
            session.computed_answer(answered.question),
            session.lesson_title(answered.question),
            last=session.index == session.total - 1,
        )
        feedback.display = True
        self.query_one("#quiz-go", Button).label = (
            "See the results  ⏎" if session.index == session.total - 1 else "Next question  ⏎"
        )
        self.post_message(self.Answered(answered.question.id, answered.grade.points, answered.grade.correct))
        self.call_after_refresh(feedback.scroll_visible, animate=False)
        self.refresh_bindings()

    def _hint_error(self, text: str) -> None:
        self.query_one("#quiz-hint", Static).update(Content.styled(f"✗ {text}", "$text-error"))
        self.app.bell()

    @on(Input.Submitted, "#quiz-answer-input")
    def _number_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if self.phase == QUESTION:
            self.action_submit()
        elif self.phase == FEEDBACK:
            self.run_worker(self.action_next(), group="quiz-next")

    @on(AnswerList.Changed)
    def _response_changed(self) -> None:
        self._partial_confirmed = False
        if self.phase == QUESTION:
            question = self.session.current
            self.query_one("#quiz-hint", Static).update(hint_for(question))

    @on(Button.Pressed, "#quiz-go")
    async def _go_pressed(self) -> None:
        if self.phase == QUESTION:
            self.action_submit()
        elif self.phase == FEEDBACK:
            await self.action_next()

    async def action_next(self) -> None:
        if self.phase != FEEDBACK:
            return
        session = self.session
        try:
            more = session.advance()
        except UserError as error:
            self.notify(str(error), title="Score not saved", severity="error", timeout=15)
            more = not session.finished
        if more:
            await self._show_question()
        else:
            self._show_results()

    # Results ------------------------------------------------------------------------------------

    def _finish(self) -> None:
        try:
            self.session.finish()
        except UserError as error:
            self.notify(str(error), title="Score not saved", severity="error", timeout=15)

    def _show_results(self) -> None:
        session = self.session
        self.phase = RESULTS
        self.query_one("#quiz-question-view").display = False
        results = self.query_one(QuizResults)
        results.show(session)
        results.display = True
        self.query_one(Masthead).show(right=f"{session.total} / {session.total} · done")
        self.query_one("#quiz-scroll", VerticalScroll).scroll_home(animate=False)
        self.post_message(
            self.Finished(
                session.mode,
                session.module_id,
                session.points,
                session.max_points,
                session.percent,
                session.attempt_id if session.stored else None,
            )
        )
        self.refresh_bindings()

    @on(Button.Pressed, "#quiz-retry")
    def _retry_pressed(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#quiz-back")
    def _back_pressed(self) -> None:
        self.dismiss_quiz()

    def action_retry(self) -> None:
        if self.phase == RESULTS and self.session.missed():
            self.start(self.session.retry())

    def _answer_list(self) -> AnswerList | None:
        if self.phase != QUESTION:
            return None
        widget = self._answer_widget()
        if isinstance(widget, AnswerList) and not widget.disabled:
            widget.focus()
            return widget
        return None

    def action_pick(self, number: int) -> None:
        widget = self._answer_list()
        if widget is not None:
            widget.action_digit(number)

    def action_pick_highlighted(self) -> None:
        widget = self._answer_list()
        if widget is not None:
            widget.action_act_on_cursor()

    def action_move(self, step: int) -> None:
        widget = self._answer_list()
        if isinstance(widget, OrderingAnswer):
            widget.action_move(step)

    def action_scroll(self, direction: int) -> None:
        scroll = self.query_one("#quiz-scroll", VerticalScroll)
        if direction < 0:
            scroll.scroll_page_up()
        else:
            scroll.scroll_page_down()

    # Leaving and the lesson ---------------------------------------------------------------------

    async def action_open_lesson(self) -> None:
        if self.phase == FEEDBACK:
            await self.app.open_screen("lesson", lesson_id=self.session.current.lesson)

    def action_leave(self) -> None:
        session = self._session
        if (
            self.phase in (QUESTION, FEEDBACK)
            and session is not None
            and session.keeps
            and session.answered
            and not session.finished
        ):
            # Nothing is lost by leaving, so no "are you sure": say how to come back instead.
            self.app.notify(
                f"Your {len(session.answered)} answer(s) are kept: open this module's quiz again "
                "to resume it.",
                title="Quiz kept",
                timeout=6,
            )
        self.dismiss_quiz()

    def dismiss_quiz(self) -> None:
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "begin":
            if self.phase != CHOICE:
                return False
            which = parameters[0] if parameters else ""
            if which in ("resume", "new"):
                return self._resumable is not None
            if which == "":
                return self._resumable is None
            if which == "all":
                return self.query_one("#quiz-all", Button).display
            return True
        if action == "submit":
            return self.phase == QUESTION
        if action in ("next", "open_lesson"):
            return self.phase == FEEDBACK
        if action == "retry":
            return self.phase == RESULTS and bool(self._session and self._session.missed())
        return True

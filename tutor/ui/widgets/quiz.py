"""Answer widgets of the quiz screen, one per way of answering, all driven the same way.

Each is a focusable list of rows with a highlighted cursor row: ↑/↓ move it, digit keys act on
row N, space acts on the cursor row, a click acts on the clicked row. What "act" means is the
kind's: pick (single choice), toggle (multiple choice), assign an option (matching). Ordering
moves the highlighted step with u/d or shift+↑/↓. Every widget offers `response` in the words
`tutor.quiz.grading` expects, and `reveal()` marks each row right or wrong after grading.

Choices are shown in the attempt's order (`order`: bank positions, `QuizSession.choice_order`);
the row number is only where a choice sits on screen, the response names the choice itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Input, Static

from tutor.content.course import MAX_CHOICES, Question
from tutor.quiz.grading import SCORING_RULE, format_number, format_points, right_answer_text
from tutor.quiz.scoring import PASS_PERCENT, format_percent
from tutor.quiz.session import MODULE, REVIEW

RIGHT = "✓"
WRONG = "✗"


class ChoiceRow(Static):
    """One row of an answer list; clicking it tells the list which row."""

    DEFAULT_CSS = """
    ChoiceRow {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    ChoiceRow.-cursor {
        background: $boost;
        text-style: bold;
    }
    """

    class Clicked(Message):
        def __init__(self, row: ChoiceRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, index: int, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self.index = index

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Clicked(self))


class AnswerList(Vertical, can_focus=True):
    DEFAULT_CSS = """
    AnswerList {
        height: auto;
        padding: 0;
        margin: 1 0 0 0;
        /* Here, not in ChoiceRow's scoped CSS, where Textual's prefix made it match nothing. */
        &:focus ChoiceRow.-cursor {
            background: $accent 30%;
        }
    }
    AnswerList:disabled {
        opacity: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("home", "cursor_to(0)", show=False),
        Binding("end", "cursor_to(-1)", show=False),
        Binding("space", "act_on_cursor", "Pick", show=False),
        *(Binding(str(n), f"digit({n})", show=False) for n in range(1, MAX_CHOICES + 1)),
    ]

    cursor: reactive[int] = reactive(0, init=False)

    class Changed(Message):
        """The learner's response changed (a pick, a toggle, a move)."""

    def __init__(self, question: Question, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.question = question
        self.revealed = False

    # What subclasses say --------------------------------------------------------------------

    def row_count(self) -> int:
        return 0

    def row_label(self, index: int) -> Content:
        return Content("")

    def act(self, index: int) -> None:
        """Pick, toggle or assign row `index` (0-based)."""

    @property
    def response(self) -> Any:
        return None

    def reveal(self) -> None:
        """After grading: mark rows right or wrong."""
        self.revealed = True
        self.refresh_rows()

    # Shared machinery -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        for index in range(self.row_count()):
            yield ChoiceRow(index)

    def on_mount(self) -> None:
        self.refresh_rows()

    def rows(self) -> list[ChoiceRow]:
        return list(self.query(ChoiceRow))

    def refresh_rows(self) -> None:
        for row in self.rows():
            row.update(self.row_label(row.index))
            highlighted = row.index == self.cursor and not self.revealed
            if row.has_class("-cursor") != highlighted:  # restyling is the costly part: only on change
                row.set_class(highlighted, "-cursor")

    def watch_cursor(self) -> None:
        self.refresh_rows()
        rows = self.rows()
        if 0 <= self.cursor < len(rows):
            rows[self.cursor].scroll_visible()

    def changed(self) -> None:
        self.refresh_rows()
        self.post_message(self.Changed())

    def action_cursor(self, step: int) -> None:
        self.cursor = max(0, min(self.row_count() - 1, self.cursor + step))

    def action_cursor_to(self, index: int) -> None:
        self.cursor = index % self.row_count()

    def action_act_on_cursor(self) -> None:
        self.act(self.cursor)

    def action_digit(self, number: int) -> None:
        if number <= self.digit_limit():
            self.act_on_digit(number - 1)
        else:
            self.app.bell()

    def digit_limit(self) -> int:
        return self.row_count()

    def act_on_digit(self, index: int) -> None:
        self.cursor = index
        self.act(index)

    def on_choice_row_clicked(self, message: ChoiceRow.Clicked) -> None:
        message.stop()
        if self.disabled:
            return
        self.focus()
        self.clicked(message.row)

    def clicked(self, row: ChoiceRow) -> None:
        self.cursor = row.index
        self.act(row.index)


def _choice_text(question: Question, value: Any) -> str:
    if isinstance(value, float):
        text = format_number(value)
        return f"{text} {question.unit}" if question.unit else text
    return str(value)


class SingleChoice(AnswerList):
    """single, truefalse (True / False) and scenario questions with choices: pick one."""

    def __init__(self, question: Question, right_value: Any, order: list[int], **kwargs: Any) -> None:
        super().__init__(question, **kwargs)
        if question.kind == "truefalse":
            self.values: list[Any] = [True, False]
            self.labels = ["True", "False"]
        else:
            self.values = [question.choices[position] for position in order]
            self.labels = [_choice_text(question, value) for value in self.values]
        self.picked: int | None = None
        self.right_value = right_value

    def row_count(self) -> int:
        return len(self.values)

    def row_label(self, index: int) -> Content:
        marker = "(•)" if index == self.picked else "( )"
        line = Content.assemble(f"{marker} ", (f"{index + 1}", "bold"), f"  {self.labels[index]}")
        if self.revealed:
            if self.values[index] == self.right_value:
                line = line.append(Content.styled(f"  {RIGHT} right answer", "$text-success"))
            elif index == self.picked:
                line = line.append(Content.styled(f"  {WRONG} your pick", "$text-error"))
        return line

    def act(self, index: int) -> None:
        self.picked = index
        self.changed()

    @property
    def response(self) -> Any:
        return None if self.picked is None else self.values[self.picked]


class MultipleChoice(AnswerList):
    """Pick every right answer: each row toggles."""

    def __init__(self, question: Question, order: list[int], **kwargs: Any) -> None:
        super().__init__(question, **kwargs)
        self.shown = [question.choices[position] for position in order]
        self.picked: set[int] = set()

    def row_count(self) -> int:
        return len(self.shown)

    def row_label(self, index: int) -> Content:
        marker = "[x]" if index in self.picked else "[ ]"
        choice = self.shown[index]
        line = Content.assemble(f"{marker} ", (f"{index + 1}", "bold"), f"  {choice}")
        if self.revealed:
            is_right = choice in self.question.answer
            if is_right and index in self.picked:
                line = line.append(Content.styled(f"  {RIGHT} right, picked", "$text-success"))
            elif is_right:
                line = line.append(Content.styled(f"  {WRONG} right, missed", "$text-error"))
            elif index in self.picked:
                line = line.append(Content.styled(f"  {WRONG} wrong, picked", "$text-error"))
        return line

    def act(self, index: int) -> None:
        self.picked ^= {index}
        self.changed()

    @property
    def response(self) -> set[str]:
        return {self.shown[index] for index in self.picked}


class OrderingAnswer(AnswerList):
    """Steps in the learner's order; u/d or shift+↑/↓ move the highlighted step."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "move(-1)", "Move up", key_display="u", id="quiz.move-up"),
        Binding("d", "move(1)", "Move down", key_display="d", id="quiz.move-down"),
        Binding("shift+up", "move(-1)", "Move up", show=False),
        Binding("shift+down", "move(1)", "Move down", show=False),
    ]

    def __init__(self, question: Question, steps: list[str], **kwargs: Any) -> None:
        super().__init__(question, **kwargs)
        self.steps = list(steps)

    def row_count(self) -> int:
        return len(self.steps)

    def row_label(self, index: int) -> Content:
        step = self.steps[index]
        grip = "↕" if index == self.cursor and not self.revealed else " "
        line = Content.assemble(f"{grip} ", (f"{index + 1}.", "bold"), f" {step}")
        if self.revealed:
            right_place = self.question.choices.index(step)
            if right_place == index:
                line = line.append(Content.styled(f"  {RIGHT} in place", "$text-success"))
            else:
                line = line.append(Content.styled(f"  {WRONG} belongs at {right_place + 1}", "$text-error"))
        return line

    def act(self, index: int) -> None:
        """Digits and clicks only choose the step to move."""

    def action_move(self, step: int) -> None:
        if self.disabled:
            return
        target = self.cursor + step
        if not 0 <= target < len(self.steps):
            self.app.bell()
            return
        self.steps[self.cursor], self.steps[target] = self.steps[target], self.steps[self.cursor]
        self.cursor = target
        self.changed()

    @property
    def response(self) -> list[str]:
        return list(self.steps)


class MatchingAnswer(AnswerList):
    """One row per left item; a digit matches the highlighted row and moves on to the next item."""

    def __init__(self, question: Question, order: list[int], **kwargs: Any) -> None:
        super().__init__(question, **kwargs)
        self.options = [question.choices[position] for position in order]
        self.left = list(question.matching_left)
        self.assigned: dict[str, str | None] = dict.fromkeys(self.left)
        self.width = max(len(item) for item in self.left)
        self.side_by_side = (
            self.width + 5 + max(len(option) for option in question.choices) <= self.SIDE_BY_SIDE_WIDTH
        )

    # Wider than this, an item and its match no longer sit side by side in 80 columns.
    SIDE_BY_SIDE_WIDTH = 70
    OPTIONS_ON_ONE_LINE = 64

    def compose(self) -> ComposeResult:
        yield from super().compose()
        numbered = [f"{number}  {option}" for number, option in enumerate(self.options, 1)]
        if sum(len(text) + 3 for text in numbered) <= self.OPTIONS_ON_ONE_LINE:
            options = Content.assemble(("Options  ", "$text-muted"), "   ".join(numbered))
        else:
            options = Content("\n").join(
                [Content.styled("Options", "$text-muted"), *(Content(f"  {text}") for text in numbered)]
            )
        yield Static(options, id="matching-options", markup=False)

    def row_count(self) -> int:
        return len(self.left)

    def digit_limit(self) -> int:
        return len(self.options)

    def row_label(self, index: int) -> Content:
        item = self.left[index]
        option = self.assigned[item]
        shown = option if option is not None else "?"
        if not self.side_by_side:
            line = Content.assemble(f"{item}\n    →  ", (shown, "bold"))
        else:
            line = Content.assemble(f"{item.ljust(self.width)}  →  ", (shown, "bold"))
        if self.revealed:
            right = self.question.answer[item]
            if option == right:
                line = line.append(Content.styled(f"  {RIGHT}", "$text-success"))
            else:
                line = line.append(Content.styled(f"  {WRONG} {right}", "$text-error"))
        return line

    def act(self, index: int) -> None:
        """A click on a row only highlights it; the option comes from a digit."""

    def act_on_digit(self, index: int) -> None:
        self.assigned[self.left[self.cursor]] = self.options[index]
        self.changed()
        # The hint says so ("match it and move on"), so the jump is never a surprise.
        if self.cursor < len(self.left) - 1:
            self.cursor += 1

    def action_act_on_cursor(self) -> None:
        """Space cycles the highlighted row through the options (a digit picks one directly)."""
        current = self.assigned[self.left[self.cursor]]
        options = self.options
        following = options[(options.index(current) + 1) % len(options)] if current in options else options[0]
        self.assigned[self.left[self.cursor]] = following
        self.changed()

    def clicked(self, row: ChoiceRow) -> None:
        self.cursor = row.index
        self.action_act_on_cursor()

    @property
    def response(self) -> dict[str, str | None]:
        return dict(self.assigned)


class NumberAnswer(Input):
    """numeric and scenario questions without choices: the learner types a number."""

    def __init__(self, question: Question, **kwargs: Any) -> None:
        unit = f" (in {question.unit})" if question.unit else ""
        super().__init__(placeholder=f"type a number{unit}", **kwargs)
        self.question = question

    @property
    def response(self) -> str:
        return self.value

    def reveal(self) -> None:
        """The feedback says the right number; the typed one stays as it was."""


def answer_widget_for(
    question: Question,
    steps: list[str] | None = None,
    computed: float | None = None,
    order: list[int] | None = None,
) -> AnswerList | NumberAnswer:
    """The widget for this question; `computed` is a scenario question's answer (to mark it),
    `order` the bank positions of the choices as this attempt shows them (bank order if None)."""
    kind = question.kind
    shown = order if order is not None else list(range(len(question.choices)))
    if kind in ("single", "truefalse") or (kind == "scenario" and question.choices):
        right_value = question.answer
        if kind == "scenario" and computed is not None:
            right_value = min(question.choices, key=lambda choice: abs(choice - computed))
        widget: AnswerList | NumberAnswer = SingleChoice(question, right_value, shown, id="quiz-answer-input")
    elif kind == "multiple":
        widget = MultipleChoice(question, shown, id="quiz-answer-input")
    elif kind == "ordering":
        widget = OrderingAnswer(question, steps or list(question.choices), id="quiz-answer-input")
    elif kind == "matching":
        widget = MatchingAnswer(question, shown, id="quiz-answer-input")
    else:
        widget = NumberAnswer(question, id="quiz-answer-input")
    return widget


# Around the answer: what the question is about, how to answer, how it went --------------------

KIND_NAMES = {
    "single": "single choice",
    "multiple": "multiple choice",
    "truefalse": "true or false",
    "numeric": "a number",
    "ordering": "put in order",
    "matching": "matching",
    "scenario": "simulation",
}


def question_meta(question: Question, topic: str) -> Content:
    dots = "●" * question.difficulty + "○" * (3 - question.difficulty)
    parts: list[str | tuple[str, str]] = [
        ("Topic ", "$text-muted"),
        (topic, "bold"),
        ("  ·  ", "$text-muted"),
        KIND_NAMES[question.kind],
        ("  ·  difficulty ", "$text-muted"),
        dots,
    ]
    if question.kind == "scenario":
        setting = ", ".join(f"{key} = {value}" for key, value in question.overrides.items())
        scenario = f"{question.scenario} ({setting})" if setting else question.scenario or ""
        parts += [("\nSimulated ", "$text-muted"), scenario]
    return Content.assemble(*parts)


def hint_for(question: Question) -> Content:
    kind = question.kind
    count = len(question.choices) if question.choices else 2
    if kind in ("single", "truefalse") or (kind == "scenario" and question.choices):
        text = f"1-{count}, or ↑↓ and space, or a click picks; enter submits."
    elif kind == "multiple":
        text = f"1-{count} or space toggles; enter submits. Partial credit: right − wrong picks."
    elif kind == "ordering":
        text = "↑↓ choose a step, u/d or shift+↑↓ move it; enter submits."
    elif kind == "matching":
        text = f"↑↓ choose; 1-{count} match it and move on; enter submits."
    else:
        unit = f" (in {question.unit})" if question.unit else ""
        text = f"Type a number{unit}, then enter."
    return Content.styled(text, "$text-muted")


class QuizFeedback(Static):
    """✓ or ✗ in words, what the learner answered, the explanation, the source and the lesson."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)

    def show(self, answered, computed: float | None, lesson_title: str, last: bool = False) -> None:
        question = answered.question
        grade = answered.grade
        right = right_answer_text(question, computed)
        points = f"{format_points(grade.points)} of {format_points(grade.max_points)} point"
        if grade.correct:
            head = Content.assemble(
                (f"{RIGHT} Right", "bold $text-success"), (f"  ({points})", "$text-muted")
            )
        elif grade.points > 0:
            head = Content.assemble(
                (f"{WRONG} Partly right", "bold $text-warning"),
                f" ({points}): the answer is ",
                (right, "bold"),
            )
        else:
            head = Content.assemble(
                (f"{WRONG} Not quite", "bold $text-error"),
                ": the answer is ",
                (right, "bold"),
                (f"  ({points})", "$text-muted"),
            )
        following = "see the results" if last else "next question"
        lines = [
            head,
            Content(question.explanation),
            Content.assemble(
                ("Source ", "$text-muted"), Content.styled(question.source, f"link {question.source}")
            ),
            Content.assemble(
                ("l", "bold"), f" opens the lesson “{lesson_title}”  ·  ", ("enter", "bold"), f" {following}"
            ),
        ]
        self.set_class(grade.correct, "-right")
        self.set_class(0 < grade.points < grade.max_points, "-partly")
        self.set_class(grade.points == 0, "-wrong")
        self.update(Content("\n").join(lines))


class QuizResults(Vertical):
    """The last screen: points and percent, a line per topic, and the way to retry what was missed."""

    def compose(self) -> ComposeResult:
        yield Static("", id="results-score")
        yield Static("", id="results-topics")
        yield Static("", id="results-next")
        with Horizontal():
            yield Button("Retry the ones I missed (r)", id="quiz-retry", compact=True)
            yield Button("Back (escape)", id="quiz-back", compact=True)
        yield Static(Content.assemble(("How scoring works  ", "bold"), SCORING_RULE), id="results-rule")

    def show(self, session) -> None:
        points = f"{format_points(session.points)} of {format_points(session.max_points)} points"
        percent = format_percent(session.percent)
        if session.perfect:
            verdict = ("★ Perfect", "bold $text-success")
        elif session.passed:
            verdict = (f"{RIGHT} Passed", "bold $text-success")
        else:
            verdict = (
                f"{WRONG} Not passed yet ({format_percent(PASS_PERCENT)} passes)",
                "bold $text-warning",
            )
        # A review's title is "Review": "Review finished: Review" said it twice.
        what = {MODULE: f"Quiz finished: {session.title}", REVIEW: "Review finished"}.get(
            session.mode, f"Retry finished: {session.title}"
        )
        # Only a module quiz is passed or not: a review or a retry is practice and stores no score.
        judged = ("  ·  ", verdict) if session.mode == MODULE else ()
        self.query_one("#results-score", Static).update(
            Content.assemble(
                (f"{what}\n", "bold"),
                ("Score  ", "$text-muted"),
                (points, "bold"),
                "  ·  ",
                (percent, "bold"),
                *judged,
            )
        )
        self._topics = session.topics()
        self._show_topics()
        missed = len(session.missed())
        if missed:
            practice = " (practice: your stored score stays as it is)" if session.mode == MODULE else ""
            them, they = ("them", "they also come") if missed > 1 else ("it", "it also comes")
            follow = (
                f"You missed {missed}. Press r to retry {them}{practice}; {they} back in review tomorrow."
            )
        elif session.mode == MODULE:
            follow = "Every question right."
        else:
            follow = "Every question right: each moves up a review box."
        self.query_one("#results-next", Static).update(follow)
        retry = self.query_one("#quiz-retry", Button)
        retry.display = bool(missed)
        retry.label = f"Retry the {missed} I missed (r)" if missed != 1 else "Retry the one I missed (r)"

    _topics: list | None = None

    def on_resize(self) -> None:
        # The topic names are cut to the width: shown while hidden, the results had none yet.
        if self._topics is not None:
            self._show_topics()

    def _show_topics(self) -> None:
        topics = self._topics or []
        counts = [
            (
                f"  {topic.right} of {topic.asked} right",
                f"   {format_points(topic.points)} / {format_points(topic.max_points)} points",
            )
            for topic in topics
        ]
        # A row that wraps leaves "points" alone on the next line: cut the topic name instead.
        room = (
            (self.content_size.width or self.app.size.width - 4)
            - 2
            - max((len(right) + len(points) for right, points in counts), default=0)
        )
        width = max(12, min(44, room, max((len(topic.topic) for topic in topics), default=10)))
        lines = [Content.styled("By topic", "bold")]
        for topic, (right, points) in zip(topics, counts, strict=True):
            name = topic.topic if len(topic.topic) <= width else topic.topic[: width - 1] + "…"
            mark = RIGHT if topic.right == topic.asked else WRONG
            lines.append(Content.assemble(f"{mark} ", name.ljust(width), right, (points, "$text-muted")))
        self.query_one("#results-topics", Static).update(Content("\n").join(lines))

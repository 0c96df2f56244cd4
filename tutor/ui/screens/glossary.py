"""The glossary: every term of the course with its one-line definition, its source and the lessons
that use it. Opened from the palette, from help (g), from a lesson (g, or a click on a term's
first use in the text). Enter on a term moves to its lessons; enter on a lesson opens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style as RichStyle
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tutor.ui.widgets.footer import Footer
from tutor.ui.widgets.masthead import Masthead, place

if TYPE_CHECKING:
    from tutor.content.course import GlossaryTerm
    from tutor.ui.app import LambdaTutorApp


class TermFilter(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.focus_terms", "Terms", key_display="↓", id="glossary.terms"),
    ]


class TermList(OptionList):
    def action_cursor_up(self) -> None:
        if not self.highlighted:
            self.screen.query_one(TermFilter).focus()
        else:
            super().action_cursor_up()


class GlossaryScreen(Screen):
    AUTO_FOCUS = "#glossary-terms"
    SCREEN_NAME = "glossary"
    HELP_TITLE = "Glossary"
    HELP_KEYS = (
        ("↑ / ↓", "Choose a term; its definition, source and lessons show below"),
        ("enter", "On a term: to its lessons; on a lesson: open it"),
        ("type (after /)", "Narrow the terms to those whose name or definition has the words"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", key_display="/", id="glossary.filter"),
        Binding("escape", "back", "Back", id="glossary.back"),
    ]

    app: LambdaTutorApp

    def __init__(self, term_id: str = "", lesson_id: str = "", **kwargs) -> None:
        """`term_id` opens on that term; `lesson_id` lists that lesson's terms first."""
        super().__init__(**kwargs)
        self.term_id = term_id
        self.lesson_id = lesson_id
        glossary = self.app.course.glossary
        if lesson_id:
            # The lesson's own terms in the order it meets them, then the rest.
            own = [term for term in glossary if lesson_id in term.lessons]
            glossary = own + [term for term in glossary if lesson_id not in term.lessons]
        else:
            glossary = sorted(glossary, key=lambda term: term.term.lower())
        self.all_terms: list[GlossaryTerm] = glossary
        self.terms: list[GlossaryTerm] = glossary

    def compose(self) -> ComposeResult:
        course = self.app.course
        lesson = course.lessons.get(self.lesson_id)
        right = f"terms of “{lesson.title}” first" if lesson else f"{len(self.all_terms)} terms"
        yield Masthead(place("Glossary"), right)
        yield TermFilter(
            placeholder="/ to filter: words of a term or its definition", id="glossary-filter", compact=True
        )
        yield TermList(id="glossary-terms")
        yield Static("", id="glossary-detail")
        yield OptionList(id="glossary-lessons")
        yield Footer()

    def on_mount(self) -> None:
        self.show_terms(self.all_terms)
        chosen = next((i for i, term in enumerate(self.terms) if term.id == self.term_id), 0)
        if self.terms:
            self.query_one(TermList).highlighted = chosen

    def show_terms(self, terms: list[GlossaryTerm]) -> None:
        self.terms = terms
        listing = self.query_one(TermList)
        listing.clear_options()
        for term in terms:
            listing.add_option(Option(Content.assemble((term.term, "bold"), "  ", (term.definition, "dim"))))
        if terms:
            listing.highlighted = 0
        else:
            self._describe(None)

    @on(Input.Changed, "#glossary-filter")
    def _filter(self, event: Input.Changed) -> None:
        from tutor.content.search import words_of

        wanted = words_of(event.value)
        self.show_terms(
            [
                term
                for term in self.all_terms
                if all(
                    any(
                        word.startswith(part)
                        for word in words_of(f"{term.term} {' '.join(term.aliases)} {term.definition}")
                    )
                    for part in wanted
                )
            ]
        )

    @property
    def term(self) -> GlossaryTerm | None:
        index = self.query_one(TermList).highlighted
        return self.terms[index] if index is not None and index < len(self.terms) else None

    @on(OptionList.OptionHighlighted, "#glossary-terms")
    def _highlighted(self) -> None:
        self._describe(self.term)

    def _describe(self, term: GlossaryTerm | None) -> None:
        detail = self.query_one("#glossary-detail", Static)
        lessons = self.query_one("#glossary-lessons", OptionList)
        lessons.clear_options()
        if term is None:
            detail.update("No term matches the filter." if self.all_terms else "This course has no glossary.")
            return
        fields = Table.grid(padding=(0, 1))
        fields.add_column(style="dim", no_wrap=True)
        fields.add_column(overflow="fold")
        fields.add_row("Term", Text(term.term, style="bold"))
        if term.aliases:
            fields.add_row("Also", ", ".join(term.aliases))
        fields.add_row("Meaning", term.definition)
        fields.add_row("Source", Text(term.source, style=RichStyle(link=term.source, underline=True)))
        fields.add_row("Lessons", f"{len(term.lessons)}: enter, then choose one")
        detail.update(fields)
        course = self.app.course
        for lesson_id in term.lessons:
            lesson = course.lessons[lesson_id]
            module = course.module(lesson.module)
            lessons.add_option(Option(f"{lesson.title}  ·  {module.title}", id=lesson_id))

    @on(OptionList.OptionSelected, "#glossary-terms")
    def _term_chosen(self) -> None:
        lessons = self.query_one("#glossary-lessons", OptionList)
        if lessons.option_count:
            lessons.highlighted = 0
            lessons.focus()

    @on(OptionList.OptionSelected, "#glossary-lessons")
    async def _lesson_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            await self.app.open_screen("lesson", lesson_id=event.option.id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_filter":
            return not isinstance(self.focused, TermFilter)
        if action == "focus_terms":
            return bool(self.terms)
        return True

    def action_focus_filter(self) -> None:
        self.query_one(TermFilter).focus()

    def action_focus_terms(self) -> None:
        self.query_one(TermList).focus()

    def action_back(self) -> None:
        if self.focused is self.query_one("#glossary-lessons"):
            self.query_one(TermList).focus()  # back from a term's lessons to the terms first
        else:
            self.app.pop_screen()
